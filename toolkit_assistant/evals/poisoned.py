"""The poisoned index: the corpus plus hostile documents, in a temporary index the main one never sees."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit_assistant.wiring import ingest_with

if TYPE_CHECKING:
    from toolkit_assistant.config import Settings


@contextmanager
def poisoned_assistant(settings: Settings, poisoned_dir: Path, *, progress: Callable[[str], None] | None = None) -> Iterator[Any]:
    """An Assistant over a temporary index of the corpus plus the hostile documents (main index untouched).

    The main index's embedding cache is copied in first, so only the hostile documents are embedded.
    """
    from toolkit_assistant.pipeline import Assistant

    with tempfile.TemporaryDirectory(prefix="toolkit-eval-poisoned-") as tmp:
        index_dir = Path(tmp) / "index"
        index_dir.mkdir()
        cache = settings.index_dir / "embedding-cache.sqlite"
        if cache.is_file():
            shutil.copy2(cache, index_dir / cache.name)
        s = settings.model_copy(update={"index_dir": index_dir, "chroma_url": None, "query_log": None})
        report = ingest_with(s, [settings.corpus_dir, poisoned_dir])
        if progress:
            progress(f"poisoned index: {report.documents} documents, {report.chunks} chunks in {report.seconds:.1f} s")
            for file, reason in report.skipped:
                progress(f"poisoned index skipped {file}: {reason}")
        yield Assistant.from_settings(s)
