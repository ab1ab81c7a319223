"""Numbered headings and paragraphs as legal and UN documents write them, found in plain text and PDFs.

A document's structure comes from its PDF outline where it has one, otherwise from the headings in its text:
decimal numbers ("1.", "1.2", "2.3.1"), roman numerals ("IV. Remedies"), "Chapter II", "Part I", "Article 5",
"Principle 3", letter headings ("A. Scope"), numbered paragraphs ("12. The Special Rapporteur ...") and their
sub-paragraphs ("(a)", "a)"). Each section keeps the number and the title as the document writes them.

Everything here is pure: lines and blocks in, sections out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_ROMAN = re.compile(r"^(?=[MDCLXVI])M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_WORDS = (
    "part", "chapter", "title", "article", "art.", "principle", "section", "rule", "annex", "appendix",
    "recommendation", "schedule", "book", "partie", "chapitre", "titre", "article", "principe", "annexe",
    "parte", "capítulo", "título", "artículo", "principio", "anexo", "apéndice",
)
_WORD_HEADING = re.compile(
    r"^(?P<word>" + "|".join(re.escape(w) for w in sorted(set(_WORDS), key=len, reverse=True)) + r")"
    r"\s+(?P<num>\d+(?:\.\d+)*|[IVXLCDM]+|[A-Z])\b\.?(?:\s*[:.–—-]\s*|\s+|$)(?P<rest>.*)$",
    re.IGNORECASE,
)
_DECIMAL = re.compile(r"^(?P<num>\d{1,3}(?:\.\d{1,3}){0,4})(?P<dot>\.?)(?:\s+|\s*$)(?P<rest>.*)$")
_ROMAN_HEADING = re.compile(r"^(?P<num>[IVXLCDM]{1,7})\.?\s+(?P<rest>\S.*)$")
_LETTER_HEADING = re.compile(r"^(?P<num>[A-Z])\.\s+(?P<rest>\S.*)$")
_ITEM = re.compile(r"^(?:\((?P<p>[a-z]{1,2}|[ivx]{1,5})\)|(?P<b>[a-z])\))\s+(?P<rest>\S.*)$")
_SMALL_WORDS = {
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to", "with",
    "de", "du", "des", "la", "le", "les", "et", "el", "los", "las", "y", "en", "del", "l", "d", "und",
}


@dataclass(frozen=True)
class Heading:
    """A heading or numbered paragraph as the document writes it.

    `number` is what citations show ("1.2", "IV", "Article 5", "A", "(a)"); `style` says which numbering
    it follows ("decimal-2", "roman", "article", "letter", "para", "item", "plain"); `title` is the heading's
    words (empty for a numbered paragraph); `rest` is body text that follows on the same line.
    """

    number: str
    title: str
    style: str
    value: int = 0
    rest: str = ""


def roman_value(text: str) -> int:
    """The value of a roman numeral (0 when it is not one)."""
    text = text.upper()
    if not text or not _ROMAN.match(text):
        return 0
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, ch in enumerate(text):
        v = values[ch]
        total += -v if i + 1 < len(text) and values[text[i + 1]] > v else v
    return total


def _number_value(num: str) -> int:
    if num.isdigit():
        return int(num)
    r = roman_value(num)
    if r:
        return r
    if len(num) == 1 and num.isalpha():
        return ord(num.upper()) - ord("A") + 1
    return 0


_VERBS = {"is", "are", "was", "were", "be", "been", "means", "mean", "shall", "must", "will", "has", "have", "does",
          "can", "should", "includes", "refers", "applies", "est", "sont", "es", "son"}


def _title_like(text: str, *, max_words: int = 14) -> bool:
    """Short, and most of its words capitalised (or all in capitals): a heading's words, not a sentence."""
    words = re.findall(r"[^\W\d_][\w'’-]*", text)
    if not words or len(text.split()) > max_words or len(text) > 110:
        return False
    if any(w in _VERBS for w in words) and not text.rstrip().endswith("?"):
        return False  # "Contribution" means ...: a sentence
    if text.rstrip().endswith((",", ";")):
        return False
    content = [w for w in words if w.lower() not in _SMALL_WORDS]
    if not content:
        return False
    caps = sum(1 for w in content if w[0].isupper())
    return caps / len(content) >= 0.6 or (words[0][0].isupper() and len(words) <= 4 and not text.rstrip().endswith((":", ".")))


