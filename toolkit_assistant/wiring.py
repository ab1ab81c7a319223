"""Wiring shared by the commands and the app: settings, the Assistant, and an ingest run from settings.

The feature packages (evals, bench, session, app) import these helpers; none of them imports
`toolkit_assistant.cli`, which only imports the features' commands. Heavy modules (the embedder,
Chroma, the pipeline) are imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import click

from toolkit_assistant.config import Backend, Settings, apply_offline_env, load_settings
from toolkit_assistant.errors import IndexNotBuiltError, InputError, ToolkitError

if TYPE_CHECKING:
    from toolkit_assistant.indexer import IngestReport
    from toolkit_assistant.pipeline import Assistant

EXIT_INPUT = 2  # bad input (usage, question, cases file)
BACKENDS: tuple[str, ...] = get_args(Backend)  # the answer backends, for --backend and the app's dropdowns


def settings_or_fail() -> Settings:
    """The settings from the environment; a ClickException naming the setting that is not valid."""
    try:
        return load_settings()
    except Exception as exc:  # noqa: BLE001 - pydantic validation errors
        raise click.ClickException(f"Invalid setting: {exc}") from exc


def cli_settings(ctx: click.Context) -> Settings:
    """The command's settings, read once per invocation (and the offline variables set for them)."""
    obj = ctx.ensure_object(dict)
    if "settings" not in obj:
        obj["settings"] = settings_or_fail()
        apply_offline_env(obj["settings"].state_dir)
    return obj["settings"]


def cli_assistant(settings: Settings, *, language: str | None = None) -> Any:
    """The Assistant the settings describe; a ClickException when it cannot open (no index, backend).

    language: the language of the one question this process answers (see Assistant.from_settings).
    """
    from toolkit_assistant.pipeline import Assistant

    try:
        return Assistant.from_settings(settings, language=language)
    except ToolkitError as exc:
        raise click.ClickException(str(exc)) from exc


@contextmanager
def cli_errors(ctx: click.Context) -> Iterator[None]:
    """The CLI's answer to the pipeline's errors: bad input prints "Error: ..." and exits 2; others exit 1."""
    try:
        yield
    except InputError as exc:
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(EXIT_INPUT)
    except ToolkitError as exc:
        raise click.ClickException(str(exc)) from exc


def ingest_with(
    settings: Settings,
    paths: Iterable[Path],
    *,
    embedder: Any = None,
    rebuild: bool = False,
    progress: Callable[[str], None] | None = None,
    on_step: Callable[[Any], None] | None = None,
    indexes: list[tuple[str, Path, str]] | None = None,
) -> IngestReport:
    """Bring the index the settings name up to date with `paths` (chunking and size limit from the settings).

    Args:
        settings: index folder, Chroma server, collection, chunking, file size limit and embedding model.
        paths: files or folders to ingest.
        embedder: an embedder already loaded (default: the settings' model, loaded here).
        rebuild: re-read and re-embed everything, ignoring the manifest.
        progress: called with a short message now and then.
        on_step: called with an `indexer.IngestStep` as each file, PDF page and batch of embeddings is done
            (file k/n, page p/m; texts embedded so far), for a progress bar.
        indexes: which of `settings.indexes()` to bring up to date (default: all of them, the main one first).

    Raises:
        ToolkitError: what run_ingest raises (a locked index, a model mismatch, an unreachable server).
    """
    from toolkit_assistant.embeddings import get_embedder
    from toolkit_assistant.indexer import run_ingest
    from toolkit_assistant.store import location_for

    reports = []
    read_cache: dict[tuple[str, str], Any] = {}  # with two indexes, each file is read once
    for i, (model, index_dir, collection) in enumerate(settings.indexes() if indexes is None else indexes):
        if i and progress:
            progress(f"the {model} index for questions in other languages ({index_dir})")
        try:
            reports.append(run_ingest(
                list(paths),
                location=location_for(index_dir, settings.chroma_url, collection),
                embedder=embedder if (embedder is not None and i == 0) else get_embedder(model, export_onnx=True),
                index_dir=index_dir,
                chunk_size=settings.chunk_size,
                chunk_overlap=settings.chunk_overlap,
                max_bytes=int(settings.max_file_mb * 1e6),
                rebuild=rebuild,
                progress=progress,
                keep_generations=settings.keep_generations,
                on_step=on_step,
                read_cache=read_cache,
            ))
        except OSError as exc:  # the lock file or the embedding cache on a full disk: one line, not a traceback
            import errno

            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            from toolkit_assistant.errors import DiskFullError

            raise DiskFullError(
                f"Not enough disk space in {index_dir} ({exc.strerror}); nothing was published and the "
                "previous index stays current. Free some space (or set TOOLKIT_INDEX_DIR to a larger disk) and run "
                "ingest again"
            ) from exc
    main = reports[0]
    if len(reports) > 1:
        # the run took as long as both builds; the summary counts the main index's documents
        main.indexes = [{"embedding": model, "index": r.index, "seconds": round(r.seconds, 3), "chunks": r.chunks,
                         "timings_s": r.timings, "up_to_date": r.up_to_date}
                        for (model, _, _), r in zip(settings.indexes(), reports, strict=True)]
        main.seconds = sum(r.seconds for r in reports)
        main.up_to_date = all(r.up_to_date for r in reports)
    return main


def open_in_steps(settings: Settings, say: Callable[[str], None] = print) -> Iterator[Assistant]:
    """Open the index the settings name, building it from the corpus first when there is none (for Warmup).

    Yields the Assistant as soon as it can answer: at once when the index exists. On a first run the English
    (MiniLM) index is built and opened first; with TOOLKIT_EMBEDDING=auto the multilingual index is built after it
    and a second Assistant, which answers every language, is yielded. `say` gets the progress.
    """
    from toolkit_assistant.pipeline import Assistant

    main, *others = settings.indexes()
    opened = None
    if _index_exists(settings, main):  # checked first: opening loads the models, and a first run builds instead
        try:
            opened = Assistant.from_settings(settings)
        except IndexNotBuiltError:
            opened = None
    if opened is not None:
        yield opened
        return
    say(f"No index at {settings.index_dir} yet: building it from {settings.corpus_dir} (about a minute)...")
    report = ingest_with(settings, [settings.corpus_dir], progress=lambda m: say(f"  {m}"), indexes=[main])
    for file, reason in report.skipped:
        say(f"  skipped {file}: {reason}")
    say(f"Indexed {report.documents} documents, {report.chunks} chunks in {report.seconds:.1f} s.")
    yield Assistant.from_settings(settings)
    if others:
        say(f"English questions are answered; building the index for questions in other languages ({others[0][1]})...")
        ingest_with(settings, [settings.corpus_dir], progress=lambda m: say(f"  {m}"), indexes=others)
        yield Assistant.from_settings(settings)
        say("Every index is built.")


def _index_exists(settings: Settings, index: tuple[str, Path, str]) -> bool:
    """Whether any index generation exists where one of settings.indexes() points (no model is loaded)."""
    from toolkit_assistant.store import location_for

    _, index_dir, collection = index
    location = location_for(index_dir, settings.chroma_url, collection)
    try:
        return location.read_manifest() is not None or bool(location.published_manifests())
    except ValueError:  # a garbled CURRENT.json: opening the index says what is wrong (or falls back)
        return True


def open_assistant(settings: Settings, echo: Callable[[str], None] = print) -> Assistant:
    """Open the index the settings name; build it (every index) from the corpus first when there is none."""
    assistant = None
    for assistant in open_in_steps(settings, echo):
        pass
    assert assistant is not None  # open_in_steps yields at least once or raises
    return assistant
