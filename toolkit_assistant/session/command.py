"""`toolkit-assistant prepare TOPIC`: a session pack as Markdown (or JSON), printed or written to a file,
and its handout and slides beside it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from toolkit_assistant.session.build import MAX_MINUTES, MIN_MINUTES, build_session
from toolkit_assistant.session.exports import FORMATS, write_export
from toolkit_assistant.session.wording import PACK_LANGUAGES
from toolkit_assistant.wiring import BACKENDS, cli_assistant, cli_errors, cli_settings


@click.command()
@click.argument("topic")
@click.option("--minutes", type=click.IntRange(MIN_MINUTES, MAX_MINUTES), default=60, show_default=True,
              help="Length of the session; the outline's timings add up to it.")
@click.option("--audience", default="", help="Who the session is for (e.g. 'first-instance judges').")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the Markdown pack to this file (default: print it).")
@click.option("--handout", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the participants' handout: FILE.md, or FILE.docx (with the office extra).")
@click.option("--slides", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the slides: FILE.md (an outline), or FILE.pptx (with the office extra).")
@click.option("--json", "as_json", is_flag=True, help="Print the pack as JSON instead of Markdown.")
@click.option("--lang", type=click.Choice(PACK_LANGUAGES), default="en", show_default=True,
              help="Language of the pack's own words (headings, objectives, instructions, questions); "
                   "the quotations stay in the language of the documents.")
@click.option("--backend", type=click.Choice(BACKENDS), default=None)
@click.pass_context
def prepare_command(ctx: click.Context, topic: str, minutes: int, audience: str, out: Path | None,
                    handout: Path | None, slides: Path | None, as_json: bool, lang: str, backend: str | None) -> None:
    """Build a trainer's session pack on TOPIC, drawn from and cited to the corpus.

    Exit codes: 0 done; 2 the topic is not covered or not valid (or a file format that cannot be written);
    1 other errors (e.g. .docx or .pptx without the office extra).
    """
    for what, path in (("handout", handout), ("slides", slides)):
        if path is not None and path.suffix.lower() not in FORMATS[what]:
            raise click.BadParameter(f"write it as {' or '.join(FORMATS[what])}", param_hint=f"--{what}")
    settings = cli_settings(ctx)
    assistant = cli_assistant(settings)
    with cli_errors(ctx):
        pack = build_session(assistant, topic, minutes=minutes, audience=audience, backend=backend, lang=lang)
        for what, path in (("handout", handout), ("slides", slides)):
            if path is not None:
                click.echo(f"{what.capitalize()} written to {write_export(pack, what, path)}", err=True)
    text = json.dumps(pack.to_dict(), indent=2, ensure_ascii=False) if as_json else pack.to_markdown()
    if out is None:
        click.echo(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"Session pack on “{pack.topic}” ({pack.minutes} min, {len(pack.references)} references) "
               f"written to {out}", err=True)
