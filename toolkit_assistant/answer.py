"""The extractive answer: read the question, then choose the passage sentences that answer it.

No sentence is written here: every sentence of an answer is an exact sentence of a retrieved
passage, followed by its [n] citation. What this module decides is which sentences, in which order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from toolkit_assistant.text import Span, content_terms, numbers, split_sentences, years
from toolkit_assistant.types import Chunk, Citation, Draft, Hit

NUMBER_WORDS = {
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
    "thousand", "million", "dozen", "half", "majority",
}
_MONTH = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december)\b",
    re.IGNORECASE,
)
_WANTS = {
    "number": re.compile(
        r"\bhow (many|much|large|big|long|often)\b|\bwhat (share|percentage|proportion|percent|number|fraction|portion|figure|size)\b"
        r"|\b(percentage|proportion|share) of\b|\bnumber of\b|\bhow many\b|\bcount\b|\bwhat figures?\b",
        re.IGNORECASE,
    ),
    "date": re.compile(
        r"\bwhen\b|\bwhat (year|date|month|day|time)\b|\bwhich (year|date|month|day)\b|\bdeadline\b|\bin what year\b|\bsince when\b|\bdated?\b",
        re.IGNORECASE,
    ),
    "person": re.compile(r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich (person|author|judge|official|expert)s?\b", re.IGNORECASE),
    "list": re.compile(
        r"\b(what|which) (are|were) (the|its|their)\b|\blist\b|\bname (the|all|its|their)\b|\benumerate\b"
        r"|\b(what|which) (values|principles|modules|areas|risks|tools|languages|partners|recommendations|steps|rights|objectives|measures|topics|terms|instruments|cases|countries|organisations|organizations|questions|sessions)\b"
        r"|\bthe (four|five|six|seven|eight|ten|eleven|three|two|\d+) \w+",
        re.IGNORECASE,
    ),
    "yesno": re.compile(
        r"^\s*(should|may|can|could|is|are|does|do|did|must|will|would|has|have|was|were|shall|ought)\b",
        re.IGNORECASE,
    ),
}
PART_MIN_SCORE = 0.35
_PART_SPLIT = re.compile(
    r"\?\s+|;\s*|,?\s+and\s+(?=(?:how|when|what|which|who|whom|where|why|whose|in what|is|are|does|did|do)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QuestionPart:
    """One thing the question asks: its content terms and the kind of answer it wants."""

    text: str
    terms: tuple[str, ...]
    wants: frozenset[str]


@dataclass(frozen=True)
class QuestionProfile:
    """What a question asks for, read without a model."""

    text: str
    terms: tuple[str, ...]
    wants: frozenset[str]
    parts: tuple[QuestionPart, ...] = field(default_factory=tuple)


def _wants(text: str) -> frozenset[str]:
    return frozenset(name for name, pattern in _WANTS.items() if pattern.search(text))


def analyse_question(question: str) -> QuestionProfile:
    """Split a question into its parts and read what kind of answer each part wants."""
    pieces = [p.strip(" ?,.") for p in _PART_SPLIT.split(question) if p and p.strip(" ?,.")]
    parts = []
    for piece in pieces:
        terms = tuple(content_terms(piece))
        if terms:
            parts.append(QuestionPart(piece, terms, _wants(piece)))
    return QuestionProfile(
        text=question,
        terms=tuple(content_terms(question)),
        wants=_wants(question),
        parts=tuple(parts),
    )


def has_number(text: str) -> bool:
    """True if a sentence states a quantity (digits or number words)."""
    if any(ch.isdigit() for ch in text):
        return True
    return any(w in NUMBER_WORDS for w in re.findall(r"[a-z]+", text.lower()))


def has_date(text: str) -> bool:
    """True if a sentence states a year or a month."""
    return bool(years(text)) or bool(_MONTH.search(text))


def has_person(text: str) -> bool:
    """True if a sentence names someone (two capitalised words in a row, or a title)."""
    return bool(re.search(r"\b(Professor|Judge|Justice|Dr|Mr|Ms)\b|\b[A-Z][a-zà-ÿ]+ [A-Z][a-zà-ÿ]+", text))


def is_list_sentence(text: str) -> bool:
    """True if a sentence enumerates (a colon, or three or more comma-separated items)."""
    return ":" in text or text.count(",") >= 2 or text.count(";") >= 2


_CHECKS: dict[str, Callable[[str], bool]] = {
    "number": has_number,
    "date": has_date,
    "person": has_person,
    "list": is_list_sentence,
}


@dataclass
class Candidate:
    """A sentence of a retrieved chunk, with what is known about it."""

    chunk: Chunk
    span: Span
    hit_rank: int
    hit_dense: float
    sim: float
    terms: frozenset[str]
    index: int  # position of the sentence within its chunk
    score: float = 0.0
    is_item: bool = False


SentenceVectors = Callable[[list[Chunk]], dict[str, tuple[list[tuple[int, int]], np.ndarray]]]


def term_overlap(wanted: tuple[str, ...] | list[str], have: frozenset[str] | set[str]) -> float:
    """Share of the wanted terms present (0 when nothing is wanted)."""
    if not wanted:
        return 0.0
    return sum(1 for t in wanted if t in have) / len(wanted)


def score_candidate(c: Candidate, terms: tuple[str, ...], wants: frozenset[str], context: frozenset[str]) -> float:
    """How well one sentence answers a question (or one part of it)."""
    lex = term_overlap(terms, c.terms)
    ctx = term_overlap(terms, c.terms | context)
    score = 0.50 * c.sim + 0.30 * lex + 0.10 * ctx + 0.10 * max(c.hit_dense, 0.0)
    score -= 0.015 * (c.hit_rank - 1)
    for want in wants:
        check = _CHECKS.get(want)
        if check is None:
            continue
        if check(c.span.text):
            score += 0.12 if want in ("number", "date") else 0.06
        elif want in ("number", "date"):
            score -= 0.08
    if len(c.span.text) < 40:
        score -= 0.05
    return score


class ExtractiveGenerator:
    """Answers with the retrieved sentences that best cover the question, each cited."""

    name = "extractive"

    def __init__(self, embed_query: Callable[[str], np.ndarray], sentence_vectors: SentenceVectors, *, max_sentences: int = 4, max_chunks: int = 6) -> None:
        """Use these vectors; write at most `max_sentences` sentences (more for lists)."""
        self.embed_query = embed_query
        self.sentence_vectors = sentence_vectors
        self.max_sentences = max_sentences
        self.max_chunks = max_chunks

    def candidates(self, hits: list[Hit], qvec: np.ndarray) -> list[Candidate]:
        """Every sentence of the top hits, scored against the question vector (duplicates dropped)."""
        top = hits[: self.max_chunks]
        vectors = self.sentence_vectors([h.chunk for h in top])
        out: list[Candidate] = []
        seen: set[str] = set()
        for hit in top:
            spans_vecs = vectors.get(hit.chunk.id)
            if not spans_vecs:
                continue
            spans, mat = spans_vecs
            sims = mat @ qvec if len(spans) else np.zeros(0)
            text = hit.chunk.text
            for i, ((a, b), sim) in enumerate(zip(spans, sims, strict=True)):
                sentence = text[a:b]
                key = re.sub(r"\s+", " ", sentence.strip().lower())
                if key in seen:
                    continue
                seen.add(key)
                line_start = text.rfind("\n", 0, a) + 1
                is_item = bool(re.match(r"[ \t]*(?:[-*•]|\d+[.)])[ \t]+$", text[line_start:a]))
                out.append(
                    Candidate(
                        chunk=hit.chunk, span=Span(a, b, sentence), hit_rank=hit.rank or 1,
                        hit_dense=hit.dense if hit.dense is not None else 0.0, sim=float(sim),
                        terms=frozenset(content_terms(sentence)), index=i, is_item=is_item,
                    )
                )
        return out

    def relevance(self, question: str, hits: list[Hit], qvec: np.ndarray | None = None) -> tuple[float, list[Candidate]]:
        """How relevant the best retrieved sentence is (0..1), and the scored candidates."""
        if not hits:
            return 0.0, []
        qvec = self.embed_query(question) if qvec is None else qvec
        profile = analyse_question(question)
        cands = self.candidates(hits, qvec)
        best = 0.0
        for c in cands:
            context = frozenset(content_terms(f"{c.chunk.title} {c.chunk.section_title}"))
            lex = term_overlap(profile.terms, c.terms | context)
            rel = 0.7 * c.sim + 0.3 * lex
            best = max(best, rel)
        return best, cands

    def generate(self, question: str, hits: list[Hit], cands: list[Candidate] | None = None, qvec: np.ndarray | None = None) -> Draft:
        """Compose the answer from the candidates."""
        if cands is None:
            qvec = self.embed_query(question) if qvec is None else qvec
            cands = self.candidates(hits, qvec)
        chosen = select_sentences(analyse_question(question), cands, max_sentences=self.max_sentences)
        return compose(chosen, backend=self.name)


def _context(c: Candidate) -> frozenset[str]:
    return frozenset(content_terms(f"{c.chunk.title} {c.chunk.section_title}"))


def select_sentences(profile: QuestionProfile, cands: list[Candidate], *, max_sentences: int = 4) -> list[Candidate]:
    """Choose sentences that answer every part of the question without repeating each other."""
    if not cands:
        return []
    contexts = {id(c): _context(c) for c in cands}
    for c in cands:
        c.score = score_candidate(c, profile.terms, profile.wants, contexts[id(c)])
    ranked = sorted(cands, key=lambda c: -c.score)
    best = ranked[0]
    chosen: list[Candidate] = [best]
    limit = max_sentences + (2 if "list" in profile.wants else 0)

    def redundant(c: Candidate) -> bool:
        for s in chosen:
            if s is c:
                return True
            both = c.terms | s.terms
            if both and len(c.terms & s.terms) / len(both) > 0.6:
                return True
        return False

    # every part of a many-part question gets its own best sentence
    if len(profile.parts) > 1:
        for part in profile.parts:
            wants = part.wants or profile.wants
            scored = [(score_candidate(c, part.terms, wants, contexts[id(c)]), c) for c in cands]
            part_score, part_best = max(scored, key=lambda t: t[0])
            if part_best in chosen:
                continue
            if term_overlap(part.terms, part_best.terms) > 0 and part_score >= PART_MIN_SCORE and not redundant(part_best):
                chosen.append(part_best)
    # more sentences while they add something and stay close to the best
    covered = set(best.terms)
    for c in ranked[1:]:
        if len(chosen) >= limit:
            break
        if redundant(c):
            continue
        adds = [t for t in profile.terms if t in c.terms and t not in covered]
        threshold = 0.80 if adds else 0.90
        if c.score >= threshold * best.score and (c.chunk.id == best.chunk.id or c.score > 0.45):
            chosen.append(c)
            covered |= c.terms
    # a list's lead-in brings its items
    expanded: list[Candidate] = []
    for c in chosen:
        expanded.append(c)
        if c.span.text.rstrip().endswith(":"):
            items = [x for x in cands if x.chunk.id == c.chunk.id and x.index > c.index and x.is_item]
            items.sort(key=lambda x: x.index)
            run: list[Candidate] = []
            for x in items:
                if run and x.index != run[-1].index + 1:
                    break
                if not run and x.index != c.index + 1:
                    break
                run.append(x)
            expanded.extend(x for x in run[:15] if x not in expanded and x not in chosen)
    # keep reading order within a chunk; chunks in order of first choice
    order: dict[str, int] = {}
    for c in expanded:
        order.setdefault(c.chunk.id, len(order))
    unique: list[Candidate] = []
    for c in expanded:
        if c not in unique:
            unique.append(c)
    return sorted(unique, key=lambda c: (order[c.chunk.id], c.index))


def compose(chosen: list[Candidate], *, backend: str) -> Draft:
    """Join the chosen sentences, each with its [n] before its final punctuation."""
    citations: list[Citation] = []
    pieces: list[str] = []
    for c in chosen:
        n = len(citations) + 1
        citations.append(Citation(n=n, chunk=c.chunk, quote=c.span.text, score=round(c.score, 4)))
        pieces.append(("\n- " if c.is_item else " ") + cite_sentence(c.span.text, [n]))
    text = "".join(pieces).strip()
    if text.startswith("- "):
        text = text[2:]
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
    """Section titles of the best hits, as 'Section (Document)', for an abstention message."""
    out: list[str] = []
    for h in hits:
        label = f"{h.chunk.section_title} ({h.chunk.title})" if h.chunk.section_title != h.chunk.title else h.chunk.title
        if label not in out:
            out.append(label)
        if len(out) >= limit:
            break
    return out


def numbers_in(text: str) -> set[str]:
    """Re-export for callers that check figures."""
    return numbers(text)


__all__ = [
    "Candidate",
    "ExtractiveGenerator",
    "QuestionProfile",
    "analyse_question",
    "cite_sentence",
    "compose",
    "nearest_topics",
    "select_sentences",
    "split_sentences",
]
