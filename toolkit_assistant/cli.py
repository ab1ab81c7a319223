"""The toolkit-assistant command line: ingest | ask | sources | check | eval | bench | prepare | serve."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from toolkit_assistant.bench.command import bench_command
from toolkit_assistant.config import apply_offline_env
from toolkit_assistant.errors import ToolkitError
from toolkit_assistant.evals.command import eval_command
from toolkit_assistant.evals.compare import compare_command
from toolkit_assistant.session.command import prepare_command
from toolkit_assistant.wiring import BACKENDS, cli_assistant, cli_errors, cli_settings, ingest_with

EXIT_SKIPPED = 3  # ingest finished, but some files were skipped


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="toolkit-assistant")
def cli() -> None:
    """Ask what UNESCO's materials on AI and the rule of law say, with checkable citations.

    Runs offline. Settings come from TOOLKIT_* environment variables (see the README).
    """
    apply_offline_env()


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Re-read and re-embed everything, ignoring the manifest.")
@click.option("--json", "as_json", is_flag=True, help="Print the ingest report as JSON.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], rebuild: bool, as_json: bool) -> None:
    """Index documents (default: the corpus folder). PATHS may be files or folders.

    Exit codes: 0 done; 3 done, but some files were skipped (each is named); 1 failed.
    """
    s = cli_settings(ctx)
    targets = list(paths) or [s.corpus_dir]
    try:
        say = None if as_json else (lambda m: click.echo(f"  {m}", err=True))
        report = ingest_with(s, targets, rebuild=rebuild, progress=say,
                             on_step=None if say is None else step_printer(say))
    except ToolkitError as exc:
        raise click.ClickException(str(exc)) from exc
    for file, reason in report.skipped:
        click.echo(f"skipped {file}: {reason}", err=True)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    elif report.up_to_date:
        click.echo(f"Index up to date: {report.documents} documents, {report.chunks} chunks ({report.index}).")
    else:
        click.echo(
            f"Indexed {report.documents} documents, {report.chunks} chunks in {report.seconds:.1f} s "
            f"({report.chunks_per_s:.0f} chunks/s" + (f", {report.pages} PDF pages, {report.pages / report.seconds:.2f} "
                                                     "pages/s" if report.pages and report.seconds else "")
            + f"): {len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.removed)} removed, {len(report.unchanged)} unchanged. Index: {report.index}"
        )
    if not as_json:
        for notice in report.notices:
            click.echo(f"Note: {notice}")
        if report.removed_generations:
            click.echo(f"Removed {len(report.removed_generations)} old index generation(s) "
                       f"(keeping the newest {report.keep_generations}, TOOLKIT_KEEP_GENERATIONS).")
    if report.skipped:
        click.echo(f"{len(report.skipped)} file(s) skipped; the rest were indexed.", err=True)
        ctx.exit(EXIT_SKIPPED)


def step_printer(say: Any, every_pages: int = 25) -> Any:
    """An on_step callback that prints 'file k/n name, page p/m' every `every_pages` pages (and at a file's first
    and last page), and each batch of embeddings."""

    def on_step(step: Any) -> None:
        if step.stage == "read" and step.pages and not (step.page in (1, step.pages) or step.page % every_pages == 0):
            return
        if step.stage == "read" and not step.file:
            return  # a file starts: its pages follow (a text file says nothing until it is done)
        say(step.message())

    return on_step


_OUTCOME = {"answered": "Answered", "partial": "Partly covered", "none": "Not covered"}


def _format_answer(answer: Any) -> str:
    lines = [f"{_OUTCOME.get(answer.outcome, answer.outcome)}:", answer.text, ""]
    for c in answer.citations:
        ch = c.chunk
        where = f"§{ch.section} {ch.section_title}" if ch.section else ch.section_title
        label = getattr(ch, "page_label", "") or (str(ch.page) if ch.page else "")
        page = f", p. {label}" if label else ""
        status = f" [{ch.status}]" if ch.status else ""
        lines.append(f"[{c.n}] {ch.title}{status}, {where}{page} ({ch.id})")
        lines.append(f'    "{c.quote}"')
        rests = [f"{s.host or s.tag} {s.url}".strip() for s in c.sources()[:3]]
        if rests:
            lines.append("    this summary rests on: " + "; ".join(rests))
    for notice in answer.notices:
        lines.append(f"Note: {notice}")
    return "\n".join(lines).rstrip()


def _format_explain(trace: dict[str, Any]) -> str:
    """The --explain view: the candidate passages, the sentences considered, and the decision."""
    lines = [""]
    if trace.get("english_words"):
        lines.append("English words read in the question (glossary): " + ", ".join(trace["english_words"]))
    lines.append("Candidate passages (rank, fused score, dense cosine, BM25 score):")
    for h in trace["hits"]:
        dense = "-" if h["dense"] is None else f"{h['dense']:.3f}"
        bm25 = "-" if h["bm25"] is None else f"{h['bm25']:.2f}"
        lines.append(f"  {h['rank']:>2}. {h['fused']:.4f}  dense {dense}  bm25 {bm25}  {h['chunk_id']}  {h['section']}")
    lines.append("Sentences considered (score, similarity; * chosen):")
    for x in trace["sentences"]:
        mark = "*" if x["chosen"] else " "
        lines.append(f"  {mark} {x['score']:.3f} {x['similarity']:.3f}  {x['text'][:110]}")
    decision = trace.get("decision")
    if decision is None:
        lines.append("Decision: none - nothing retrieved")
    else:
        ev = decision["evidence"]
        lines.append(f"Decision: {decision['coverage']} - {decision['reason']}")
        lines.append(
            f"  evidence: best sentence similarity {ev['best_sentence_similarity']:.3f}, question words found "
            f"{ev['question_words_found']:.2f}, dense and BM25 agree: {ev['dense_and_bm25_agree']}, missing: "
            f"{', '.join(ev['missing']) or '-'}, kind of fact missing: {ev['missing_kind'] or '-'}, "
            f"best sentence states absence: {ev['best_sentence_states_absence']}, found in other words: "
            f"{', '.join(ev.get('found_by_meaning', ())) or '-'}"
        )
    return "\n".join(lines)


def _filters(docs: tuple[str, ...], kinds: tuple[str, ...]) -> Any:
    from toolkit_assistant.retrieve import Filters

    return Filters(doc_ids=tuple(docs), kinds=tuple(kinds))


@cli.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the Answer JSON.")
@click.option("--jsonl", is_flag=True, help='Batch: read {"id","q"} or plain-text lines on stdin, write one Answer JSON a line.')
@click.option("--k", type=click.IntRange(1, 50), default=None, help="Passages to retrieve.")
@click.option("--backend", type=click.Choice(BACKENDS), default=None)
@click.option("--doc", "docs", multiple=True, help="Only this document id (repeatable).")
@click.option("--kind", "kinds", multiple=True, help="Only documents of this kind (repeatable).")
@click.option("--explain", is_flag=True, help="Also show the candidate passages, the sentences considered and why.")
@click.option("--previous", default=None, help="The question before this one, for a follow-up ('And what did ...?').")
@click.pass_context
def ask(ctx: click.Context, question: str | None, as_json: bool, jsonl: bool, k: int | None,
        backend: str | None, docs: tuple[str, ...], kinds: tuple[str, ...], explain: bool, previous: str | None) -> None:
    """Answer QUESTION from the indexed materials, with citations (or say they do not cover it).

    Exit codes: 0 answered or declined; 2 bad question; 1 other errors (no index, backend).
    """
    s = cli_settings(ctx)
    if jsonl and question:
        raise click.UsageError("Give either a QUESTION or --jsonl, not both")
    if not jsonl and question is None:
        raise click.UsageError("Missing QUESTION (or use --jsonl to read questions from stdin)")
    # one question needs one model: an English one never loads e5, a French one never loads MiniLM
    from toolkit_assistant.text import detect_language

    assistant = cli_assistant(s, language=None if jsonl else detect_language(question or ""))
    filters = _filters(docs, kinds)
    if jsonl:
        _ask_batch(assistant, filters, k, backend, explain)
        return
    with cli_errors(ctx):
        answer = assistant.ask(question or "", k=k, backend=backend, filters=filters, explain=explain, previous=previous)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(_format_answer(answer))
        if answer.explain is not None:
            click.echo(_format_explain(answer.explain))


def _ask_batch(assistant: Any, filters: Any, k: int | None, backend: str | None, explain: bool = False) -> None:
    """One answer JSON a line for each question line on stdin; bad lines get an error object.

    A JSON line may name the question before it (`"previous"`), for a follow-up.
    """
    for lineno, raw in enumerate(sys.stdin, start=1):
        line = raw.strip()
        if not line:
            continue
        qid: Any = lineno
        question = line
        previous = None
        if line.startswith("{"):
            try:
                rec = json.loads(line)
                qid = rec.get("id", lineno)
                question = rec.get("q", rec.get("question", ""))
                previous = rec.get("previous")
            except (json.JSONDecodeError, AttributeError) as exc:
                click.echo(json.dumps({"id": lineno, "error": f"line {lineno}: not valid JSON ({exc})"}))
                continue
        try:
            out = assistant.ask(
                str(question), k=k, backend=backend, filters=filters, explain=explain,
                previous=str(previous) if previous else None,
            ).to_dict()
        except ToolkitError as exc:
            out = {"question": question, "error": str(exc)}
        out = {"id": qid, **out}
        click.echo(json.dumps(out, ensure_ascii=False))
        sys.stdout.flush()


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def sources(ctx: click.Context, as_json: bool) -> None:
    """List the documents in the index: id, title, kind, year, status, chunks."""
    from toolkit_assistant.store import documents_of, load_chunks, location_for
    from toolkit_assistant.store.integrity import usable_generation

    s = cli_settings(ctx)
    try:
        location = location_for(s.index_dir, s.chroma_url, s.collection)
        usable = usable_generation(location, None)  # past a damaged generation, as ask does
        manifest = usable.manifest
        rows = documents_of(load_chunks(location, manifest, usable.cols[0]))
    except ToolkitError as exc:
        raise click.ClickException(str(exc)) from exc
    for notice in usable.notices:
        click.echo(f"Note: {notice}", err=True)
    if as_json:
        click.echo(json.dumps({"index": location.describe(), "embedding": manifest.embedding,
                               "documents": rows}, indent=2, ensure_ascii=False))
        return
    click.echo(f"{'id':32} {'kind':15} {'year':5} {'status':8} {'chunks':>6}  title")
    for r in rows:
        click.echo(f"{r['doc_id'][:32]:32} {r['kind'][:15]:15} {r['year'][:5]:5} {r['status'][:8]:8} {r['chunks']:>6}  {r['title']}")
    click.echo(f"{len(rows)} documents, {sum(r['chunks'] for r in rows)} chunks; index {location.describe()}; model {manifest.embedding}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_context
def check(ctx: click.Context, as_json: bool) -> None:
    """Verify the index: its files, counts, that every chunk has its vectors and BM25 entry, the embedding model.

    Exit codes: 0 the index is whole; 1 something is wrong (each problem is named, with what to run).
    """
    from toolkit_assistant.store import location_for
    from toolkit_assistant.store.integrity import check_index

    s = cli_settings(ctx)
    from toolkit_assistant import embeddings

    names = {"minilm": embeddings.MiniLMEmbedder.name, "e5": embeddings.E5Embedder.name}  # no model loaded
    found = []
    # with TOOLKIT_EMBEDDING=auto (the default) each index is checked against its own model: MiniLM for the
    # English one, e5 for the multilingual one beside it
    for model, index_dir, prefix in s.indexes():
        try:
            location = location_for(index_dir, s.chroma_url, prefix)
        except ToolkitError as exc:
            raise click.ClickException(str(exc)) from exc
        found.append((model, check_index(location, names.get(model, model))))
    ok = all(f.ok for _, f in found)
    fix = next((f.fix for _, f in found if f.fix), "")
    if as_json:
        main = found[0][1]
        click.echo(json.dumps({"index": main.where, "ok": ok, "problems": [p for _, f in found for p in f.problems],
                               "facts": main.facts, "fix": fix,
                               "indexes": [{"embedding": m, "index": f.where, "ok": f.ok, "problems": f.problems,
                                            "facts": f.facts, "fix": f.fix} for m, f in found]},
                              indent=2, ensure_ascii=False))
    else:
        for model, f in found:
            click.echo(f"Index: {f.where}" + (f" ({model})" if len(found) > 1 else ""))
            for fact in f.facts:
                click.echo(f"  {fact}")
            for problem in f.problems:
                click.echo(f"  problem: {problem}")
        click.echo(("OK: the indexes are whole." if len(found) > 1 else "OK: the index is whole.") if ok else f"Run: {fix}")
    ctx.exit(0 if ok else 1)


@cli.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1, TOOLKIT_HOST).")
@click.option("--port", type=int, default=None, help="Port (default 7860, TOOLKIT_PORT).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Start the web app (builds the index first if there is none)."""
    s = cli_settings(ctx)
    if host:
        s.host = host
    if port:
        s.port = port
    from toolkit_assistant.app.launch import launch

    try:
        launch(s)
    except ToolkitError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command()
@click.option("--http", is_flag=True, help="Serve streamable HTTP on 127.0.0.1 instead of stdio (login applies).")
@click.option("--port", type=int, default=8765, help="Port for --http (always bound to 127.0.0.1).")
@click.pass_context
def mcp(ctx: click.Context, http: bool, port: int) -> None:
    """Serve the ask, search and sources tools to MCP clients (stdio by default)."""
    from toolkit_assistant.mcp_server import main as mcp_main

    try:
        mcp_main(cli_settings(ctx), http=http, port=port)
    except ToolkitError as exc:
        raise click.ClickException(str(exc)) from exc


def main() -> None:
    """Entry point for python -m toolkit_assistant."""
    cli(prog_name="toolkit-assistant")


# The commands that live beside their subject; each module imports only click (and wiring) at load.
cli.add_command(eval_command, "eval")
cli.add_command(bench_command, "bench")
cli.add_command(prepare_command, "prepare")
cli.add_command(compare_command, "compare-embeddings")
