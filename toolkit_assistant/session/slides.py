"""The slide outline of a session: one slide per step of the plan, quotations cited, sources in the notes.

Title, objectives, the plan, the key points (four to a slide), the case study (facts; "what should the court
decide?"; the decision and its lesson), the exercise, the discussion questions, the wrap-up and the references.
The Markdown outline here and the PowerPoint file (office.py) are made from the same list of slides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit_assistant.session.handout import cited
from toolkit_assistant.session.markdown import clock, marks, md_text
from toolkit_assistant.session.wording import Wording

if TYPE_CHECKING:
    from toolkit_assistant.session.pack import KeyPoint, SessionPack

PER_SLIDE = 4
QUESTIONS_PER_SLIDE = 3
REFERENCES_PER_SLIDE = 8


@dataclass(frozen=True)
class Slide:
    """A slide: its title, its bullets, and the speaker's notes (the sources of its [n] marks)."""

    title: str
    bullets: tuple[str, ...]
    notes: str = ""


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i: i + size] for i in range(0, len(items), size)] or [[]]


def build_slides(pack: SessionPack) -> list[Slide]:
    """The session as slides."""
    w = Wording(pack.language)
    by_n = {r.n: r for r in pack.references}

    def notes(points: list[KeyPoint]) -> str:
        ns = dict.fromkeys(n for p in points for n in p.refs)
        return "\n".join(f"[{n}] {by_n[n].title}, {by_n[n].where} — {by_n[n].source_url}" for n in ns if n in by_n)

    def series(title: str, points: list[KeyPoint]) -> list[Slide]:
        parts = [points[i: i + PER_SLIDE] for i in range(0, len(points), PER_SLIDE)]
        return [Slide(title if i == 0 else f"{title} {w('headings.continued')}", tuple(cited(p) for p in part),
                      notes(part)) for i, part in enumerate(parts)]

    meta = [w("headings.minutes", minutes=pack.minutes)] + ([pack.audience] if pack.audience else [])
    out = [Slide(pack.topic, tuple(meta), w("headings.handout_note")),
           Slide(w("headings.objectives"), tuple(o.text for o in pack.objectives)),
           Slide(w("headings.agenda"), tuple(f"{clock(i.start)}–{clock(i.start + i.minutes)}  {i.title}"
                                             for i in pack.outline),
                 "\n".join(f"{i.title}: {i.detail}" for i in pack.outline))]
    study = pack.case_study
    for item in pack.outline:
        if item.kind == "input":
            for theme in pack.themes:
                if any(n in item.refs for p in theme.points for n in p.refs):
                    out += series(theme.heading, list(theme.points))
        elif item.kind == "case_study" and study is not None:
            out += series(f"{study.title}: {w('headings.facts').lower()}", list(study.facts))
            out.append(Slide(w("headings.predict"), (w("headings.predict_body"),), item.detail))
            out += series(f"{study.title}: {w('headings.decision').lower()}", list(study.holding + study.lesson))
        elif item.kind == "group_exercise" and pack.exercise is not None:
            ex = pack.exercise
            out.append(Slide(w("headings.exercise"), (ex.scenario, *ex.tasks),
                             w("exercise.note") + "\n" + "\n".join(f"[{n}] “{by_n[n].quote}”" for n in ex.refs
                                                                  if n in by_n)))
        elif item.kind == "plenary":
            lines = [f"“{q.quote}” {marks(q.refs)} {q.text}" if q.quote else q.text for q in pack.questions]
            for i, part in enumerate(_chunks(lines, QUESTIONS_PER_SLIDE)):
                title = w("headings.questions") + (f" {w('headings.continued')}" if i else "")
                out.append(Slide(title, tuple(part), item.detail))
        elif item.kind == "wrap_up":
            out.append(Slide(w("headings.wrap_up"), tuple(o.text for o in pack.objectives), item.detail))
            out.append(Slide(w("headings.reading_slide"), tuple(f"{r.title}, {r.where}" for r in pack.reading),
                             "\n".join(r.source_url for r in pack.reading if r.source_url)))
    refs = list(pack.references)
    for i in range(0, max(len(refs), 1), REFERENCES_PER_SLIDE):
        part = refs[i: i + REFERENCES_PER_SLIDE]
        out.append(Slide(w("headings.references") + (f" {w('headings.continued')}" if i else ""),
                         tuple(f"[{r.n}] {r.title}, {r.where}" for r in part),
                         "\n".join(f"[{r.n}] {r.source_url}" for r in part if r.source_url)))
    return out


def slides_markdown(pack: SessionPack) -> str:
    """The slide outline as Markdown: a heading a slide, its bullets, its notes."""
    w = Wording(pack.language)
    out = [f"# {md_text(w('headings.slides', topic=pack.topic))}", ""]
    for i, slide in enumerate(build_slides(pack), 1):
        out += [f"## {i}. {md_text(slide.title)}", ""] + [f"- {md_text(b)}" for b in slide.bullets]
        if slide.notes:
            out += ["", f"_{w('headings.slide_notes')}:_", ""] + [f"> {md_text(n)}" for n in slide.notes.splitlines()]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
