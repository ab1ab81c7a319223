"""Clean text from PDFs: paragraphs, printed page labels, footnotes, and no running headers or contents pages.

pypdf reads the file (encryption, outline, page labels, metadata). The text of each page comes from pypdfium2
where it is installed, because it keeps the layout we clean with (font size and position of every character)
and marks end-of-line hyphenation itself; pypdf's `extract_text()` is the fallback, cleaned by text rules only.

What cleaning does, page by page and then across pages:
- lines that repeat at the top or bottom of pages (running headers, footers) and page numbers are dropped;
- footnotes (small type at the foot of a page, each opening with its marker) become separate notes linked to
  their page, and their superscript markers are taken out of the body text;
- table-of-contents and index pages (dot leaders, page numbers at line ends) are recognised and set aside;
- the lines of a paragraph are joined, and end-of-line hyphenation is undone.

`extract_document(path)` is pure (a file in, an ExtractedDocument out) and reports progress per page.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit_assistant.errors import DocumentError
from toolkit_assistant.paragraphs import join_paragraph
from toolkit_assistant.pdflines import PDFIUM_LOCK, Line, pdfium_lines
from toolkit_assistant.structure import Block, parse_heading, roman_value
from toolkit_assistant.text import normalise

OnPage = Callable[[str, int, int], None]
"""Progress callback: on_page(file, page_no, pages_total), called after each page is read (page_no from 1)."""

LEADER = re.compile(r"(?:\s?\.){4,}\s*(?:[ivxlcdm]+|[A-Z]?-?\d+(?:\s*[,–-]\s*\d+)*)\s*$", re.IGNORECASE)
_BULLET = re.compile(r"^(?:[•◦▪‣∙·●○■□➢►–—*-]|\d{1,2}[.)]|\(?[a-z]\)|\(?[ivx]{1,4}\))\s")
_FOOTNOTE_START = re.compile(r"^(?P<m>\d{1,3}|[*†‡§¶])(?:[.)]?\s+|$)")
_ENDS = ('.', '!', '?', ':', ';', '"', '”', '’', ')', "'")


@dataclass(frozen=True)
class Footnote:
    """A footnote: its marker as printed, its text, and the page it is printed on."""

    marker: str
    text: str
    page: int
    label: str


@dataclass(frozen=True)
class PageText:
    """A page after cleaning.

    `kind` is "body", "contents" (a table of contents), "index", "title" (a first page of a longer document
    that holds only its title, authors and version, no sentence) or "blank"; only body pages give text to
    quote. `removed` holds the lines taken out (running headers, footers, page numbers, dot-leader lines).
    """

    page: int
    label: str
    kind: str
    blocks: tuple[Block, ...] = ()
    footnotes: tuple[Footnote, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExtractedDocument:
    """A PDF's cleaned text, page by page, with its outline and printed page labels."""

    path: Path
    title: str
    pages: tuple[PageText, ...]
    outline: tuple[tuple[int, str], ...] = ()  # (1-based page, title), in reading order
    engine: str = "pypdfium2"
    labels: tuple[str, ...] = ()

    def blocks(self) -> list[Block]:
        """The paragraphs of the body pages, in reading order."""
        return [b for p in self.pages if p.kind == "body" for b in p.blocks]

    def footnotes(self) -> list[Footnote]:
        """Every footnote, in page order."""
        return [f for p in self.pages for f in p.footnotes]

    def label(self, page: int) -> str:
        """The printed label of a 1-based page ('' when out of range)."""
        return self.labels[page - 1] if 0 < page <= len(self.labels) else ""


@dataclass
class _RawPage:
    index: int
    label: str
    lines: list[Line] = field(default_factory=list)
    height: float = 0.0


