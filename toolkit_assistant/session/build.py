"""Building a session pack: theme questions asked of the corpus, their verified citations as key points."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from toolkit_assistant.session.pack import (
    CaseItem,
    KeyPoint,
    Objective,
    OutlineItem,
    ReadingItem,
    Reference,
    SessionPack,
    Theme,
    section_label,
)

if TYPE_CHECKING:
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.types import Chunk, Citation

MIN_MINUTES = 15
MAX_MINUTES = 480
# (theme key, heading, question template): the questions asked of the corpus for each theme
THEMES: tuple[tuple[str, str, str], ...] = (
    ("what", "What it is", "What is {topic}?"),
    ("risks", "Risks for courts", "What risks does {topic} raise for courts and judges?"),
    ("guidance", "What the guidance recommends", "What do the guidelines recommend to judges and courts about {topic}?"),
    ("safeguards", "Safeguards and rights", "Which safeguards and human rights principles apply to {topic}?"),
)
CASE_QUESTION = "Which court cases illustrate {topic}?"
POINTS_PER_THEME = 3
MAX_CASES = 3
MAX_READING = 8
_SKIP_SECTIONS = {"sources", "references", "source register", "bibliography"}


class _Refs:
    """Numbers references in order of first use; the same chunk and quote share a number."""

    def __init__(self) -> None:
        self.items: list[Reference] = []
        self._index: dict[tuple[str, str], int] = {}

    def add(self, chunk: Chunk, quote: str) -> int:
        key = (chunk.id, quote)
        if key not in self._index:
            n = len(self.items) + 1
            self._index[key] = n
            self.items.append(Reference(
                n=n, chunk_id=chunk.id, doc_id=chunk.doc_id, title=chunk.title, section=chunk.section,
                section_title=chunk.section_title, page=chunk.page, year=chunk.year, status=chunk.status,
                source_url=chunk.source_url, quote=quote,
            ))
        return self._index[key]

    def get(self, n: int) -> Reference:
        return self.items[n - 1]


def _usable(chunk: Chunk) -> bool:
    return chunk.section_title.strip().lower() not in _SKIP_SECTIONS


def _exact(chunk: Chunk, quote: str) -> bool:
    return bool(quote.strip()) and quote in chunk.text


def _theme(assistant: Assistant, key: str, heading: str, question: str, refs: _Refs, seen: set[str],
           backend: str | None) -> Theme | None:
    """Ask one theme question; its verified citations become the theme's key points."""
    answer = assistant.ask(question, backend=backend)
    if answer.outcome != "answered":
        return None
    points = []
    for cit in answer.citations:
        if not _usable(cit.chunk) or not _exact(cit.chunk, cit.quote) or cit.quote in seen:
            continue
        seen.add(cit.quote)
        points.append(KeyPoint(cit.quote, (refs.add(cit.chunk, cit.quote),)))
        if len(points) >= POINTS_PER_THEME:
            break
    return Theme(key, heading, question, tuple(points)) if points else None


def _first_sentence(text: str) -> str:
    from toolkit_assistant.text import split_sentences

    spans = split_sentences(text)
    return spans[0].text if spans else ""


def _cases(assistant: Assistant, topic: str, refs: _Refs, seen: set[str], backend: str | None) -> list[CaseItem]:
    """Cases from documents of kind 'case': the answer's citations, else the nearest case sections."""
    from toolkit_assistant.retrieve import Filters

    only_cases = Filters(kinds=("case",))
    answer = assistant.ask(CASE_QUESTION.format(topic=topic), backend=backend, filters=only_cases)
    cited: list[Citation] = [] if answer.outcome != "answered" else [c for c in answer.citations if _usable(c.chunk)]
    nearest_only = not cited
    chunks: dict[str, Chunk] = {}
    quotes: dict[str, list[str]] = {}
    for cit in cited:
        key = f"{cit.chunk.doc_id}:{cit.chunk.section}"
        chunks.setdefault(key, cit.chunk)
        quotes.setdefault(key, []).append(cit.quote)
    if nearest_only:
        hits, _ = assistant.retrieve(f"{topic} court case", k=6, filters=only_cases)
        for hit in hits:
            key = f"{hit.chunk.doc_id}:{hit.chunk.section}"
            if _usable(hit.chunk) and key not in chunks:
                chunks[key] = hit.chunk
                quotes[key] = []
    out: list[CaseItem] = []
    for key, chunk in list(chunks.items())[:MAX_CASES]:
        lead = _first_sentence(chunk.text)
        texts = ([lead] if lead and lead not in quotes[key] else []) + quotes[key][:2]
        points = []
        for q in texts:
            if _exact(chunk, q) and q not in seen:
                seen.add(q)
                points.append(KeyPoint(q, (refs.add(chunk, q),)))
        if points:
            out.append(CaseItem(chunk.section_title or chunk.title, chunk.title, tuple(points), nearest_only))
    return out