def _split_title(rest: str) -> tuple[str, str]:
    """Split 'Grant of Copyright License. Subject to ...' into the title and the body that follows it."""
    rest = rest.strip()
    caps = re.match(r"^((?:[A-Z][A-Z'’-]+\b[ ,]*){1,8})(?=\s+[A-Z“\"][a-z])", rest)
    if caps and sum(c.isalpha() for c in caps.group(1)) >= 4:  # "PREAMBLE The purpose of ..."
        return caps.group(1).strip(" ,"), rest[caps.end() :].strip()
    m = re.match(r"^(.{2,110}?)([.:—–])(?:\s+(.*))?$", rest)
    if m and m.group(2) == ":" and not m.group(3):
        return "", rest  # "It covers forty-two countries:" leads into a list
    if m and _title_like(m.group(1)) and (m.group(3) is None or m.group(3)[:1].isupper() or m.group(3)[:1] in "\"“("):
        return m.group(1).strip(), (m.group(3) or "").strip()
    if _title_like(rest) and not re.search(r"[.!]$", rest.rstrip("'\"”’")) or re.fullmatch(r"[^.!?]{2,80}[.:]", rest) and _title_like(rest):
        return rest.rstrip(".:").strip(), ""
    return "", rest


def parse_heading(line: str) -> Heading | None:
    """Read a line's numbering: a heading ("2.1 Naming", "Article 5 - Scope"), a numbered paragraph or an item.

    Returns None when the line starts with no numbering. A numbered line whose words read as a sentence,
    not a title, comes back as style "para" (a numbered paragraph) with the sentence in `rest`.
    """
    text = line.strip()
    if not text:
        return None
    m = _WORD_HEADING.match(text)
    if m and (m.group("num").isdigit() or roman_value(m.group("num")) or len(m.group("num")) == 1):
        word = m.group("word").rstrip(".")
        word = "Article" if word.lower() == "art" else word[:1].upper() + word[1:].lower()
        num = m.group("num")
        title, rest = _split_title(m.group("rest")) if m.group("rest") else ("", "")
        if m.group("rest") and not title and len(m.group("rest").split()) > 3 and not m.group("rest")[:1].isupper():
            return None  # "Article 5 of the Convention provides ..." is a sentence
        return Heading(f"{word} {num}", title, word.lower(), _number_value(num), rest)
    m = _DECIMAL.match(text)
    if m:
        num = m.group("num")
        parts = num.split(".")
        rest = m.group("rest")
        if len(parts) == 1 and not m.group("dot") and not rest:
            return None  # a bare number: a page number or a table cell
        if len(parts) == 1 and int(num) > 500:
            return None  # a year or an amount
        if not rest:
            return Heading(num, "", f"decimal-{len(parts)}", int(parts[-1]))
        if len(parts) == 1 and not m.group("dot"):
            # "1 Introduction" (texinfo style) is a heading; "3 judges said" is not
            if not _title_like(rest, max_words=10) or rest.rstrip().endswith("."):
                return None
        title, body = _split_title(rest)
        if title:
            return Heading(num, title, f"decimal-{len(parts)}", int(parts[-1]), body)
        opens = rest[:1].isupper() or rest[:1] in "\"“‘'("
        if len(parts) == 1 and m.group("dot") and opens:
            return Heading(num, "", "para", int(num), rest)
        if len(parts) > 1 and opens:
            return Heading(num, "", f"decimal-{len(parts)}", int(parts[-1]), rest)  # a numbered clause
        return None
    m = _ROMAN_HEADING.match(text)
    if m and roman_value(m.group("num")):
        title, body = _split_title(m.group("rest"))
        if title and (text[len(m.group("num")) : len(m.group("num")) + 1] == "." or _title_like(m.group("rest"), max_words=8)):
            return Heading(m.group("num"), title, "roman", roman_value(m.group("num")), body)
        return None
    m = _LETTER_HEADING.match(text)
    if m:
        title, body = _split_title(m.group("rest"))
        if title and not body:
            return Heading(m.group("num"), title, "letter", _number_value(m.group("num")))
        return None
    m = _ITEM.match(text)
    if m:
        label = m.group("p") or m.group("b")
        value = roman_value(label) if m.group("p") and re.fullmatch(r"[ivx]+", label) and label != "i" and len(label) > 1 else 0
        style = "subitem" if value else "item"
        value = value or (ord(label[0]) - ord("a") + 1 if len(label) == 1 else 0)
        if not value:
            return None
        return Heading(f"({label})", "", style, value, m.group("rest"))
    return None


