"""One page of a PDF as an image, and where a quoted passage sits on it (pypdfium2, offline).

A quote is the cleaned text of a chunk (lines joined, hyphenation undone, footnote markers and running
headers out), so it is not found by a plain text search of the page. Both sides are compared as runs of
letters and digits only (NFKC, case folded): the page's own characters may add a superscript marker or a
hyphen, never change a letter. The characters found give pdfium's rectangles (one a line), which are
mapped to the rendered image with the page's own transform (crop box and rotation included).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit_assistant.pdflines import PDFIUM_LOCK

RENDER_WIDTH_PX = 1100  # a page image about as wide as a laptop's browser window
MAX_SKIPPED = 4  # page characters a quote may skip in a row (a footnote marker, a stray hyphen)
MIN_ANCHOR = 12  # letters and digits that must match before a position counts as the quote's start


@dataclass(frozen=True)
class Box:
    """A highlight rectangle, as fractions (0..1) of the rendered page's width and height from its top left."""

    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class QuoteOnPage:
    """Where a quote was found on a page: its boxes and how much of it is on this page (0..1)."""

    quote: str
    boxes: tuple[Box, ...]
    found: float  # share of the quote's letters and digits found on this page (1.0: all of it)

    @property
    def continues(self) -> bool:
        """True when only the start of the quote is on this page (it goes on overleaf)."""
        return 0 < self.found < 0.98


@dataclass(frozen=True)
class RenderedPage:
    """A page rendered to PNG, with its size in pixels, its printed label and the PDF's page count."""

    png: bytes
    width: int
    height: int
    pages: int
    label: str


def _folded(text: str) -> tuple[str, list[int]]:
    """The letters and digits of a text, NFKC and case folded, with the index in `text` each came from."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).casefold():
            if c.isalnum():
                out.append(c)
                where.append(i)
    return "".join(out), where


def quote_key(quote: str) -> str:
    """A quote's letters and digits as they are printed: the '(ref 12)' that ingest writes back to '12'."""
    return _folded(re.sub(r"\(ref ([^)]*)\)", r"\1", quote))[0]


def match_span(page_text: str, quote: str) -> tuple[int, int, float] | None:
    """(first, last) character index of the quote in the page's text and the share of it found, or None.

    The quote may run past the page's end (its sentence goes on overleaf): then the part that is on the
    page counts, when it is at least MIN_ANCHOR letters long.
    """
    key = quote_key(quote)
    if not key:
        return None
    hay, where = _folded(page_text)
    best: tuple[int, int, int] | None = None  # (matched, start, end) in hay
    for size in (24, MIN_ANCHOR):  # a long anchor first; a short one finds a start just above the page's end
        anchor = key[: min(len(key), size)]
        at = hay.find(anchor)
        while at >= 0:
            i, j, skipped, last = at, 0, 0, at
            while i < len(hay) and j < len(key):
                if hay[i] == key[j]:
                    last, i, j, skipped = i, i + 1, j + 1, 0
                elif skipped < MAX_SKIPPED:
                    i, skipped = i + 1, skipped + 1
                else:
                    break
            if best is None or j > best[0]:
                best = (j, at, last)
            if j == len(key):
                break
            at = hay.find(anchor, at + 1)
        if best is not None:
            break
    if best is None and len(key) > MIN_ANCHOR:  # the start is on the page before: try the quote's end
        tail = key[-min(len(key), 24):]
        at = hay.find(tail)
        if at >= 0:
            best = (len(tail), at, at + len(tail) - 1)
    if best is None or best[0] < min(MIN_ANCHOR, len(key)):
        return None
    matched, start, end = best
    return where[start], where[end], matched / len(key)


def _device_box(raw_page: Any, width: int, height: int, rect: tuple[float, float, float, float]) -> Box:
    """A rectangle in page space (left, bottom, right, top) as fractions of the rendered image."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    xs, ys = [], []
    dx, dy = ctypes.c_int(), ctypes.c_int()
    left, bottom, right, top = rect
    for px, py in ((left, bottom), (right, top), (left, top), (right, bottom)):
        pdfium_c.FPDF_PageToDevice(raw_page, 0, 0, width, height, 0, px, py, ctypes.byref(dx), ctypes.byref(dy))
        xs.append(dx.value)
        ys.append(dy.value)
    x0, x1 = max(min(xs), 0), min(max(xs), width)
    y0, y1 = max(min(ys), 0), min(max(ys), height)
    return Box(x0 / width, y0 / height, max(x1 - x0, 1) / width, max(y1 - y0, 1) / height)


def locate_quotes(path: Path, page_no: int, quotes: list[str], *, width: int = RENDER_WIDTH_PX) -> list[QuoteOnPage]:
    """Where each quote is on the 1-based page `page_no` of a PDF (a quote not found has no boxes)."""
    with PDFIUM_LOCK:
        return _locate(path, page_no, quotes, width)


def _locate(path: Path, page_no: int, quotes: list[str], width: int) -> list[QuoteOnPage]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        page = doc[page_no - 1]
        try:
            w_pt, h_pt = page.get_size()
            w_px, h_px = width, max(1, round(width * h_pt / w_pt))
            textpage = page.get_textpage()
            try:
                n = textpage.count_chars()
                text = textpage.get_text_range(0, n) if n else ""
                out = []
                for q in quotes:
                    span = match_span(text, q) if len(text) == n else None
                    if span is None:
                        out.append(QuoteOnPage(q, (), 0.0))
                        continue
                    first, last, share = span
                    rects = textpage.count_rects(first, last - first + 1)
                    boxes = tuple(_device_box(page.raw, w_px, h_px, textpage.get_rect(k)) for k in range(rects))
                    out.append(QuoteOnPage(q, boxes, share))
                return out
            finally:
                textpage.close()
        finally:
            page.close()
    finally:
        doc.close()


def page_labels(path: Path) -> list[str]:
    """The printed label of every page of the PDF ('1', '2', ... where it has none)."""
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument(str(path))
        try:
            return [doc.get_page_label(i) or str(i + 1) for i in range(len(doc))]
        finally:
            doc.close()


def render_page(path: Path, page_no: int, *, width: int = RENDER_WIDTH_PX) -> RenderedPage:
    """The 1-based page `page_no` of a PDF as a PNG `width` pixels wide (its own rotation and crop box)."""
    import io

    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument(str(path))
        try:
            pages = len(doc)
            label = doc.get_page_label(page_no - 1) or str(page_no)
            page = doc[page_no - 1]
            try:
                w_pt, _h_pt = page.get_size()
                bitmap = page.render(scale=width / w_pt, may_draw_forms=True)
                try:
                    image = bitmap.to_pil().convert("RGB")  # a copy: the bitmap's buffer is freed below
                finally:
                    bitmap.close()
            finally:
                page.close()
        finally:
            doc.close()
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    return RenderedPage(buf.getvalue(), image.width, image.height, pages, label)
