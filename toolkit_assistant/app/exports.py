"""Files the app offers for download: Markdown answers, session packs and their handouts and slides, eval reports."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit_assistant.text import slug

if TYPE_CHECKING:
    from toolkit_assistant.config import Settings
    from toolkit_assistant.session.pack import SessionPack

# the Prepare tab's downloads: (key, what, suffix); the .docx and .pptx ones only with the office extra
PACK_FILES = (("pack", "pack", ".md"), ("handout", "handout", ".md"), ("slides", "slides", ".md"),
              ("handout_docx", "handout", ".docx"), ("slides_pptx", "slides", ".pptx"))


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


def pack_file_keys() -> list[str]:
    """The downloads this installation can offer for a pack (Word and PowerPoint need the office extra)."""
    from toolkit_assistant.session.office import office_formats

    have = office_formats()
    return [key for key, _, suffix in PACK_FILES if suffix == ".md" or suffix[1:] in have]


def write_pack_files(pack: SessionPack) -> dict[str, str]:
    """Write the pack's files into one fresh download folder: {key: path} for each of pack_file_keys()."""
    from toolkit_assistant.session.exports import write_export

    folder = Path(tempfile.mkdtemp(prefix="pack-", dir=export_dir()))
    stem = slug(pack.topic)[:40]
    names = {"pack": f"session-{stem}", "handout": f"handout-{stem}", "slides": f"slides-{stem}"}
    keys = pack_file_keys()
    return {key: str(write_export(pack, what, folder / f"{names[what]}{suffix}"))
            for key, what, suffix in PACK_FILES if key in keys}