def plain_heading(line: str, *, centered: bool = False) -> str:
    """The words of an unnumbered heading line ("Preamble", "TERMS AND CONDITIONS"), or ''."""
    text = line.strip()
    if not text or len(text.split()) > 10 or len(text) > 80:
        return ""
    if not re.search(r"[^\W\d_]{2}", text) or re.search(r"[,;]$", text) or text.startswith(("<", "(", "[", "-", "•", "*", "$", ">")):
        return ""
    letters = [c for c in text if c.isalpha()]
    all_caps = bool(letters) and all(c.isupper() for c in letters) and len(letters) >= 4
    if all_caps or (centered and _title_like(text.rstrip(".:"), max_words=10)):
        return text.rstrip(":").strip()
    return ""


@dataclass(frozen=True)
class Block:
    """A paragraph (or heading line) of a document, with where it came from.

    `page` is the 1-based PDF page and `label` the printed page number (both empty for plain text);
    `heading` is True when the layout marks it as a heading (a larger font, a centred short line).
    """

    text: str
    page: int | None = None
    label: str = ""
    heading: bool = False
    continues: bool = False  # the paragraph goes on from the previous block (across a page or column break)


@dataclass
class SectionSpec:
    """A section found in a document: number and title as written, its text, and where each page starts in it."""

    number: str
    title: str
    text: str = ""
    pages: list[tuple[int, int, str]] = field(default_factory=list)  # (offset in text, page, printed label)
    role: str = ""  # "" for the body, "footnote" for a footnote

    def append(self, text: str, page: int | None, label: str, *, join: bool = False) -> None:
        """Add a paragraph (or, with join, the rest of the last one), noting the page it starts on."""
        if not text:
            return
        sep = "" if not self.text else (" " if join else "\n\n")
        if join and re.search(r"[^\W\d_]-$", self.text) and text[:1].islower():
            self.text, sep = self.text[:-1], ""  # a word hyphenated across a page break
        start = len(self.text) + len(sep)
        if page is not None and (not self.pages or self.pages[-1][1] != page):
            self.pages.append((start, page, label))
        self.text += sep + text


@dataclass
class _Open:
    style: str
    number: str
    title: str
    value: int