def extract_document(path: Path | str, *, on_page: OnPage | None = None, engine: str = "auto") -> ExtractedDocument:
    """Read a PDF and return its cleaned text.

    Args:
        path: the PDF file.
        on_page: called as on_page(str(path), page_no, pages_total) after each page is read.
        engine: "auto" (pypdfium2 when installed, else pypdf), "pypdfium2" or "pypdf".

    Raises:
        DocumentError: not a PDF, encrypted, corrupt, or without extractable text.
    """
    path = Path(path)
    reader = _open_reader(path)
    try:
        n_pages = len(reader.pages)
        labels = _page_labels(reader, n_pages)
        outline = _outline(reader)
        title = _meta_title(reader) or path.stem.replace("_", " ")
        raw, used = _read_pages(path, reader, labels, on_page, engine)
    except DocumentError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf and pdfium raise many kinds on damaged files
        raise DocumentError(f"{path}: corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from exc
    if not any(ln.text.strip() for p in raw for ln in p.lines):
        raise DocumentError(f"{path}: no extractable text ({n_pages} pages; a scanned PDF? run OCR on it first)")
    pages = clean_pages(raw)
    return ExtractedDocument(path, title, tuple(pages), tuple((p + 1, t) for p, t in outline), used, tuple(labels))


def _open_reader(path: Path) -> Any:
    from pypdf import PdfReader

    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise DocumentError(f"{path}: not a PDF (no %PDF- header; wrong extension?)")
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # noqa: BLE001
                raise DocumentError(f"{path}: encrypted PDF; cannot decrypt ({exc})") from exc
            if not ok:
                raise DocumentError(f"{path}: encrypted PDF (a password is needed); save an unencrypted copy")
        len(reader.pages)
    except DocumentError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise DocumentError(f"{path}: corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from exc
    return reader


def _page_labels(reader: Any, n: int) -> list[str]:
    try:
        labels = [str(x) for x in reader.page_labels]
    except Exception:  # noqa: BLE001 - a broken label tree: fall back to page numbers
        labels = []
    if len(labels) != n:
        labels = [str(i + 1) for i in range(n)]
    return labels


def _meta_title(reader: Any) -> str:
    try:
        return (reader.metadata.title or "").strip() if reader.metadata else ""
    except Exception:  # noqa: BLE001
        return ""


def _outline(reader: Any) -> list[tuple[int, str]]:
    """(0-based page, title) of the outline entries, flattened in reading order."""
    out: list[tuple[int, str]] = []

    def walk(items: Any) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
                continue
            try:
                page = reader.get_destination_page_number(item)
                title = normalise(str(item.title)).strip()
                if page is not None and page >= 0 and title:
                    out.append((int(page), title))
            except Exception:  # noqa: BLE001 - a broken outline entry is skipped
                continue

    try:
        walk(reader.outline)
    except Exception:  # noqa: BLE001 - no usable outline
        return []
    # keep reading order, but an entry never points before the one above it
    return sorted(out, key=lambda t: t[0])


def _read_pages(path: Path, reader: Any, labels: list[str], on_page: OnPage | None, engine: str) -> tuple[list[_RawPage], str]:
    n = len(reader.pages)
    pdfium_doc = None
    if engine in ("auto", "pypdfium2"):
        try:
            import pypdfium2 as pdfium

            with PDFIUM_LOCK:
                pdfium_doc = pdfium.PdfDocument(str(path))
        except ImportError:
            if engine == "pypdfium2":
                raise DocumentError(f"{path}: pypdfium2 is not installed (pip install pypdfium2)") from None
        except Exception:  # noqa: BLE001 - pdfium refused the file: pypdf may still read it
            pdfium_doc = None
    used = "pypdfium2" if pdfium_doc is not None else "pypdf"
    pages: list[_RawPage] = []
    try:
        for i in range(n):
            lines: list[Line] | None = None
            height = 0.0
            if pdfium_doc is not None:
                try:
                    with PDFIUM_LOCK:  # a page at a time, so a page image can be drawn between two pages
                        lines, height = pdfium_lines(pdfium_doc, i)
                except Exception:  # noqa: BLE001 - one page pdfium cannot read: ask pypdf
                    lines = None
            if lines is None:
                text = reader.pages[i].extract_text() or ""
                lines = [Line(normalise(t)) for t in text.split("\n")]
            pages.append(_RawPage(i, labels[i], lines, height))
            if on_page is not None:
                on_page(str(path), i + 1, n)
    finally:
        if pdfium_doc is not None:
            with PDFIUM_LOCK:
                pdfium_doc.close()
    return pages, used


# --- cleaning -----------------------------------------------------------------------------------------------------


def _key(text: str) -> str:
    """A line's form for spotting repeats: digits as '#', lower case, single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", text.lower())).strip()


def _is_page_number(text: str, label: str) -> bool:
    t = text.strip().strip("-–—·|").strip()
    if not t:
        return False
    if t == label or t.lower() == label.lower():
        return True
    if re.fullmatch(r"(?:page|p\.|pag\.|página|seite)?\s*[A-Z]?-?\d{1,4}(?:\s*(?:/|of|de|sur)\s*\d{1,4})?", t, re.IGNORECASE):
        return True
    return bool(roman_value(t.upper())) and len(t) <= 6 and t.lower() == t


def _strip_label(text: str, label: str) -> str:
    """A header line without the page's printed number at its start or end."""
    if not label:
        return text
    esc = re.escape(label)
    return re.sub(rf"^(?:{esc})\s+|\s+(?:{esc})$", "", text.strip())


def clean_pages(raw: list[_RawPage]) -> list[PageText]:
    """Clean every page: running lines, footnotes, contents and index pages, paragraphs."""
    body_size = _body_size(raw)
    running = _running_lines(raw)
    vocab = _vocabulary(raw)
    pages: list[PageText] = []
    for page in raw:
        lines = [ln for ln in page.lines if ln.text.strip()]
        removed: list[str] = []
        # running headers and footers: lines in the page's top and bottom bands (or its first and last two)
        for ln in _edge_lines(lines, page):
            if _is_running(ln, page, running, len(raw), body_size):
                removed.append(ln.text)
                lines.remove(ln)
        footnotes, lines = _split_footnotes(lines, page, body_size, vocab)
        kind = _page_kind(lines)
        if kind == "body" and page.index == 0 and len(raw) > TITLE_PAGE_MIN_PAGES and _title_page(lines):
            kind = "title"
        if kind != "body":
            pages.append(PageText(page.index + 1, page.label, kind, (), tuple(footnotes), tuple(removed)))
            continue
        kept = []
        for ln in lines:
            if LEADER.search(ln.text):
                removed.append(ln.text)
            elif body_size and ln.size and ln.size < 0.8 * body_size and re.fullmatch(r"[\d*†‡]{1,3}", ln.text):
                removed.append(ln.text)  # a footnote marker the extractor put on a line of its own
            else:
                kept.append(ln)
        blocks = _blocks(kept, page, body_size, vocab)
        pages.append(PageText(page.index + 1, page.label, "body" if blocks else "blank", tuple(blocks), tuple(footnotes), tuple(removed)))
    return _link_pages(pages)


def _body_size(raw: list[_RawPage]) -> float:
    sizes: Counter[float] = Counter()
    for p in raw:
        for ln in p.lines:
            if ln.size:
                sizes[round(ln.size, 1)] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _edge_lines(lines: list[Line], page: _RawPage) -> list[Line]:
    """Lines where running headers and footers sit: the top and bottom tenth of the page when positions are known
    (the content stream may draw them in any order), else the first two and the last two lines."""
    if page.height and lines and all(ln.y is not None for ln in lines):
        band = 0.1 * page.height
        edge = [ln for ln in lines if ln.y is not None and (ln.y >= page.height - band or ln.y <= band)]
        return edge[:6]
    return list(dict.fromkeys(lines[:2] + lines[-2:]))


def _running_lines(raw: list[_RawPage]) -> Counter[str]:
    """How many pages carry each line form in their header and footer places."""
    seen: Counter[str] = Counter()
    for p in raw:
        lines = [ln for ln in p.lines if ln.text.strip()]
        seen.update({_key(_strip_label(ln.text, p.label)) for ln in _edge_lines(lines, p)})
    return seen


def _is_running(ln: Line, page: _RawPage, running: Counter[str], pages: int, body: float = 0.0) -> bool:
    text = ln.text.strip()
    if _is_page_number(text, page.label):
        return True
    if body and 0 < ln.size <= 0.9 * body and _FOOTNOTE_START.match(text) and len(text.split()) >= 5:
        return False  # a footnote, even one that repeats
    stripped = _strip_label(text, page.label)
    count = running.get(_key(stripped), 0)
    if len(stripped.split()) > 14:
        return False
    return count >= 3 or (count >= 2 and (stripped != text or pages <= 4))


def _split_footnotes(lines: list[Line], page: _RawPage, body: float, vocab: set[str]) -> tuple[list[Footnote], list[Line]]:
    """Footnotes at the foot of the page (small type, each opening with its marker), and the lines above them."""
    if not body or not lines or lines[-1].size == 0:
        return [], lines
    i = len(lines)
    while i > 0 and 0 < lines[i - 1].size <= 0.9 * body:
        i -= 1
    zone = lines[i:]
    if not zone or i == 0 or not _FOOTNOTE_START.match(zone[0].text):
        return [], lines
    notes: list[tuple[str, list[str]]] = []
    for ln in zone:
        m = _FOOTNOTE_START.match(ln.text)
        starts_note = m is not None and (ln.x0 is None or zone[0].x0 is None or ln.x0 <= zone[0].x0 + 0.5 * body)
        if starts_note and m is not None:
            rest = ln.text[m.end() :].strip()
            notes.append((m.group("m"), [rest] if rest else []))
        elif notes:
            notes[-1][1].append(ln.text)
    out = [Footnote(marker, join_paragraph(parts, vocab), page.index + 1, page.label) for marker, parts in notes if parts]
    return out, lines[:i]


TITLE_PAGE_MIN_PAGES = 3  # a one- to three-page document's first page is its text, whatever it looks like
TITLE_PAGE_MAX_WORDS = 60


def _title_page(lines: list[Line]) -> bool:
    """True for a first page of a few words with no sentence: the title, authors, version ("Libtasn1 /
    Abstract Syntax Notation One (ASN.1) library for the GNU system / for version 4.19.0, 18 August 2022 /
    Fabio Fiorina ..."), which would otherwise be quoted as an answer to "what is libtasn1 for?"."""
    texts = [ln.text.strip() for ln in lines if ln.text.strip()]
    return (bool(texts) and sum(len(t.split()) for t in texts) <= TITLE_PAGE_MAX_WORDS
            and not any(re.search(r"[.!?;:]['’\")]?$", t) for t in texts))


def _page_kind(lines: list[Line]) -> str:
    """'contents' or 'index' for pages made of entries with page numbers, else 'body' ('blank' when empty)."""
    texts = [ln.text.strip() for ln in lines if ln.text.strip()]
    if not texts:
        return "blank"
    head = " ".join(texts[:3]).lower()
    leaders = sum(1 for t in texts if LEADER.search(t))
    numbered = [t for t in texts if re.search(r"\s(?:\d{1,4}|[ivxlc]{1,6})$", t) and len(t.split()) >= 2]
    nums = [int(m.group(1)) for t in numbered if (m := re.search(r"\s(\d{1,4})$", t))]
    rising = sum(1 for a, b in zip(nums, nums[1:], strict=False) if b >= a) / max(1, len(nums) - 1)
    listy = leaders >= 3 and leaders >= 0.3 * len(texts)
    listy = listy or (len(texts) >= 5 and len(numbered) >= 0.6 * len(texts) and (rising >= 0.8 or "content" in head or "index" in head))
    if not listy:
        return "body"
    if re.search(r"\bindex\b|\bíndice\b|\bindice\b", head) and not re.search(r"contents|table des|sommaire", head):
        return "index"
    return "contents"


def _vocabulary(raw: list[_RawPage]) -> set[str]:
    """Words of the whole document, to tell 'inter-' + 'national' (hyphenation) from 'well-' + 'known'."""
    vocab: set[str] = set()
    for p in raw:
        for ln in p.lines:
            vocab.update(w.lower() for w in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", ln.text))
    return vocab


def _blocks(lines: list[Line], page: _RawPage, body: float, vocab: set[str]) -> list[Block]:
    """Paragraphs of a page: lines joined until the layout or the text shows a new paragraph starts."""
    if not lines:
        return []
    geo = all(ln.y is not None and ln.x0 is not None for ln in lines)
    gaps = [a.y - b.y for a, b in zip(lines, lines[1:], strict=False) if geo and a.y is not None and b.y is not None and 0 < a.y - b.y < 3 * max(a.size, 1)]
    spacing = statistics.median(gaps) if gaps else 0.0
    longest = max(len(ln.text) for ln in lines)
    groups: list[list[Line]] = []
    for ln in lines:
        if not groups or _starts_block(groups[-1], ln, geo=geo, spacing=spacing, longest=longest, body=body):
            groups.append([ln])
        else:
            groups[-1].append(ln)
    blocks: list[Block] = []
    for group in groups:
        text = join_paragraph([ln.text for ln in group], vocab)
        size = group[0].size
        heading = bool(body and size and size >= 1.07 * body and len(text) < 160)
        blocks.append(Block(text, page.index + 1, page.label, heading=heading))
    return blocks


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith(_ENDS)


def _starts_block(group: list[Line], ln: Line, *, geo: bool, spacing: float, longest: int, body: float) -> bool:
    prev = group[-1]
    first = group[0]
    text = ln.text.strip()
    h = parse_heading(text)
    titled = h is not None and bool(h.title) and h.style not in ("para", "item", "subitem")
    if titled and (_ends_sentence(prev.text) or prev.size != ln.size or not geo):
        return True
    if _BULLET.match(text) and (_ends_sentence(prev.text) or prev.text.rstrip().endswith((",", "and", "or"))):
        return True
    if h is not None and h.style == "para" and _ends_sentence(prev.text):
        return True
    if not geo:
        return _ends_sentence(prev.text) and len(prev.text) < 0.7 * longest
    assert ln.y is not None and prev.y is not None and ln.x0 is not None and prev.x0 is not None
    size = max(ln.size, 1.0)
    if abs(ln.size - prev.size) > 0.07 * max(prev.size, 1.0):
        return True
    if ln.y > prev.y + 0.5 * size:
        # the text jumps up: a new column (or a float); the sentence may go on there
        return _ends_sentence(prev.text) or not text[:1].islower()
    gap = prev.y - ln.y
    if spacing and gap > 1.45 * spacing:
        return True
    hanging = bool(_BULLET.match(first.text.strip()))
    if hanging and first.x0 is not None and ln.x0 <= first.x0 + 0.5 * size and _ends_sentence(prev.text):
        return True  # back at the bullet's margin: the item has ended
    if ln.x0 > prev.x0 + 0.8 * size:
        if hanging and len(group) >= 1 and ln.x0 <= (first.x0 or 0) + 4 * size:
            return False  # the wrapped line of a list item
        return True  # an indented first line, or code
    if ln.x0 < prev.x0 - 0.8 * size:
        return not (len(group) == 1 and not hanging)  # back to the margin after an indented first line
    if _ends_sentence(prev.text) and prev.x1 is not None:
        right = max((x.x1 or 0) for x in group)
        if prev.x1 < right - 4 * size and len(group) > 1:
            return True  # the short last line of a paragraph
    return False


def _link_pages(pages: list[PageText]) -> list[PageText]:
    """Mark a page's first paragraph as going on from the previous page when its sentence is unfinished."""
    out: list[PageText] = []
    last_block: Block | None = None
    for p in pages:
        if p.kind != "body" or not p.blocks:
            out.append(p)
            if p.kind != "blank":
                last_block = None
            continue
        blocks = list(p.blocks)
        first = blocks[0]
        if last_block is not None and not last_block.heading and not first.heading and not _ends_sentence(last_block.text) and (
            first.text[:1].islower() or last_block.text.endswith("-")
        ):
            blocks[0] = Block(first.text, first.page, first.label, heading=False, continues=True)
        last_block = blocks[-1]
        out.append(PageText(p.page, p.label, p.kind, tuple(blocks), p.footnotes, p.removed))
    return out
