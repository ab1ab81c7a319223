"""Files the app offers for download: Markdown answers and packs, evaluation reports."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit_assistant.text import slug

if TYPE_CHECKING:
    from toolkit_assistant.config import Settings


def export_dir() -> Path:
    """Folder for Markdown downloads (inside Gradio's temp folder when one is set)."""
    base = Path(os.environ.get("GRADIO_TEMP_DIR") or tempfile.gettempdir())
    folder = base / "toolkit-exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def eval_reports_dir(settings: Settings) -> Path:
    """Folder for evaluation reports run from the app (beside the index)."""
    return settings.index_dir.parent / "eval-reports"


def write_export(text: str, stem: str) -> str:
    """Write a Markdown download and return its path."""
    folder = Path(tempfile.mkdtemp(prefix="md-", dir=export_dir()))
    path = folder / f"{slug(stem)[:60]}.md"
    path.write_text(text, encoding="utf-8")
    return str(path)
