"""The participants' handout: objectives, key points, the case, the exercise with its passages, the questions.

No timings and no trainer's instructions. The handout is a list of blocks (heading, paragraph, list item,
quotation, note) that the Markdown here and the Word file (office.py) both render, so they hold the same text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit_assistant.session.markdown import marks, md_text
from toolkit_assistant.session.wording import Wording

if TYPE_CHECKING:
    from toolkit_assistant.session.pack import CaseItem, KeyPoint, SessionPack

# block kinds: h1 h2 h3 p label note bullet number
NUMBERED = "number"


@dataclass(frozen=True)
class Block:
    """One block of a document: its kind and its plain text ([n] citation marks included)."""

    kind: str
    text: str


def cited(p: KeyPoint) -> str:
    """A quotation with its citation marks, as plain text."""
    return f"“{p.text}” {marks(p.refs)}"


def case_blocks(case: CaseItem, w: Wording) -> list[Block]:
    """A case: its title, where it is told, and its facts, decision and lesson as cited quotations."""
    out = [Block("h3", case.title), Block("note", f"{w('headings.from')}: {case.doc_title}")]
    for key, points in (("facts", case.facts), ("decision", case.holding), ("lesson", case.lesson)):
        if points:
            out += [Block("label", w(f"headings.{key}"))] + [Block("bullet", cited(p)) for p in points]
    return out


def handout_blocks(pack: SessionPack) -> list[Block]:
    """The handout as blocks."""
    w = Wording(pack.language)
    by_n = {r.n: r for r in pack.references}
    meta = f"{w('headings.duration')}: {w('headings.minutes', minutes=pack.minutes)}"
    if pack.audience:
        meta += f" · {w('headings.audience')}: {pack.audience}"
    out = [Block("h1", w("headings.handout", topic=pack.topic)), Block("p", meta), Block("note", w("headings.handout_note"))]
    out += [Block("h2", w("headings.objectives")), Block("p", w("objectives.lead"))]
    out += [Block(NUMBERED, o.text) for o in pack.objectives]
    out.append(Block("h2", w("headings.key_points")))
    for theme in pack.themes:
        out += [Block("h3", theme.heading)] + [Block("bullet", cited(p)) for p in theme.points]
    study = pack.case_study
    if study is not None:
        out += [Block("h2", w("headings.case_study")), *case_blocks(study, w)]
    others = [c for c in pack.cases if c is not study]
    if others:
        out.append(Block("h2", w("headings.other_cases")))
        for case in others:
            out += case_blocks(case, w)
    if pack.exercise is not None:
        ex = pack.exercise
        out += [Block("h2", w("headings.exercise")), Block("label", w("headings.scenario")), Block("p", ex.scenario),
                Block("note", w("exercise.note")), Block("label", w("headings.tasks"))]
        out += [Block(NUMBERED, t) for t in ex.tasks]
        out.append(Block("label", w("headings.exercise_passages")))
        out += [Block("bullet", f"“{by_n[n].quote}” [{n}]") for n in ex.refs if n in by_n]
    out.append(Block("h2", w("headings.questions")))
    out += [Block(NUMBERED, f"“{q.quote}” {marks(q.refs)} {q.text}" if q.quote else q.text) for q in pack.questions]
    out.append(Block("h2", w("headings.reading")))
    out += [Block("bullet", f"{r.title} ({r.year}), {r.where}" + (f" — {r.source_url}" if r.source_url else ""))
            for r in pack.reading]
    out.append(Block("h2", w("headings.references")))
    out += [Block("p", f"[{r.n}] {r.title}, {r.where}" + (f" — {r.source_url}" if r.source_url else ""))
            for r in pack.references]
    return out


def blocks_markdown(blocks: list[Block]) -> str:
    """Blocks as Markdown (document text made safe: no raw HTML, one line each)."""
    out: list[str] = []
    number = 0
    for b in blocks:
        text = md_text(b.text)
        number = number + 1 if b.kind == NUMBERED else 0
        if b.kind in ("h1", "h2", "h3"):
            out += ["", "#" * int(b.kind[1]) + " " + text, ""]
        elif b.kind == "label":
            out += ["", f"**{text}**", ""]
        elif b.kind == "note":
            out += ["", f"_{text}_", ""]
        elif b.kind == "bullet":
            out.append(f"- {text}")
        elif b.kind == NUMBERED:
            out.append(f"{number}. {text}")
        else:
            out += ["", text, ""]
    lines: list[str] = []
    for line in out:  # one blank line between blocks, none at the start
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip() + "\n"


def handout_markdown(pack: SessionPack) -> str:
    """The participants' handout as Markdown."""
    return blocks_markdown(handout_blocks(pack))
