"""A count the question takes for granted that the materials contradict.

"The final guidelines have 12 principles. What are they?" or "What does the eighth module of the MOOC
cover?" rest on a figure the question states but does not ask about. When a retrieved sentence counts the
same thing with another figure ("15 principles", "six modules"), the answer leads with that sentence and
says so: a judge who asked from a wrong premise learns it before reading the rest.

English questions only: the thing counted is matched by its word in the passages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit_assistant.text import CARDINALS, stem

if TYPE_CHECKING:
    from toolkit_assistant.answer import Candidate

_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
}
_TOKEN = re.compile(r"[A-Za-z]+|\d+(?:st|nd|rd|th)?")
# what a count of this kind counts: the parts of a text or a programme, not people or money
_COUNTABLE = {
    "principle", "module", "value", "chapter", "pillar", "area", "step", "guideline", "dimension", "objective",
    "language", "theme", "lesson", "annex", "criterion", "phase", "stage", "edition", "volume",
}
_ASKS_COUNT = re.compile(r"\bhow many\b|\bnumber of\b", re.IGNORECASE)
# "only in English", "only offered in French": one language, taken as given
_ONLY_LANGUAGE = re.compile(
    r"\bonly\s+(?:(?:be|been|being|was|were|is|are|offered|available|taught|given|run|published|held)\s+){0,2}"
    r"in\s+(English|French|Spanish|Arabic|Chinese|Russian|Portuguese)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Stated:
    """A count a question states: 12 principles (a total) or the eighth module (at least eight)."""

    value: int
    thing: str  # stemmed
    surface: str  # as the question words it
    ordinal: bool


@dataclass(frozen=True)
class Contradiction:
    """The stated count, the sentence that gives another, and that sentence's own words for it."""

    stated: Stated
    found: str
    sentence: Candidate


def _number(token: str) -> tuple[int, bool] | None:
    low = token.lower()
    if low in CARDINALS:
        return CARDINALS[low], False
    if low in _ORDINALS:
        return _ORDINALS[low], True
    m = re.fullmatch(r"(\d+)(st|nd|rd|th)?", low)
    if not m:
        return None
    value = int(m.group(1))
    if 1800 <= value <= 2100 or value > 500:
        return None  # a year, or a figure that is not a count of parts
    return value, bool(m.group(2))


def _counts(text: str) -> list[tuple[int, bool, str, str]]:
    """(value, is ordinal, stemmed thing, surface) for each "<number> [word] <countable thing>" in a text;
    the surface is the text's own span ("six-module", "15 principles")."""
    tokens = list(_TOKEN.finditer(text))
    out = []
    for i, tok in enumerate(tokens):
        num = _number(tok.group())
        if num is None:
            continue
        for j in (i + 1, i + 2):  # "15 principles", "six thematic modules"
            if j < len(tokens) and stem(tokens[j].group().lower()) in _COUNTABLE:
                out.append((num[0], num[1], stem(tokens[j].group().lower()), text[tok.start() : tokens[j].end()]))
                break
    return out


def stated_counts(question: str) -> list[Stated]:
    """The counts a question takes as given (not the ones it asks for: "how many modules" states none)."""
    if _ASKS_COUNT.search(question):
        return []
    out = [Stated(v, thing, surface, ordinal) for v, ordinal, thing, surface in _counts(question)]
    out += [Stated(1, "language", m.group(0), False) for m in _ONLY_LANGUAGE.finditer(question)]
    return out


def contradiction(question: str, cands: Sequence[Candidate]) -> Contradiction | None:
    """The best-scored candidate that counts a thing the question counts, with another total.

    A stated total (12 principles) is contradicted by another total of the same thing (15 principles); a
    stated ordinal (the eighth module) by a total below it (six modules). When any candidate gives the
    question's own figure for the thing (the final text's 15 principles beside the draft's 13), the premise
    stands.
    """
    stated = stated_counts(question)
    if not stated:
        return None  # most questions state no count: the candidates are not read
    counted = {id(c): [x for x in _counts(c.span.text) if not x[1]] for c in cands}  # totals only
    # a count some passage gives as the question does (the final text's 15 principles) is not a wrong premise,
    # whatever other passages count (the draft's 13)
    stated = [s for s in stated if not any(x[2] == s.thing and x[0] == s.value for xs in counted.values() for x in xs)]
    if not stated:
        return None
    for c in sorted(cands, key=lambda c: -c.score):
        for value, _, thing, surface in counted[id(c)]:  # in the sentence's order: its first count
            for s in stated:
                if thing == s.thing and ((s.ordinal and value < s.value) or (not s.ordinal and value != s.value)):
                    return Contradiction(stated=s, found=surface, sentence=c)
    return None
