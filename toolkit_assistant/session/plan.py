"""The session plan: timed activities of different kinds whose minutes add up to the session's length.

Opening, input (the key points), a case study (facts, then the decision), a second input on what the guidance asks
(sessions of 75 minutes and more), a small-group exercise on a scenario (45 minutes and more), a plenary on the
discussion questions, and a wrap-up; a 10-minute break in every two hours. Each activity names the passages it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit_assistant.session.pack import CaseItem, Exercise, OutlineItem, Question, Theme

if TYPE_CHECKING:
    from toolkit_assistant.session.wording import Wording

WEIGHTS = {"opening": 0.06, "input": 0.17, "input2": 0.12, "case_study": 0.22, "group_exercise": 0.22,
           "plenary": 0.14, "wrap_up": 0.07}
TWO_INPUTS_FROM = 75  # minutes: from here the guidance and safeguards get an input of their own
EXERCISE_FROM = 45  # minutes: from here there is time for a small-group exercise
BREAK_MINUTES = 10
BREAK_EVERY = 120


def split_minutes(total: int, weights: list[float], unit: int = 1) -> list[int]:
    """Whole minutes for each weight, at least `unit` each, in multiples of `unit`, summing exactly to `total`.

    Raises:
        ValueError: `total` cannot give every part a unit, or is not a multiple of `unit`.
    """
    if unit < 1 or total % unit:
        raise ValueError(f"{total} minutes cannot be split in units of {unit}")
    units = total // unit
    if units < len(weights):
        raise ValueError(f"{total} minutes cannot hold {len(weights)} parts")
    raw = [units * w / sum(weights) for w in weights]
    parts = [max(1, int(x)) for x in raw]
    while sum(parts) > units:  # the minimum of one unit each took more than the floor gave
        i = max((i for i in range(len(parts)) if parts[i] > 1), key=lambda i: parts[i] - raw[i])
        parts[i] -= 1
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - parts[i]), i))
    for i in order[: units - sum(parts)]:
        parts[i] += 1
    return [p * unit for p in parts]


def _unit(minutes: int, parts: int) -> int:
    """5-minute blocks when the length allows them, else single minutes."""
    return 5 if minutes % 5 == 0 and minutes // 5 >= parts + 2 else 1


def _refs(points: list[tuple[int, ...]]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(n for refs in points for n in refs))


def _input_title(themes: list[Theme], w: Wording, topic: str) -> str:
    return w("activities.input", parts=w("themes_short.join").join(w(f"themes_short.{t.key}", topic=topic)
                                                                      for t in themes))


def build_plan(minutes: int, themes: list[Theme], case: CaseItem | None, exercise: Exercise | None,
               questions: list[Question], w: Wording, *, topic: str, fill: float = 1.0) -> list[OutlineItem]:
    """The timed activities of a session of `minutes` minutes (their minutes add up to it).

    `fill` is the share of the key points the session's length asked for that the materials hold: with fewer,
    the inputs are shorter (down to half) and the other activities get the time.
    """
    first = [t for t in themes if t.key in ("what", "risks")]
    second = [t for t in themes if t.key in ("guidance", "safeguards")]
    if minutes < TWO_INPUTS_FROM or not first or not second:
        first, second = themes, []
    parts: list[tuple[str, str, str, tuple[int, ...], str]] = [  # (weight key, kind, title, detail, refs)
        ("opening", "opening", w("activities.opening"), w("activities.opening_detail", topic=topic), ())
    ]
    if first:
        parts.append(("input", "input", _input_title(first, w, topic), w("activities.input_detail"),
                      _refs([p.refs for t in first for p in t.points])))
    if case is not None:
        parts.append(("case_study", "case_study", w("activities.case", case=case.title), w("activities.case_detail"),
                      _refs([p.refs for p in case.points])))
    if second:
        parts.append(("input2", "input", _input_title(second, w, topic), w("activities.input_detail"),
                      _refs([p.refs for t in second for p in t.points])))
    if exercise is not None and minutes >= EXERCISE_FROM:
        parts.append(("group_exercise", "group_exercise", w("activities.exercise"), w("activities.exercise_detail"),
                      exercise.refs))
    if questions:
        parts.append(("plenary", "plenary", w("activities.plenary"), w("activities.plenary_detail"),
                      _refs([q.refs for q in questions])))
    parts.append(("wrap_up", "wrap_up", w("activities.wrap_up"), w("activities.wrap_up_detail"), ()))
    breaks = min(3, minutes // BREAK_EVERY) if minutes >= BREAK_EVERY else 0
    teaching = minutes - breaks * BREAK_MINUTES
    scale = {"input": max(0.5, min(1.0, fill)), "input2": max(0.5, min(1.0, fill))}
    weights = [WEIGHTS[p[0]] * scale.get(p[0], 1.0) for p in parts]
    lengths = split_minutes(teaching, weights, _unit(teaching, len(parts)))
    timed = [(kind, title, detail, refs, length) for (_, kind, title, detail, refs), length
             in zip(parts, lengths, strict=True)]
    for b in range(breaks):  # spread the breaks through the middle of the session
        at = round((b + 1) * len(timed) / (breaks + 1))
        at = min(max(at, 1), len(timed) - 1)
        timed.insert(at, ("break", w("activities.break"), w("activities.break_detail"), (), BREAK_MINUTES))
    out, start = [], 0
    for kind, title, detail, refs, length in timed:
        out.append(OutlineItem(start, length, title, detail, refs, kind))
        start += length
    return out