def _short_title(title: str) -> str:
    """A document title without a trailing parenthetical such as '(study summary)'."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", title).strip() or title


def _objectives(themes: list[Theme], cases: list[CaseItem], refs: _Refs, topic: str) -> list[Objective]:
    verbs = {
        "what": "Explain {topic} as described in “{section}” ({doc}).",
        "risks": "Identify the risks of {topic} set out in “{section}” ({doc}).",
        "guidance": "Apply the recommendations of “{section}” ({doc}) to a court's own practice.",
        "safeguards": "Describe the safeguards discussed in “{section}” ({doc}).",
    }
    out = []
    used: set[tuple[str, str]] = set()
    for theme in themes:
        fresh = [refs.get(p.refs[0]) for p in theme.points]
        fresh = [r for r in fresh if (r.doc_id, r.section) not in used]
        if not fresh:
            continue
        ref = fresh[0]
        used.add((ref.doc_id, ref.section))
        text = verbs[theme.key].format(topic=topic, section=ref.section_title, doc=_short_title(ref.title))
        out.append(Objective(text, (ref.n,)))
    if cases:
        ref = refs.get(cases[0].points[0].refs[0])
        out.append(Objective(f"Analyse “{cases[0].title}” and draw lessons for judicial practice.", (ref.n,)))
    return out


def _questions(themes: list[Theme], cases: list[CaseItem], refs: _Refs, topic: str, audience: str) -> list[str]:
    """Discussion questions templated around cited section and case titles (no factual claims)."""
    out: list[str] = []
    sections: list[Reference] = []
    ordered = [t.points[0] for t in themes] + [p for t in themes for p in t.points[1:]]
    for point in ordered:
        ref = refs.get(point.refs[0])
        if all(ref.section_title != s.section_title for s in sections):
            sections.append(ref)
    for ref in sections[:3]:
        out.append(f"How would “{ref.section_title}” ({_short_title(ref.title)}) apply in your court?")
    risks = next((t for t in themes if t.key == "risks"), None)
    if risks:
        ref = refs.get(risks.points[0].refs[0])
        out.append(f"Which of the risks described in “{ref.section_title}” have you seen in your own "
                   "jurisdiction, and how were they handled?")
    for case in cases[:2]:
        out.append(f"What does “{case.title}” teach a court that is considering {topic}?")
    who = audience.strip() or "your colleagues"
    out.append(f"What would {who} need to change in their daily work after this session on {topic}?")
    return out


def _reading(assistant: Assistant, topic: str, refs: _Refs) -> list[ReadingItem]:
    """Cited sections first, then the best retrieved sections for the topic, one entry each."""
    seen: set[tuple[str, str]] = set()
    out: list[ReadingItem] = []

    def add(doc_id: str, section: str, title: str, where: str, url: str, year: str, status: str) -> None:
        if (doc_id, section) not in seen and len(out) < MAX_READING:
            seen.add((doc_id, section))
            out.append(ReadingItem(title, where, url, doc_id, year, status))

    for r in refs.items:
        add(r.doc_id, r.section, r.title, r.where, r.source_url, r.year, r.status)
    hits, _ = assistant.retrieve(topic, k=8)
    for h in hits:
        c = h.chunk
        if _usable(c):
            add(c.doc_id, c.section, c.title, section_label(c.section, c.section_title), c.source_url, c.year,
                c.status)
    return out


def split_minutes(total: int, weights: list[float]) -> list[int]:
    """Whole minutes for each weight, at least 1 each, summing exactly to `total` (largest remainder)."""
    if total < len(weights):
        raise ValueError(f"{total} minutes cannot hold {len(weights)} parts")
    spare = total - len(weights)
    raw = [spare * w / sum(weights) for w in weights]
    parts = [1 + int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - int(raw[i])), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _outline(minutes: int, themes: list[Theme], cases: list[CaseItem], n_questions: int) -> list[OutlineItem]:
    parts: list[tuple[str, str, tuple[int, ...], float]] = [
        ("Welcome and learning objectives", "Introduce the topic and the objectives.", (), 0.10)
    ]
    for theme in themes:
        refs = tuple(n for p in theme.points for n in p.refs)
        parts.append((theme.heading, f"Present the key points on: {theme.question}", refs, 0.45 / len(themes)))
    if cases:
        refs = tuple(n for c in cases for p in c.points for n in p.refs)
        names = "; ".join(f"“{c.title}”" for c in cases)
        parts.append(("Cases to present", f"Present and discuss: {names}.", refs, 0.20))
    parts.append(("Discussion", f"Work in groups on the {n_questions} discussion questions.", (), 0.17))
    parts.append(("Summary and further reading", "Recap the key points and hand out the reading list.", (), 0.08))
    lengths = split_minutes(minutes, [p[3] for p in parts])
    out, start = [], 0
    for (title, detail, refs, _), length in zip(parts, lengths, strict=True):
        out.append(OutlineItem(start, length, title, detail, refs))
        start += length
    return out


def build_session(
    assistant: Assistant,
    topic: str,
    *,
    minutes: int = 60,
    audience: str = "",
    backend: str | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> SessionPack:
    """Build a session pack on `topic` from the assistant's answers and retrieval hits.

    Raises:
        InputError: the topic is empty or too long, the duration is out of range, or the
            materials do not cover the topic (the message names the nearest topics they do cover).
    """
    from toolkit_assistant.errors import InputError
    from toolkit_assistant.intake import validate_question

    topic = validate_question(topic, assistant.max_question_chars).rstrip("?.! ")
    if not MIN_MINUTES <= int(minutes) <= MAX_MINUTES:
        raise InputError(f"The session length must be {MIN_MINUTES} to {MAX_MINUTES} minutes, not {minutes}")
    minutes = int(minutes)
    audience = (audience or "").strip()[:200]
    step = progress or (lambda _f, _m: None)
    probe = assistant.ask(topic, backend=backend)
    if probe.outcome == "none":  # the topic itself is not in the materials: no theme question can be
        near = "; ".join(probe.nearest_topics) or "none found"
        raise InputError(f"The materials do not cover “{topic}”, so no session pack was made. "
                         f"Nearest topics they cover: {near}")
    refs = _Refs()
    seen: set[str] = set()
    themes: list[Theme] = []
    for i, (key, heading, template) in enumerate(THEMES):
        step(i / (len(THEMES) + 2), f"Asking: {template.format(topic=topic)}")
        theme = _theme(assistant, key, heading, template.format(topic=topic), refs, seen, backend)
        if theme:
            themes.append(theme)
    if not themes:
        answer = assistant.ask(topic, backend=backend)
        near = "; ".join(answer.nearest_topics) or "none found"
        raise InputError(f"The materials do not cover “{topic}”, so no session pack was made. "
                         f"Nearest topics they cover: {near}")
    step(len(THEMES) / (len(THEMES) + 2), "Finding cases to present")
    cases = _cases(assistant, topic, refs, seen, backend)
    step((len(THEMES) + 1) / (len(THEMES) + 2), "Collecting further reading")
    objectives = _objectives(themes, cases, refs, topic)
    questions = _questions(themes, cases, refs, topic, audience)
    reading = _reading(assistant, topic, refs)
    outline = _outline(minutes, themes, cases, len(questions))
    notices = []
    if cases and cases[0].nearest_only:
        notices.append("No case in the corpus answers this topic directly; the nearest case sections are shown.")
    step(1.0, "Done")
    return SessionPack(
        topic=topic, minutes=minutes, audience=audience, objectives=tuple(objectives), outline=tuple(outline),
        themes=tuple(themes), cases=tuple(cases), questions=tuple(questions), reading=tuple(reading),
        references=tuple(refs.items), created=time.strftime("%Y-%m-%d"), notices=tuple(notices),
    )
