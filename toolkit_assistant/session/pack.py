"""The parts of a session pack: references, key points, themes, cases, objectives, the plan, questions, reading."""

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
    """A block of key points on one side of the topic (what it is, risks, guidance, safeguards)."""

    key: str
    heading: str
    question: str
    points: tuple[KeyPoint, ...]


@dataclass(frozen=True)
class CaseItem:
    """A case (or an example of a court's tool) from a document of kind 'case', told in its own words.

    `facts`, `holding` and `lesson` are quotations; a case study needs facts and a holding.
    """

    title: str
    doc_title: str
    facts: tuple[KeyPoint, ...] = ()
    holding: tuple[KeyPoint, ...] = ()
    lesson: tuple[KeyPoint, ...] = ()
    nearest_only: bool = False

    @property
    def points(self) -> tuple[KeyPoint, ...]:
        """Every quotation of the case: facts, then holding, then lesson."""
        return self.facts + self.holding + self.lesson

    @property
    def is_case_study(self) -> bool:
        """Whether there are facts and a decision to teach from."""
        return bool(self.facts and self.holding)


@dataclass(frozen=True)
class Objective:
    """A learning objective: what participants will be able to do (framing, no facts), and where it is covered."""

    text: str
    refs: tuple[int, ...]


@dataclass(frozen=True)
class OutlineItem:
    """One timed activity of the session plan.

    `kind` is one of opening, input, case_study, group_exercise, plenary, wrap_up, break; `detail` is the
    trainer's instruction (framing, no facts); `refs` are the passages the activity uses.
    """

    start: int
    minutes: int
    title: str
    detail: str
    refs: tuple[int, ...] = ()
    kind: str = ""


@dataclass(frozen=True)
class Question:
    """A discussion question: the quoted passage it starts from, and the question asked about it (framing)."""

    text: str
    quote: str = ""
    refs: tuple[int, ...] = ()


@dataclass(frozen=True)
class Exercise:
    """The small-group exercise: an invented scenario (framing, no facts), tasks, and the passages handed out."""

    scenario: str
    tasks: tuple[str, ...]
    refs: tuple[int, ...]
    family: str = "general"


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
    """Everything a trainer needs for one session, all of its facts drawn from the corpus."""

    topic: str
    minutes: int
    audience: str
    objectives: tuple[Objective, ...]
    outline: tuple[OutlineItem, ...]
    themes: tuple[Theme, ...]
    cases: tuple[CaseItem, ...]
    questions: tuple[Question, ...]
    reading: tuple[ReadingItem, ...]
    references: tuple[Reference, ...]
    created: str = ""
    notices: tuple[str, ...] = field(default_factory=tuple)
    exercise: Exercise | None = None
    language: str = "en"

    @property
    def case_study(self) -> CaseItem | None:
        """The case the plan's case study uses (the first case with facts and a holding)."""
        return next((c for c in self.cases if c.is_case_study), None)

    def key_points(self) -> list[KeyPoint]:
        """The themes' key points, in order."""
        return [p for t in self.themes for p in t.points]

    def quotes(self) -> list[tuple[str, str]]:
        """(chunk id, quoted text) for every quotation in the pack."""
        by_n = {r.n: r for r in self.references}
        out = [(r.chunk_id, r.quote) for r in self.references]
        out += [(by_n[p.refs[0]].chunk_id, p.text) for p in self.key_points()]
        for case in self.cases:
            out += [(by_n[p.refs[0]].chunk_id, p.text) for p in case.points]
        out += [(by_n[q.refs[0]].chunk_id, q.quote) for q in self.questions if q.quote]
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def to_markdown(self) -> str:
        """The trainer's pack as Markdown (document text has < and > escaped)."""
        from toolkit_assistant.session.markdown import render_markdown

        return render_markdown(self)
