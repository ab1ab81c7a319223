"""A pack's files: the trainer's pack (.md), the handout (.md or .docx) and the slides (.md or .pptx).

The file's suffix chooses the format; .docx and .pptx need the optional office extra (see office.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from toolkit_assistant.errors import InputError

if TYPE_CHECKING:
    from toolkit_assistant.session.pack import SessionPack

# what may be written, and in which formats
FORMATS = {"pack": (".md",), "handout": (".md", ".docx"), "slides": (".md", ".pptx")}


def write_export(pack: SessionPack, what: str, path: Path) -> Path:
    """Write one of the pack's files; the suffix of `path` chooses the format.

    Raises:
        InputError: `what` has no such format (e.g. slides as .docx).
        BackendUnavailable: .docx or .pptx without python-docx / python-pptx installed.
    """
    suffix = path.suffix.lower()
    if suffix not in FORMATS.get(what, ()):
        allowed = ", ".join(FORMATS.get(what, ())) or "none"
        raise InputError(f"The {what} can be written as {allowed}, not as {suffix or 'a file without a suffix'}: {path}")
    if suffix == ".docx":
        from toolkit_assistant.session.office import write_handout_docx

        return write_handout_docx(pack, path)
    if suffix == ".pptx":
        from toolkit_assistant.session.office import write_slides_pptx

        return write_slides_pptx(pack, path)
    if what == "handout":
        from toolkit_assistant.session.handout import handout_markdown as render
    elif what == "slides":
        from toolkit_assistant.session.slides import slides_markdown as render
    else:
        from toolkit_assistant.session.markdown import render_markdown as render
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(pack), encoding="utf-8")
    return path
