"""A pack's own words around its quotations: objectives, discussion questions, the small-group exercise.

None of these states a fact. An objective says what participants will be able to do with the topic; a discussion
question starts from a quoted, cited passage (the tension a holding weighs, the duty a guideline states, a risk, a
right) and asks about it; the exercise's scenario is invented, and says so. The texts come from text/<lang>.toml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit_assistant.session.pack import CaseItem, Exercise, KeyPoint, Objective, Question, Theme
from toolkit_assistant.session.plan import EXERCISE_FROM
from toolkit_assistant.session.wording import cue, cues

if TYPE_CHECKING:
    from toolkit_assistant.session.wording import Wording

SCENARIOS = ("risk_score", "generative", "data", "oversight", "transparency")
EXERCISE_PASSAGES = 6


def _theme(themes: list[Theme], key: str) -> Theme | None:
    return next((t for t in themes if t.key == key), None)


def objectives(themes: list[Theme], case: CaseItem | None, exercise: Exercise | None, w: Wording, *,
               topic: str, minutes: int) -> list[Objective]:
    """What participants will be able to do: one objective per theme taught, the case study and the exercise."""
    out = [Objective(w(f"objectives.{t.key}", topic=topic), tuple(n for p in t.points[:2] for n in p.refs))
           for t in themes]
    if case is not None:
        out.append(Objective(w("objectives.case", case=case.title, topic=topic),
                             case.facts[0].refs + case.holding[0].refs))
    if exercise is not None and minutes >= EXERCISE_FROM:
        out.append(Objective(w("objectives.exercise", topic=topic), exercise.refs[:2]))
    if minutes < EXERCISE_FROM and len(out) > 3:  # a short session: the first theme, and the last two
        out = out[:1] + out[-2:]
    return out


def question_count(minutes: int) -> int:
    """How many discussion questions a session of `minutes` can take."""
    return max(3, min(7, round(minutes / 15)))


def _ask(point: KeyPoint, stem: str) -> Question:
    return Question(stem, point.text, point.refs)


def questions(themes: list[Theme], case: CaseItem | None, w: Wording, *, topic: str, audience: str,
              minutes: int) -> list[Question]:
    """Discussion questions written from the content: each starts from a quoted passage, the last from the audience."""
    contrast = cue("cases", "contrast")
    candidates: list[Question] = []
    if case is not None:
        for p in case.holding[:1]:
            candidates.append(_ask(p, w("questions.tension" if contrast.search(p.text) else "questions.holding")))
    guidance, risks = _theme(themes, "guidance"), _theme(themes, "risks")
    safeguards, what = _theme(themes, "safeguards"), _theme(themes, "what")
    if guidance:
        candidates += [_ask(p, w("questions.duty")) for p in guidance.points[:1]]
    if risks:
        candidates += [_ask(p, w("questions.risk")) for p in risks.points[:1]]
    if safeguards:
        candidates += [_ask(p, w("questions.safeguard")) for p in safeguards.points[:1]]
    if case is not None:
        candidates += [_ask(p, w("questions.lesson")) for p in case.lesson[:1]]
    if guidance:
        candidates += [_ask(p, w("questions.duty")) for p in guidance.points[1:2]]
    if what:
        candidates += [_ask(p, w("questions.definition")) for p in what.points[:1]]
    if risks:
        candidates += [_ask(p, w("questions.risk")) for p in risks.points[1:2]]
    unique: list[Question] = []
    for q in candidates:
        if all(q.quote != u.quote for u in unique):
            unique.append(q)
    who = audience.strip() or w("questions.audience_default")
    last = Question(w("questions.audience", audience=who, topic=topic))
    return unique[: question_count(minutes) - 1] + [last]


def scenario_family(topic: str, themes: list[Theme]) -> str:
    """The invented scenario that fits the topic best: its words count three times, the key points' once."""
    patterns = cues()["scenarios"]
    text = " ".join(p.text for t in themes for p in t.points)
    best, best_score = "general", 0
    for name in SCENARIOS:
        score = 3 * len(patterns[name].findall(topic)) + len(patterns[name].findall(text))
        if score > best_score:
            best, best_score = name, score
    return best


def exercise(themes: list[Theme], w: Wording, *, topic: str) -> Exercise | None:
    """The small-group exercise: a scenario, the tasks, and the guidance and safeguard passages to apply."""
    handed = [p for key in ("guidance", "safeguards", "risks") if (t := _theme(themes, key)) for p in t.points]
    if not handed:
        return None
    family = scenario_family(topic, themes)
    refs = tuple(dict.fromkeys(n for p in handed for n in p.refs))[:EXERCISE_PASSAGES]
    tasks = tuple(str(t) for t in w.raw("exercise.tasks"))
    return Exercise(w(f"exercise.{family}", topic=topic), tasks, refs, family)
