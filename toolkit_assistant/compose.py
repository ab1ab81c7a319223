"""The answer's text from the chosen sentences: each quoted exactly, its [n] before its closing punctuation;
what a chosen sentence brings along ("gives five figures": the five after it); which comes first (a finding
or a count asked for); the nearest topics of a decline.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from toolkit_assistant.coverage import passage_words, present
from toolkit_assistant.facts import counted_things, counts, names_in
from toolkit_assistant.question import QuestionProfile, states_finding
from toolkit_assistant.text import CARDINALS
from toolkit_assistant.types import Citation, Draft, Hit

if TYPE_CHECKING:
    from toolkit_assistant.answer import Candidate


_ANNOUNCE = re.compile(
    r"\b(the following|as follows|(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d+) "
    r"(main |key |interactive |core |policy |broad |specific )?[a-z]+s)\b",
    re.IGNORECASE,
)


def announces(sentence: str, profile: QuestionProfile) -> int:
    """How many following sentences a sentence announces without stating them (0 when it states them)."""
    text = sentence.strip()
    if text.endswith(":"):
        return 0  # list items are handled separately
    if re.search(r"\bthe following\b|\bas follows\b", text, re.IGNORECASE):
        # "the 15 principles ... are the following": as many as it counts (up to MAX_ANNOUNCED), else two
        counted = [m.group(2) for m in _ANNOUNCE.finditer(text) if m.group(2)]
        return max(2, min(_said_count(counted[0] if counted else ""), MAX_ANNOUNCED))
    asks_what = bool(profile.wants & {"list"}) or bool(
        re.match(r"\s*(what|which|who|how)\b", profile.text, re.IGNORECASE)
    )
    m = _ANNOUNCE.search(text)
    if asks_what and m and text.count(",") < 2:
        # "gives five figures": the five sentences after it state them
        return max(1, min(_said_count(m.group(2) or ""), MAX_ANNOUNCED))
    return 0


def _said_count(said: str) -> int:
    """The count an announcing sentence gives ("15", "five"), two when it gives none."""
    said = said.lower()
    return int(said) if said.isdigit() else CARDINALS.get(said, 2)


def next_sentence(c: Candidate, by_pos: dict[tuple[str, int], Candidate]) -> Candidate | None:
    """The candidate after `c` in reading order (`by_pos`: the candidates by chunk id and sentence index): the
    next sentence of its chunk, else the first retrieved sentence of the next chunk of the same section
    ("doc:14:1" then "doc:14:2"), so an announced list that a chunk boundary cuts goes on."""
    nxt = by_pos.get((c.chunk.id, c.index + 1))
    if nxt is not None:
        return nxt
    if any(cid == c.chunk.id and i > c.index for cid, i in by_pos):
        return None  # a sentence of this chunk was not retrieved: the run is broken
    head, _, tail = c.chunk.id.rpartition(":")
    if not tail.isdigit():
        return None
    after = f"{head}:{int(tail) + 1}"
    following = [x for (cid, _), x in by_pos.items() if cid == after and x.chunk.section == c.chunk.section]
    return min(following, key=lambda x: x.index) if following else None


MAX_ANNOUNCED = 15  # "the 15 principles are the following": all of them


def compose(chosen: list[Candidate], *, backend: str) -> Draft:
    """Join the chosen sentences, each with its [n] before its final punctuation."""
    citations: list[Citation] = []
    pieces: list[str] = []
    for c in chosen:
        n = len(citations) + 1
        citations.append(Citation(n=n, chunk=c.chunk, quote=c.span.text, score=round(c.score, 4)))
        pieces.append(("\n- " if c.is_item else " ") + cite_sentence(c.span.text, [n]))
    text = "".join(pieces).strip()
    text = text.removeprefix("- ")
    return Draft(text=text, citations=tuple(citations), backend=backend)


def cite_sentence(sentence: str, ns: list[int]) -> str:
    """Put [n] markers before a sentence's closing punctuation ('... oversight [1].')."""
    marks = "".join(f"[{n}]" for n in ns)
    if re.search(r"\[[^\]\n]{1,24}\]\s*$", sentence.strip()):  # ends with source tags: "... 2023. [S5]"
        return f"{sentence.strip()} {marks}"
    m = re.match(r"^(.*?)([.!?:;]+[\"'”’)]*)?$", sentence.strip(), re.DOTALL)
    body, end = (m.group(1), m.group(2) or "") if m else (sentence, "")
    return f"{body} {marks}{end}"


def nearest_topics(hits: list[Hit], limit: int = 3) -> list[str]:
    """Section titles of the best hits, as 'Section (Document)', for an abstention message (never a document's
    list of sources or references: nobody asks about a bibliography)."""
    out: list[str] = []
    for h in hits:
        if re.match(r"^(sources|references)\b", h.chunk.section_title.strip(), re.IGNORECASE):
            continue
        label = f"{h.chunk.section_title} ({h.chunk.title})" if h.chunk.section_title != h.chunk.title else h.chunk.title
        if label not in out:
            out.append(label)
        if len(out) >= limit:
            break
    return out


_ASKS_WHEN = re.compile(r"\b(when|what (?:year|date|day|month))\b", re.IGNORECASE)


def finding_first(profile: QuestionProfile) -> Callable[[Candidate], bool]:
    """Whether a sentence states a finding (a holding, a result, a share) of the names the question gives
    ("The UNESCO survey found that ..." for "what did the UNESCO survey find?", not the Colombian survey's)."""
    if _ASKS_WHEN.search(profile.text):
        return lambda c: True  # "when was it decided?": the date, in reading order
    names = [n for n, _ in names_in(profile.text)]

    def first(c: Candidate) -> bool:
        if not states_finding(c.span.text):
            return False
        have = passage_words([f"{c.span.text} {c.chunk.section_title}"])
        return all(present(n, have) for n in names)

    return first


def count_first(chosen: list[Candidate], question: str, language: str = "en") -> list[Candidate]:
    """"How many ...?" in any language: the first chosen sentence that counts the thing asked comes first
    ("adopted by all 193 Member States" for "¿Cuántos Estados miembros adoptaron la Recomendación?", before
    the adoption dates); the others keep their order."""
    things = counted_things(question, language)
    lead = next((c for c in chosen if any(counts(c.span.text, t) for t in things)), None) if things else None
    return chosen if lead is None else [lead] + [c for c in chosen if c is not lead]
