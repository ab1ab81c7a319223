"""Building a session pack: key points and cases found in the corpus, verified, framed, timed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from toolkit_assistant.session.cases import MAX_OTHER_CASES, case_groups, rank_cases, tell
from toolkit_assistant.session.framing import exercise as make_exercise
from toolkit_assistant.session.framing import objectives as make_objectives
from toolkit_assistant.session.framing import questions as make_questions
from toolkit_assistant.session.pack import (
    CaseItem,
    KeyPoint,
    ReadingItem,
    Reference,
    SessionPack,
    Theme,
    section_label,
)
from toolkit_assistant.session.plan import build_plan, split_minutes
from toolkit_assistant.session.points import (
    THEME_KEYS,
    anchor_topic,
    choose,
    engine_for,
    find_sentences,
    point_budget,
    supported,
    topic_language,
    usable,
)
from toolkit_assistant.session.wording import Wording

if TYPE_CHECKING:
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.session.cases import RankedCase
    from toolkit_assistant.types import Chunk

MIN_MINUTES = 15
MAX_MINUTES = 480
MAX_READING = 8

__all__ = ["MAX_MINUTES", "MIN_MINUTES", "build_session", "split_minutes"]


class _Refs:
    """Numbers references in order of first use; the same chunk and quote share a number."""

    def __init__(self) -> None:
        self.items: list[Reference] = []
        self._index: dict[tuple[str, str], int] = {}

    def add(self, chunk: Chunk, quote: str) -> int:
        from toolkit_assistant.types import Citation

        key = (chunk.id, quote)
        if key not in self._index:
            n = len(self.items) + 1
            self._index[key] = n
            self.items.append(Reference(  # the link of the quoted sentence's own source, as in answers
                n=n, chunk_id=chunk.id, doc_id=chunk.doc_id, title=chunk.title, section=chunk.section,
                section_title=chunk.section_title, page=chunk.page, year=chunk.year, status=chunk.status,
                source_url=Citation(n, chunk, quote, 0.0).source_url, quote=quote,
            ))
        return self._index[key]


def _not_covered(topic: str, nearest: tuple[str, ...]) -> Exception:
    from toolkit_assistant.errors import InputError

    near = "; ".join(nearest) or "none found"
    return InputError(f"The materials do not cover “{topic}”, so no session pack was made. "
                      f"Nearest topics they cover: {near}")


def _case_sizes(minutes: int) -> tuple[int, int]:
    """(facts, holding sentences) of the case study: more for a longer session."""
    if minutes <= 30:
        return 2, 1
    return (3, 2) if minutes < 90 else (4, 2) if minutes < 120 else (5, 3)


def _point(engine: Assistant, refs: _Refs, chunk: Chunk, quote: str, seen: set[str]) -> KeyPoint | None:
    """A key point for a quotation the verifier supports and the pack has not used yet."""
    if quote in seen or not supported(engine, chunk, quote):
        return None
    seen.add(quote)
    return KeyPoint(quote, (refs.add(chunk, quote),))


def _case_item(engine: Assistant, ranked: RankedCase, topic: str, refs: _Refs, seen: set[str], *, minutes: int,
               study: bool, nearest: bool) -> CaseItem | None:
    n_facts, n_holding = _case_sizes(minutes) if study else (2, 1)
    facts, holding, lesson = tell(engine, ranked.group, topic, n_facts=n_facts, n_holding=n_holding, study=study)

    def points(pairs: list[tuple[Chunk, str]]) -> tuple[KeyPoint, ...]:
        return tuple(p for c, s in pairs if (p := _point(engine, refs, c, s, seen)) is not None)

    item = CaseItem(ranked.group.title, ranked.group.doc_title, points(facts), points(holding), points(lesson),
                    nearest)
    return item if item.points else None


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
        if usable(c):
            add(c.doc_id, c.section, c.title, section_label(c.section, c.section_title), c.source_url, c.year,
                c.status)
    return out


def build_session(
    assistant: Assistant,
    topic: str,
    *,
    minutes: int = 60,
    audience: str = "",
    backend: str | None = None,
    progress: Callable[[float, str], None] | None = None,
    lang: str = "en",
) -> SessionPack:
    """Build a session pack on `topic` from the corpus; its framing text is in `lang` (en, fr, es).

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
    w = Wording(lang)
    step = progress or (lambda _f, _m: None)
    # the questions asked of the index are in the topic's language; the pack's own words in the pack's
    topic_lang = topic_language(assistant, topic, w.lang)
    asked, english = Wording(topic_lang), topic_lang == "en"
    # a topic in another language is searched under the materials' own name for it, when they have one
    # (looked up first: a short topic asked as a question in another language sits low on e5's scale)
    search = topic
    notices: list[str] = []
    foreign = getattr(assistant, "foreign", None)
    if not english and foreign is not None:
        anchor = anchor_topic(foreign, topic, asked("queries.what", topic=topic))
        if anchor:
            search, topic_lang, asked, english = anchor, "en", Wording("en"), True
            notices.append(w("notices.anchor", topic=topic, anchor=anchor))
    # a short topic in another language is asked as a question, so that its language can be told
    probe = assistant.ask(search if english else asked("queries.what", topic=topic), backend=backend)
    if probe.outcome == "none":  # the topic itself is not in the materials
        raise _not_covered(topic, probe.nearest_topics)
    engine = engine_for(assistant, topic_lang)
    step(0.1, w("progress.theme", theme=topic))
    found = find_sentences(engine, search, asked, english=english)
    chosen = choose(found, point_budget(minutes), engine.extractive.rescale)
    refs, seen = _Refs(), set()
    themes: list[Theme] = []
    for i, key in enumerate(THEME_KEYS):
        step(0.2 + 0.1 * i, w("progress.theme", theme=w(f"themes.{key}", topic=topic)))
        points = tuple(p for f in chosen[key] if (p := _point(engine, refs, f.chunk, f.text, seen)) is not None)
        if points:
            themes.append(Theme(key, w(f"themes.{key}", topic=topic), asked(f"queries.{key}", topic=topic), points))
    if not themes:
        raise _not_covered(topic, probe.nearest_topics)
    step(0.6, w("progress.cases"))
    ranked = rank_cases(engine, search, case_groups(list(engine.reader.by_id.values())), found,
                        english=english)
    study_rank = next((r for r in ranked if r.real_case and r.relevant), None) or next(
        (r for r in ranked if r.real_case), None)
    cases: list[CaseItem] = []
    if study_rank is not None:
        item = _case_item(engine, study_rank, search, refs, seen, minutes=minutes, study=True,
                          nearest=not study_rank.relevant)
        if item is not None and item.is_case_study:
            cases.append(item)
            if item.nearest_only:
                notices.append(w("notices.nearest_case", topic=topic))
    if not cases:
        notices.append(w("notices.no_case_study", topic=topic))
    for r in [r for r in ranked if r.relevant and r is not study_rank][:MAX_OTHER_CASES]:
        item = _case_item(engine, r, search, refs, seen, minutes=minutes, study=False, nearest=False)
        if item is not None:
            cases.append(item)
    case = cases[0] if cases and cases[0].is_case_study else None
    step(0.8, w("progress.reading"))
    exercise = make_exercise(themes, w, topic=topic)
    objectives = make_objectives(themes, case, exercise, w, topic=topic, minutes=minutes)
    questions = make_questions(themes, case, w, topic=topic, audience=audience, minutes=minutes)
    count = sum(len(t.points) for t in themes)
    outline = build_plan(minutes, themes, case, exercise, questions, w, topic=topic,
                         fill=count / point_budget(minutes))
    if not any(o.kind == "group_exercise" for o in outline):
        exercise = None
    if count < 0.6 * point_budget(minutes):
        notices.append(w("notices.few_points", count=count, minutes=minutes))
    reading = _reading(engine, search, refs)
    step(1.0, w("progress.done"))
    return SessionPack(
        topic=topic, minutes=minutes, audience=audience, objectives=tuple(objectives), outline=tuple(outline),
        themes=tuple(themes), cases=tuple(cases), questions=tuple(questions), reading=tuple(reading),
        references=tuple(refs.items), created=time.strftime("%Y-%m-%d"), notices=tuple(notices),
        exercise=exercise, language=w.lang,
    )