class _Outline:
    """Which styles are open, in order of first appearance, and the numbers last seen in each."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.stack: list[_Open] = []
        self.last: dict[tuple[str, str], int] = {}

    def level(self, style: str) -> int:
        if style in ("para",):
            return 90
        if style == "item":
            return 91
        if style == "subitem":
            return 92
        if style not in self.order:
            self.order.append(style)
        if style.startswith("decimal-"):
            # deeper decimals always sit under shallower ones
            return 10 * (1 + min((self.order.index(s) for s in self.order if s.startswith("decimal-")), default=0)) + int(style.split("-")[1])
        return 10 * self.order.index(style)

    def parent_key(self, style: str) -> str:
        if style == "para":
            return ""  # paragraph numbers run through the whole document
        lvl = self.level(style)
        above = [o for o in self.stack if self.level(o.style) < lvl]
        return above[-1].number if above else ""

    def fits(self, h: Heading, *, strong: bool) -> bool:
        """Does the heading continue its numbering (or is the layout sure of it)?"""
        if strong:
            return True
        if h.style.startswith("decimal-") and h.style != "decimal-1":
            parent = ".".join(h.number.split(".")[:-1])
            open_numbers = {o.number for o in self.stack}
            if parent not in open_numbers and not strong:
                return False
        prev = self.last.get((h.style, self.parent_key(h.style)))
        if prev is None:
            return strong or h.value <= 2 or h.style == "para" and h.value <= 3
        return h.value == prev + 1 or (strong and h.value > prev) or h.value == prev + 2 and h.style == "para"

    def push(self, h: Heading) -> None:
        lvl = self.level(h.style)
        key = self.parent_key(h.style)
        while self.stack and self.level(self.stack[-1].style) >= lvl:
            self.stack.pop()
        self.stack.append(_Open(h.style, h.number, h.title, h.value))
        self.last[(h.style, key)] = h.value
        # numbering below this heading starts afresh
        for k in [k for k in self.last if k[1] == h.number and k[0] != h.style]:
            del self.last[k]

    def section_id(self, h: Heading) -> tuple[str, str]:
        """(number as cited, title) for a heading just pushed."""
        if h.style in ("item", "subitem"):
            parent = next((o for o in reversed(self.stack[:-1]) if o.style not in ("item", "subitem")), None)
            pnum = parent.number if parent else ""
            if h.style == "subitem":
                item = next((o for o in reversed(self.stack[:-1]) if o.style == "item"), None)
                pnum += item.number if item else ""
            titled = next((o for o in reversed(self.stack[:-1]) if o.title), None)
            return f"{pnum}{h.number}", titled.title if titled else ""
        if h.style == "letter":
            parent = next((o for o in reversed(self.stack[:-1]) if o.style in ("roman", "chapter", "part")), None)
            return (f"{parent.number}.{h.number}" if parent else h.number), h.title
        if style_untitled(h):
            parent = next((o for o in reversed(self.stack[:-1]) if o.title), None)
            return h.number, parent.title if parent else ""
        return h.number, h.title


def style_untitled(h: Heading) -> bool:
    """A numbered paragraph or clause, whose citation borrows the title of the heading above it."""
    return h.style == "para" or (h.style.startswith("decimal-") and not h.title)


def _normal(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.lower()).strip()


def build_sections(
    blocks: Sequence[Block],
    *,
    doc_title: str,
    outline: Sequence[tuple[int, str]] = (),
    front: str = "front",
    found: list[tuple[str, str]] | None = None,
) -> list[SectionSpec]:
    """Group blocks into sections under their headings.

    With an outline ((page, title) pairs from a PDF), its entries are the section starts: each is placed at
    the block on its page that starts with its title, or else at the page's first block. Without one, the
    headings come from the blocks: numbered headings that continue their numbering, numbered paragraphs,
    (a)-items, and unnumbered lines the layout marks as headings.

    Returns sections in reading order; text before the first heading goes to section `front`, titled
    `doc_title`. Section numbers may repeat (a paragraph after a section's (a)-items goes on in the section).
    Every heading recognised, empty sections' too, is appended to `found` as (number, title).
    """
    sections: list[SectionSpec] = [SectionSpec(front, doc_title)]
    tracker = _Outline()
    starts = _outline_starts(blocks, outline) if outline else {}
    used: dict[str, int] = {}

    def open_section(number: str, title: str) -> SectionSpec:
        if found is not None and (not found or found[-1] != (number, title)):
            found.append((number, title))
        spec = SectionSpec(number, title)
        sections.append(spec)
        return spec

    # where the layout marks some headings of a numbering style (a larger font), it marks all of them
    layout_styles = {
        h.style for b in blocks if b.heading and (h := parse_heading(b.text.strip())) is not None
        and h.style not in ("para", "item", "subitem")
    }
    current = sections[0]
    for i, block in enumerate(blocks):
        text = block.text.strip()
        if not text:
            continue
        if i == 0 and block.heading and not outline and not parse_heading(text):
            sections[0].title = text  # the document's own title line
            continue
        if block.continues and current.text:
            current.append(text, block.page, block.label, join=True)
            continue
        if i in starts:
            number, title = starts[i]
            h = parse_heading(number)
            if h and h.style != "para":
                tracker.push(h)
            current = open_section(*_unique(number, title, used))
            # drop the heading's own words from the body; keep what follows them on the line
            current.append(_after_heading(text, title, number), block.page, block.label)
            continue
        h = parse_heading(text)
        if block.heading and (h is None or h.style == "para"):
            # the layout marks it as a heading: its words are the title, however they are written ("6.3.2 macOS")
            m = re.match(r"^(\d{1,3}(?:\.\d{1,3}){0,4})\.?\s+(\S.{0,120})$", text)
            r = re.match(r"^([IVXLCDM]{1,7}|[A-Z])\.\s+(\S.{0,120})$", text)
            if m:
                parts = m.group(1).split(".")
                h = Heading(m.group(1), m.group(2).strip(), f"decimal-{len(parts)}", int(parts[-1]))
            elif r and roman_value(r.group(1)) and not (len(r.group(1)) == 1 and r.group(1) not in "IVX"):
                h = Heading(r.group(1), r.group(2).strip(), "roman", roman_value(r.group(1)))
            elif r and len(r.group(1)) == 1:
                h = Heading(r.group(1), r.group(2).strip(), "letter", _number_value(r.group(1)))
        if h is not None:
            strong = block.heading and h.style not in ("para", "item", "subitem")
            if h.style in ("item", "subitem") and not tracker.stack:
                h = None
            elif not strong and h.style in layout_styles:
                h = None
            elif not tracker.fits(h, strong=strong):
                h = None
            elif not outline or h.style in ("item", "subitem"):
                tracker.push(h)
                number, title = tracker.section_id(h)
                current = open_section(*_unique(number, title, used, repeat_ok=True))
                current.append(h.rest, block.page, block.label)
                continue
            else:
                h = None
        if h is None and not outline and block.heading:
            words = plain_heading(text, centered=True) or (text if len(text.split()) <= 10 and not text.endswith(".") else "")
            if words:
                current = open_section(*_unique(_slug(words), words, used))
                continue
        if tracker.stack and tracker.stack[-1].style in ("item", "subitem") and not text[:1].islower():
            # a paragraph after the items of a list goes on in the section that holds the list
            while tracker.stack and tracker.stack[-1].style in ("item", "subitem"):
                tracker.stack.pop()
            parent = tracker.stack[-1] if tracker.stack else None
            if parent is not None:
                number, title = parent.number, parent.title
                if parent.style == "para":
                    number, title = tracker.section_id(Heading(parent.number, "", "para", parent.value))
                current = open_section(number, title)
        current.append(text, block.page, block.label)
    return [s for s in sections if s.text.strip()]


def _after_heading(text: str, title: str, number: str = "") -> str:
    """What follows a heading's number and words at the start of a block (the block itself when it does not start so)."""
    pattern = r"\W*".join(re.escape(w) for w in re.findall(r"\w+", title))
    num = r"\W*".join(re.escape(w) for w in re.findall(r"\w+", number))
    lead = rf"(?:(?:appendix|annex|chapter|part)\s+)?(?:{num}\W*)?" if num else r"(?:[\w.]{1,8}\s+)?"
    m = re.match(r"\W*" + lead + pattern + r"[\s.:?!—–-]*", text, re.IGNORECASE)
    return text[m.end() :].strip() if m else text


def _outline_starts(blocks: Sequence[Block], outline: Sequence[tuple[int, str]]) -> dict[int, tuple[str, str]]:
    """Block index -> (section number, title) for each outline entry."""
    by_page: dict[int, list[int]] = {}
    for i, b in enumerate(blocks):
        if b.page is not None and b.text.strip() and not b.continues:
            by_page.setdefault(b.page, []).append(i)
    starts: dict[int, tuple[str, str]] = {}
    last_block = -1
    for page, entry in outline:
        number, title = split_number(entry)
        target = _normal(entry)
        found = None
        for p in (page, page + 1):
            for i in by_page.get(p, []):
                if i <= last_block:
                    continue
                text = _normal(blocks[i].text)
                block_number, block_title = split_number(blocks[i].text[: len(entry) + 24])
                if text.startswith(target) or (
                    len(title) > 3 and (text.startswith(_normal(title)) or _normal(block_title).startswith(_normal(title)))
                ):
                    found = i
                    if not number and block_number and _normal(block_title).startswith(_normal(title)):
                        number = block_number  # the outline leaves out the number the page prints
                    break
            if found is not None:
                break
        if found is None:
            candidates = [i for i in by_page.get(page, []) if i > last_block]
            found = candidates[0] if candidates else None
        if found is None or found in starts:
            continue
        starts[found] = (number or _slug(title), title)
        last_block = found
    return starts


def split_number(heading: str) -> tuple[str, str]:
    """('2.1', 'Naming') from '2.1 Naming'; ('Article 5', 'Scope') from 'Article 5. Scope'; ('', t) when unnumbered."""
    text = heading.strip()
    m = re.match(r"^(?:appendix|annex)\s+([A-Z])\b[\s.:—–-]*(.*)$", text, re.IGNORECASE)
    if m:
        word = text.split()[0]
        return f"{word[:1].upper()}{word[1:].lower()} {m.group(1)}", m.group(2).strip() or text
    h = parse_heading(text)
    if h is None or h.style in ("para", "item", "subitem"):
        m = re.match(r"^(\d+(?:\.\d+)*\.?|[IVXLC]{2,}\.?|[A-Z]\.|[A-Z]\.\d+(?:\.\d+)*\.?)\s+(\S.*)$", text)
        if m:
            return m.group(1).rstrip("."), m.group(2).strip()
        return "", text
    return h.number, (h.title or h.rest or text).strip()


def _slug(text: str) -> str:
    from toolkit_assistant.text import slug

    return slug(text)[:40]


def _unique(number: str, title: str, used: dict[str, int], *, repeat_ok: bool = False) -> tuple[str, str]:
    """Keep section numbers distinct ('preamble', 'preamble-2'), unless the document repeats them on purpose."""
    n = used.get(number, 0)
    used[number] = n + 1
    if n and not repeat_ok:
        return f"{number}-{n + 1}", title
    return number, title
