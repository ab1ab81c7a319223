"""The trainer's pack as Markdown: objectives, the timed plan, key points, the case study, the exercise,
discussion questions, further reading and references."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from toolkit_assistant.session.wording import Wording

if TYPE_CHECKING:
    from toolkit_assistant.session.pack import CaseItem, KeyPoint, Question, SessionPack


def md_text(text: str) -> str:
    """Document text made safe for Markdown viewers: no raw HTML tags, one line."""
    return re.sub(r"\s+", " ", text.replace("<", "&lt;").replace(">", "&gt;")).strip()


def _cell(text: str) -> str:
    return md_text(text).replace("|", "\\|")


def marks(refs: tuple[int, ...]) -> str:
    """'[1][2]' for reference numbers."""
    return "".join(f"[{n}]" for n in refs)


def clock(minute: int) -> str:
    """Minutes from the start as H:MM."""
    return f"{minute // 60}:{minute % 60:02d}"


def quoted(p: KeyPoint) -> str:
    """A key point as a quotation with its citation marks."""
    return f"“{md_text(p.text)}” {marks(p.refs)}"


def question_text(q: Question) -> str:
    """A discussion question: its quoted passage (with citation), then the question."""
    return f"“{md_text(q.quote)}” {marks(q.refs)} {md_text(q.text)}" if q.quote else md_text(q.text)


def case_lines(case: CaseItem, w: Wording, level: str = "###") -> list[str]:
    """A case as Markdown: facts, what the court decided, why it matters (each a list of quotations)."""
    out = [f"{level} {md_text(case.title)}", "", f"_{w('headings.from')}: {md_text(case.doc_title)}_", ""]
    for key, points in (("facts", case.facts), ("decision", case.holding), ("lesson", case.lesson)):
        if points:
            out += [f"**{w(f'headings.{key}')}**", ""] + [f"- {quoted(p)}" for p in points] + [""]
    return out


def link(url: str, before: str) -> str:
    """' — <https://...>' (with `before` in front) for a web address; '' for anything else."""
    return f"{before}<{url}>" if url.startswith(("http://", "https://")) else ""


def references_lines(pack: SessionPack) -> list[str]:
    """The numbered references: document, section, chunk id, source URL and the exact quotation."""
    return [line for ref in pack.references for line in (
        f"[{ref.n}] {md_text(ref.title)}, {md_text(ref.where)} (chunk `{ref.chunk_id}`){link(ref.source_url, ', ')}  ",
        f"    “{md_text(ref.quote)}”", "")]


def reading_lines(pack: SessionPack) -> list[str]:
    """The further-reading list."""
    return [f"- {md_text(r.title)} ({md_text(r.year)}, {md_text(r.status)}), {md_text(r.where)}{link(r.source_url, ' — ')}"
            for r in pack.reading]


def render_markdown(pack: SessionPack) -> str:
    """The trainer's pack as Markdown."""
    w = Wording(pack.language)
    out = [f"# {w('headings.pack', topic=md_text(pack.topic))}", ""]
    meta = f"**{w('headings.duration')}:** {w('headings.minutes', minutes=pack.minutes)}"
    if pack.audience:
        meta += f" · **{w('headings.audience')}:** {md_text(pack.audience)}"
    out += [meta, "", f"_{w('headings.note')}_", ""]
    out += [f"> {md_text(n)}" for n in pack.notices] + ([""] if pack.notices else [])
    out += [f"## {w('headings.objectives')}", "", w("objectives.lead"), ""]
    out += [f"{i}. {md_text(o.text)} {marks(o.refs)}".rstrip() for i, o in enumerate(pack.objectives, 1)]
    out += ["", f"## {w('headings.plan', minutes=pack.minutes)}", "",
            (f"| {w('headings.time')} | {w('headings.min_col')} | {w('headings.activity')} | {w('headings.kind')} | "
            f"{w('headings.what_happens')} | {w('headings.passages')} |"), "|---|---:|---|---|---|---|"]
    for item in pack.outline:
        span = f"{clock(item.start)}–{clock(item.start + item.minutes)}"
        out.append(f"| {span} | {item.minutes} | {_cell(item.title)} | {_cell(w(f'kinds.{item.kind}'))} | "
                   f"{_cell(item.detail)} | {marks(item.refs)} |")
    out += ["", f"## {w('headings.key_points')}", ""]
    for theme in pack.themes:
        out += [f"### {md_text(theme.heading)}", ""] + [f"- {quoted(p)}" for p in theme.points] + [""]
    study = pack.case_study
    out += [f"## {w('headings.case_study')}", ""]
    out += case_lines(study, w) if study else [f"_{w('headings.no_case')}_", ""]
    others = [c for c in pack.cases if c is not study]
    if others:
        out += [f"## {w('headings.other_cases')}", ""]
        for case in others:
            out += case_lines(case, w)
    if pack.exercise is not None:
        ex = pack.exercise
        out += [f"## {w('headings.exercise')}", "", f"**{w('headings.scenario')}:** {md_text(ex.scenario)}", "",
                f"_{w('exercise.note')}_", "", f"**{w('headings.tasks')}**", ""]
        out += [f"{i}. {md_text(t)}" for i, t in enumerate(ex.tasks, 1)]
        out += ["", f"**{w('headings.exercise_passages')}:** {marks(ex.refs)}", ""]
    out += [f"## {w('headings.questions')}", ""]
    out += [f"{i}. {question_text(q)}" for i, q in enumerate(pack.questions, 1)]
    out += ["", f"## {w('headings.reading')}", ""] + reading_lines(pack)
    out += ["", f"## {w('headings.references')}", ""] + references_lines(pack)
    if pack.created:
        out.append(f"_{w('headings.built', date=pack.created)}_")
    return "\n".join(out).rstrip() + "\n"
