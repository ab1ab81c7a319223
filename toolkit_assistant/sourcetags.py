"""The corpus's own source tags (``[S11]``, ``[seed 000]``): metadata of a sentence, never text to quote.

The study summaries mark each sentence with the public sources it rests on. At ingest the tags are taken
out of the text (so quotes, answers and exports never show them) and kept beside it, with the position
where each stood; the document's Sources section resolves each tag to a URL and a line of description.
A citation then names the sources of its own sentence ("this summary rests on: ...").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlparse

# a tag with the spaces before it: "... audiences. [S8][S9]" or "... (2019) [seed 001]"
_TAG = re.compile(r"[ \t]*\[(S\d{1,4}|seed \d{1,4})\]")
_URL = re.compile(r"https?://[^\s)\]>,;]+")


@dataclass(frozen=True)
class SourceRef:
    """One tag where it stood in a text, and what it resolves to (empty when the register lacks it)."""

    pos: int
    tag: str
    url: str = ""
    note: str = ""

    @property
    def host(self) -> str:
        """The URL's host, as a short title ('www.unesco.org')."""
        return urlparse(self.url).netloc if self.url else ""

    def to_dict(self) -> dict[str, str]:
        """The source as the Answer JSON shows it."""
        return {"tag": self.tag, "title": self.host or self.tag, "url": self.url, "note": self.note}


def strip_tags(text: str) -> tuple[str, list[tuple[int, str]]]:
    """The text without source tags, and (position in the stripped text, tag) for each tag taken out."""
    out: list[str] = []
    found: list[tuple[int, str]] = []
    last = 0
    length = 0
    for m in _TAG.finditer(text):
        piece = text[last : m.start()]
        out.append(piece)
        length += len(piece)
        found.append((length, m.group(1)))
        last = m.end()
    out.append(text[last:])
    return "".join(out), found


def parse_register(text: str) -> dict[str, tuple[str, str]]:
    """Tag -> (url, note) from a Sources section.

    Two shapes occur: ``- [S96] https://... gives the opinion text of State v. Loomis.`` (several tag-URL
    pairs may share a line and its note) and ``- https://... (cited as [seed 000])``.
    """
    register: dict[str, tuple[str, str]] = {}
    for line in text.split("\n"):
        line = line.strip().lstrip("-*• ").strip()
        if not line:
            continue
        pairs = re.findall(r"\[(S\d{1,4}|seed \d{1,4})\]\s*(https?://[^\s)\]>,;]+)", line)
        if not pairs:
            m = re.search(r"\(cited as ([^)]*)\)", line)
            url = _URL.search(line)
            if m:
                pairs = [(t, url.group(0) if url else "") for t in re.findall(r"\[(S\d{1,4}|seed \d{1,4})\]", m.group(1))]
        note = _URL.sub("", re.sub(r"\[(S\d{1,4}|seed \d{1,4})\]", "", line))
        note = re.sub(r"\(cited as[^)]*\)", "", note)
        note = re.sub(r"^(\s*(,|and)\s*)+", "", re.sub(r"\s+(,|and)(\s+(,|and))+\s+", " and ", note))
        note = re.sub(r"\s+", " ", note).strip(" ,;")
        for tag, url in pairs:
            register.setdefault(tag, (url.rstrip("."), note))
    return register


_COMMON_TITLE_WORDS = {"state", "the", "court", "courts", "supreme", "unesco", "and", "for", "with", "from", "sources"}


def section_refs(title: str, register: dict[str, tuple[str, str]]) -> list[SourceRef]:
    """Sources of a section whose sentences carry no tag: the register entries that name its subject.

    A case summary's section "Mata v. Avianca: facts" rests on the entries that cover Mata v. Avianca
    (matched on the names in the title, in the entry's note or URL). Position -1 marks them section-wide.
    """
    names = {
        w.lower() for w in re.findall(r"\b[A-Z][\w-]{3,}", title) if w.lower() not in _COMMON_TITLE_WORDS
    }
    if not names:
        return []
    out = []
    for tag, (url, note) in register.items():
        hay = f"{url} {note}".lower()
        if any(n in hay for n in names):
            out.append(SourceRef(-1, tag, url, note))
    return out


def encode(refs: list[SourceRef]) -> str:
    """Refs as the compact JSON string a chunk's metadata carries."""
    return json.dumps([[r.pos, r.tag, r.url, r.note] for r in refs], ensure_ascii=False) if refs else ""


def decode(raw: str) -> list[SourceRef]:
    """Refs from a chunk's metadata string (empty for none or a damaged value)."""
    if not raw:
        return []
    try:
        return [SourceRef(int(p), str(t), str(u), str(n)) for p, t, u, n in json.loads(raw)]
    except (ValueError, TypeError):
        return []


def refs_in(refs: list[SourceRef], start: int, end: int) -> list[SourceRef]:
    """The refs that belong to the text span [start, end): tags that stood inside it or right at its end,
    else the section-wide ones (position -1) when the span's sentences carry no tag of their own."""
    seen: set[str] = set()
    out = []
    for r in refs:
        if start < r.pos <= end and r.tag not in seen:
            seen.add(r.tag)
            out.append(r)
    return out or [r for r in refs if r.pos < 0]


def looks_like_tag_text(text: str) -> bool:
    """True if a text still shows a corpus source tag (for checks on answers and exports)."""
    return bool(_TAG.search(text))
