"""Cases for a pack: the case documents' sections grouped by case, ranked for the topic, told in their own words.

A case's sections share the words before the colon of their titles ("State v. Loomis: facts", "State v. Loomis:
holding and follow-up"). The first section (or one whose title says "facts") gives the facts; the later ones the
decision and its lesson. Every sentence told is quoted whole from its chunk. A group counts as a real case, fit for
a case study, when a court's decision is stated in it (cues.toml [cases] real_case); the others (a court's tool, a
policy, a myth) are examples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from toolkit_assistant.session.points import Found, lead_sentences, usable
from toolkit_assistant.session.wording import cue
from toolkit_assistant.text import content_terms

if TYPE_CHECKING:
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.types import Chunk

# a case is about the topic when one of its sentences is this close to it, or another document names it
RELEVANT_SIMILARITY = 0.5
MAX_OTHER_CASES = 2


@dataclass
class CaseGroup:
    """The sections of one case (or example) in a case document."""

    name: str
    doc_title: str
    chunks: list[Chunk] = field(default_factory=list)

    @property
    def title(self) -> str:
        """'State v. Loomis'; a group named after a country takes its first section's title."""
        return self.name if " v. " in self.name else self.chunks[0].section_title

    @property
    def sections(self) -> list[str]:
        """The group's section numbers, in order."""
        return list(dict.fromkeys(c.section for c in self.chunks))

    def aliases(self) -> list[str]:
        """Names by which other documents refer to the case: its name, its parties, its tools' acronyms."""
        names: set[str] = set()
        if " v. " in self.name:  # a country's name is no alias: other documents name it for other things
            names = {self.name} | {p.strip() for p in self.name.split(" v. ") if len(p.strip()) >= 4 and p.strip() != "State"}
        for c in self.chunks:
            names |= set(re.findall(r"\b[A-Z]{3,}\b|\b[A-Z]-\d+(?:/\d{4})?\b", c.section_title))
        return sorted(names, key=len, reverse=True)

    def sentences(self) -> list[tuple[Chunk, str, bool]]:
        """(chunk, sentence, in a facts section) for every sentence, in reading order."""
        out = []
        first = self.sections[0]
        for c in self.chunks:
            facts = bool(cue("cases", "facts_title").search(c.section_title)) or (
                c.section == first and len(self.sections) > 1)
            out += [(c, s, facts) for s in lead_sentences(c.text)]
        return out


def _section_key(section: str) -> tuple[int, str]:
    head = section.split(".")[0]
    return (int(head), section) if head.isdigit() else (10**6, section)


def case_groups(chunks: list[Chunk]) -> list[CaseGroup]:
    """The cases of the case documents among `chunks`, in document order."""
    groups: dict[tuple[str, str], CaseGroup] = {}
    for c in sorted((c for c in chunks if c.kind == "case" and usable(c)),
                    key=lambda c: (c.doc_id, _section_key(c.section), c.id)):
        name = c.section_title.split(":")[0].strip() or c.title
        groups.setdefault((c.doc_id, name), CaseGroup(name, c.title)).chunks.append(c)
    return list(groups.values())


@dataclass(frozen=True)
class RankedCase:
    """A case group and how it stands to the topic."""

    group: CaseGroup
    score: float
    relevant: bool
    real_case: bool


def rank_cases(engine: Assistant, topic: str, groups: list[CaseGroup], found: list[Found], *,
               english: bool = True) -> list[RankedCase]:
    """The case groups, best for the topic first: meaning, the topic's words, and other documents naming them."""
    if not groups:
        return []
    vectors = engine.reader.sentence_vectors([c.id for g in groups for c in g.chunks])
    topic_vec = engine.embedder.embed_query(topic)
    terms = set(content_terms(topic)) if english else set()
    real = cue("cases", "real_case")
    out = []
    for g in groups:
        sims = [float(np.max(vectors[c.id][1] @ topic_vec)) for c in g.chunks if c.id in vectors and len(vectors[c.id][0])]
        dense = engine.extractive.rescale(max(sims)) if sims else 0.0
        text = " ".join(f"{c.section_title} {c.text}" for c in g.chunks)
        lex = len(terms & set(content_terms(text))) / len(terms) if terms else 0.0
        named = [f.relevance for f in found if any(re.search(rf"\b{re.escape(a)}\b", f.text) for a in g.aliases())]
        mention = min(1.0, sum(named))
        is_real = any(real.search(s) for _, s, facts in g.sentences() if not facts) or bool(
            len(g.sections) == 1 and real.search(text))
        score = 0.4 * dense + 0.4 * mention + 0.2 * lex + (0.15 if is_real else 0.0)
        out.append(RankedCase(g, score, bool(named) or dense >= RELEVANT_SIMILARITY, is_real))
    out.sort(key=lambda r: (-r.score, r.group.name))
    return out


def _skip(sentence: str) -> bool:
    return bool(cue("skip", "case_metadata").search(sentence)) or len(sentence.split()) < 5


def tell(engine: Assistant, group: CaseGroup, topic: str, *, n_facts: int, n_holding: int,
         study: bool) -> tuple[list[tuple[Chunk, str]], list[tuple[Chunk, str]], list[tuple[Chunk, str]]]:
    """(facts, holding, lesson) of a case, each a list of (chunk, sentence) in reading order.

    Facts: the first sentence of the facts, then those closest to the topic. Holding: the first sentences that
    state the decision. Lesson: the first sentence that draws the case's lesson. An example (`study` False) gets
    its first sentence and the one closest to the topic as facts.
    """
    topic_vec = engine.embedder.embed_query(topic)
    vectors = engine.reader.sentence_vectors([c.id for c in group.chunks])
    holding_cue, lesson_cue = cue("cases", "holding"), cue("cases", "lesson")
    single = len(group.sections) == 1
    facts, holding, lesson = [], [], []
    for i, (chunk, s, in_facts) in enumerate(group.sentences()):
        if _skip(s):
            continue
        if lesson_cue.search(s) and not in_facts:
            lesson.append((i, chunk, s))
        elif holding_cue.search(s) and (not in_facts or single) and not (single and not study):
            holding.append((i, chunk, s))
        elif in_facts or single:
            facts.append((i, chunk, s))

    def sim(chunk: Chunk, s: str) -> float:
        spans, mat = vectors.get(chunk.id, ([], None))
        a = chunk.text.find(s)
        return float(mat[spans.index((a, a + len(s)))] @ topic_vec) if mat is not None and (a, a + len(s)) in spans \
            else 0.0

    lead = facts[:1]
    rest = sorted(facts[1:], key=lambda t: -sim(t[1], t[2]))[: max(0, n_facts - 1)]
    chosen_facts = sorted(lead + rest)
    return ([(c, s) for _, c, s in chosen_facts], [(c, s) for _, c, s in holding[:n_holding]],
            [(c, s) for _, c, s in lesson[:1]])
