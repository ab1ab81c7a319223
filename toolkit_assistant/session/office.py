"""The handout as a Word file and the slides as a PowerPoint file (optional: python-docx and python-pptx).

Both are made from the same blocks and slides as the Markdown exports, so they hold the same text. Install
them with `pip install 'toolkit-assistant[office]'`; without them the Markdown exports still work and
`office_formats()` is empty.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit_assistant.errors import BackendUnavailable
from toolkit_assistant.session.handout import NUMBERED, handout_blocks
from toolkit_assistant.session.slides import build_slides
from toolkit_assistant.session.wording import Wording

if TYPE_CHECKING:
    from toolkit_assistant.session.pack import SessionPack

INSTALL_HINT = "pip install 'toolkit-assistant[office]'"
LONG_BULLET = 160  # characters: a slide of long quotations gets a smaller font


def office_formats() -> tuple[str, ...]:
    """The office formats this installation can write: 'docx' (python-docx) and 'pptx' (python-pptx)."""
    return tuple(fmt for fmt, module in (("docx", "docx"), ("pptx", "pptx"))
                 if importlib.util.find_spec(module) is not None)


def _need(fmt: str) -> None:
    if fmt not in office_formats():
        raise BackendUnavailable(f"Writing .{fmt} files needs python-{fmt}: {INSTALL_HINT}")


def write_handout_docx(pack: SessionPack, path: Path) -> Path:
    """Write the participants' handout as a Word file.

    Raises:
        BackendUnavailable: python-docx is not installed (the message says how to install it).
    """
    _need("docx")
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.title = Wording(pack.language)("headings.handout", topic=pack.topic)
    doc.core_properties.language = pack.language
    doc.styles["Normal"].font.size = Pt(11)
    number = 0
    for block in handout_blocks(pack):
        # Word's "List Number" style runs one count through the whole file: each list is numbered here instead
        number = number + 1 if block.kind == NUMBERED else 0
        if block.kind in ("h1", "h2", "h3"):
            doc.add_heading(block.text, level=int(block.kind[1]) - 1)
        elif block.kind == "bullet":
            doc.add_paragraph(block.text, style="List Bullet")
        elif block.kind == NUMBERED:
            doc.add_paragraph(f"{number}. {block.text}", style="List Paragraph")
        elif block.kind == "label":
            doc.add_paragraph().add_run(block.text).bold = True
        elif block.kind == "note":
            doc.add_paragraph().add_run(block.text).italic = True
        else:
            doc.add_paragraph(block.text)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def write_slides_pptx(pack: SessionPack, path: Path) -> Path:
    """Write the slides as a PowerPoint file (16:9; sources in each slide's notes).

    Raises:
        BackendUnavailable: python-pptx is not installed (the message says how to install it).
    """
    _need("pptx")
    from pptx import Presentation
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    prs.core_properties.title = Wording(pack.language)("headings.slides", topic=pack.topic)
    for i, slide in enumerate(build_slides(pack)):
        layout = prs.slide_layouts[0 if i == 0 else 1]
        page = prs.slides.add_slide(layout)
        page.shapes.title.text = slide.title
        body = page.placeholders[1]
        body.left, body.top, body.width, body.height = Inches(0.6), Inches(1.5), Inches(12.1), Inches(5.6)
        frame = body.text_frame
        frame.word_wrap = True
        frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE  # PowerPoint shrinks a full slide's text to fit
        size = Pt(16) if any(len(b) > LONG_BULLET for b in slide.bullets) else Pt(20)
        for j, text in enumerate(slide.bullets):
            para = frame.paragraphs[0] if j == 0 else frame.add_paragraph()
            para.text = text
            para.font.size = size
        if slide.notes:
            page.notes_slide.notes_text_frame.text = slide.notes
    path.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(path))
    return path
