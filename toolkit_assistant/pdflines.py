"""The lines of a PDF page as pypdfium2 reads them: text with font size and position, superscripts apart."""

from __future__ import annotations

import re
import statistics
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from toolkit_assistant.text import normalise

# PDFium is not thread-safe, not even across documents (pypdfium2's docs): every call into it in this process
# (ingest's extraction, the app's page images) holds this lock
PDFIUM_LOCK = threading.RLock()

@dataclass(frozen=True)
class Line:
    """One line of a page as extracted: its text and, when the extractor knows them, its geometry.

    `size` is the font size of most of its characters (0 when unknown); `x0`, `x1` its left and right edges
    and `y` its baseline, in PDF units from the page's bottom (None when unknown).
    """

    text: str
    size: float = 0.0
    x0: float | None = None
    x1: float | None = None
    y: float | None = None



def pdfium_lines(doc: Any, index: int) -> tuple[list[Line], float]:
    """Lines of one page with their font size and position, superscript footnote markers taken out."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    page = doc[index]
    textpage = page.get_textpage()
    try:
        height = float(page.get_height())
        n = textpage.count_chars()
        text = textpage.get_text_range(0, n) if n else ""
        if len(text) != n:  # characters and text do not line up: use the text alone
            return [Line(normalise(t)) for t in re.split(r"\r\n|\r|\n", text)], height
        raw = textpage.raw
        x = ctypes.c_double()
        y = ctypes.c_double()
        lines: list[Line] = []
        start = 0
        for m in re.finditer(r"\r\n|\r|\n|$", text):
            end = m.start()
            if end > start:
                chars: list[tuple[str, float, float, float]] = []
                for k in range(start, end):
                    ch = text[k]
                    if ch == "\ufffe":  # pdfium's mark for a hyphen that breaks a word at a line end
                        chars.append(("\ufffe", 0.0, 0.0, 0.0))
                        continue
                    if ch.isspace():
                        chars.append((" ", 0.0, 0.0, 0.0))
                        continue
                    size = float(pdfium_c.FPDFText_GetFontSize(raw, k))
                    pdfium_c.FPDFText_GetCharOrigin(raw, k, ctypes.byref(x), ctypes.byref(y))
                    chars.append((ch, size, x.value, y.value))
                for piece in _visual_lines(chars):
                    line = _line_from_chars(piece)
                    if line is not None:
                        lines.append(line)
            start = m.end()
            if m.end() == len(text):
                break
        return _merge_same_baseline(lines), height
    finally:
        textpage.close()
        page.close()


def _visual_lines(chars: list[tuple[str, float, float, float]]) -> list[list[tuple[str, float, float, float]]]:
    """Split where the text goes back to the left on a lower baseline (pdfium joins lines at a hyphenation)."""
    out: list[list[tuple[str, float, float, float]]] = [[]]
    last: tuple[str, float, float, float] | None = None
    for ch in chars:
        if ch[1] > 0:
            if last is not None and ch[3] < last[3] - 0.6 * max(ch[1], 1.0) and ch[2] < last[2] - 2 * max(ch[1], 1.0):
                out.append([])
            last = ch
        out[-1].append(ch)
    return [piece for piece in out if piece]


def _line_from_chars(chars: list[tuple[str, float, float, float]]) -> Line | None:
    sized = [(c, s, x, y) for c, s, x, y in chars if s > 0]
    if not sized:
        text = "".join(c for c, *_ in chars).strip()
        return Line(normalise(text)) if text else None
    sizes = Counter(round(s, 1) for _, s, _, _ in sized)
    body = sizes.most_common(1)[0][0]
    base = statistics.median(y for _, s, _, y in sized if round(s, 1) == body)
    out = []
    for i, (c, s, _x, yy) in enumerate(chars):
        # a superscript footnote marker: small, raised, right after a word ("allowed1")
        if s and s < 0.8 * body and yy > base + 0.15 * body and (c.isdigit() or c in "*†‡") and i > 0 and not chars[i - 1][0].isspace():
            continue
        out.append(c)
    text = normalise("".join(out)).strip()
    if not text:
        return None
    xs = [x for _, s, x, _ in sized]
    last = sized[-1]
    return Line(text, body, min(xs), last[2] + 0.5 * last[1], base)


def _merge_same_baseline(lines: list[Line]) -> list[Line]:
    """Join pieces of one printed line that the extractor split (a superscript, a tab stop)."""
    out: list[Line] = []
    for ln in lines:
        prev = out[-1] if out else None
        if (
            prev is not None and prev.y is not None and ln.y is not None and prev.x1 is not None and ln.x0 is not None
            and abs(prev.y - ln.y) <= 0.35 * max(prev.size, 1.0) and ln.x0 >= prev.x1 - 1
            and abs(prev.size - ln.size) <= 0.2 * max(prev.size, 1.0)
        ):
            out[-1] = Line(f"{prev.text} {ln.text}", prev.size, prev.x0, ln.x1, prev.y)
            continue
        out.append(ln)
    return out
