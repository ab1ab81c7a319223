"""The parts of a session pack: references, key points, themes, cases, objectives, outline, reading."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


def section_label(section: str, section_title: str, page: int | None = None) -> str:
    """'§7 Algorithmic bias' (a section without a number: its title), and ', p. 12' for a PDF page."""
    label = f"§{section} {section_title}".strip() if section else section_title
    return f"{label}, p. {page}" if page else label


@dataclass(frozen=True)
class Reference:
    """One numbered source of the pack: a chunk and the exact passage quoted from it."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    section: str
    section_title: str
    page: int | None
    year: str
    status: str
    source_url: str
    quote: str

    @property
    def where(self) -> str:
        """'§7 Algorithmic bias' (and the page, for PDFs)."""
        return section_label(self.section, self.section_title, self.page)


@dataclass(frozen=True)
class KeyPoint:
    """A quotation from the corpus and the reference numbers it rests on."""

    text: str
    refs: tuple[int, ...]


@dataclass(frozen=True)
class Theme:
    """A block of key points answering one question about the topic."""

    key: str
    heading: str
    question: str
    points: tuple[KeyPoint, ...]


@dataclass(frozen=True)
class CaseItem:
    """A case (or example) to present, from a document of kind 'case', told in its own words."""

    title: str
    doc_title: str
    points: tuple[KeyPoint, ...]
    nearest_only: bool = False


@dataclass(frozen=True)
class Objective:
    """A learning objective, templated around a cited section."""

    text: str
    refs: tuple[int, ...]


@dataclass(frozen=True)
class OutlineItem:
    """One timed part of the session."""

    start: int
    minutes: int
    title: str
    detail: str
    refs: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReadingItem:
    """A document section to read further, with its source URL."""

    title: str
    where: str
    source_url: str
    doc_id: str
    year: str
    status: str


@dataclass(frozen=True)
class SessionPack:
    """Everything a trainer needs for one session, all of it drawn from the corpus."""

    topic: str
    minutes: int
    audience: str
    objectives: tuple[Objective, ...]
    outline: tuple[OutlineItem, ...]
    themes: tuple[Theme, ...]
    cases: tuple[CaseItem, ...]
    questions: tuple[str, ...]
    reading: tuple[ReadingItem, ...]
    references: tuple[Reference, ...]
    created: str = ""
    notices: tuple[str, ...] = field(default_factory=tuple)

    def quotes(self) -> list[tuple[str, str]]:
        """(chunk id, quoted text) for every quotation in the pack."""
        by_n = {r.n: r for r in self.references}
        out = [(r.chunk_id, r.quote) for r in self.references]
        for theme in self.themes:
            out += [(by_n[p.refs[0]].chunk_id, p.text) for p in theme.points]
        for case in self.cases:
            out += [(by_n[p.refs[0]].chunk_id, p.text) for p in case.points]
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def to_markdown(self) -> str:
        """The pack as a Markdown document (document text has < and > escaped)."""
        from toolkit_assistant.session.markdown import render_markdown

        return render_markdown(self)
