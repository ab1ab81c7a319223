"""A pack's key points: corpus sentences about the topic, sorted into themes, as many as the session's time needs.

Each key point is one whole sentence of an indexed chunk (an exact substring), found by retrieval, kept only when
the project's verifier supports it as a citation of its chunk, and sorted into the theme whose question it fits
best among those whose cue it carries (a risk names a harm; guidance states a duty; a safeguard names a right or
principle). Sentences about a course or curriculum (what a training teaches) and the case documents (which the
case study uses) are left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from toolkit_assistant.session.wording import Wording, cue, cues
from toolkit_assistant.text import content_terms, detect_language

if TYPE_CHECKING:
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.types import Chunk

THEME_KEYS = ("what", "risks", "guidance", "safeguards")
# the share of the key points each theme gets, before a theme short of sentences passes its share on
THEME_SHARES = (0.2, 0.3, 0.3, 0.2)
MINUTES_PER_POINT = 7  # about one cited key point for every seven minutes of session
MIN_POINTS, MAX_POINTS = 4, 20
HITS_PER_QUERY = 12
# a sentence is about the topic when its relevance (topic similarity and topic words) reaches REL_FLOOR and its
# score for its theme (relevance and the theme question's similarity) reaches SCORE_FLOOR
REL_FLOOR = 0.18
SCORE_FLOOR = 0.36
NEAR_DUPLICATE = 0.86  # cosine above which two sentences say the same thing: keep the first
SKIP_SECTIONS = {"sources", "references", "source register", "bibliography"}


@dataclass(frozen=True)
class Found:
    """A sentence of the corpus that a pack may quote, with what the pack knows about it."""

    chunk: Chunk
    text: str
    theme: str
    relevance: float  # to the topic
    score: float  # to the topic and its theme
    vector: np.ndarray


def point_budget(minutes: int) -> int:
    """How many key points a session of `minutes` should have."""
    return max(MIN_POINTS, min(MAX_POINTS, round(minutes / MINUTES_PER_POINT)))


def topic_language(assistant: Assistant, topic: str, pack_lang: str = "en") -> str:
    """The language a topic is written in: what its words say, else, for a short topic whose words the
    English materials never use ("biais algorithmique"), the language of the pack being made."""
    from toolkit_assistant.text import stem, words

    lang = detect_language(topic)
    if lang != "en" or pack_lang == "en":
        return lang
    vocab = assistant.extractive.vocabulary() if assistant.extractive.vocabulary is not None else {}
    known = [w for w in words(topic) if len(w) >= 3]
    unknown = [w for w in known if stem(w) not in vocab and w not in vocab]
    return pack_lang if known and len(unknown) * 2 > len(known) else "en"


ANCHOR_MIN = 0.45  # rescaled similarity from which a section title names a topic given in another language
ANCHOR_MARGIN = 0.02  # ... and by which it must be closer than the next title


def anchor_topic(foreign: Assistant, topic: str, question: str) -> str | None:
    """The materials' own name for a topic given in another language ('biais algorithmique' -> 'Algorithmic
    bias'): the short section title of the retrieved passages closest in meaning to it, when one is close."""
    hits, _ = foreign.retrieve(question, k=8)
    titles = list(dict.fromkeys(h.chunk.section_title for h in hits
                                if usable(h.chunk) and 0 < len(h.chunk.section_title.split()) <= 5))
    if not titles:
        return None
    sims = [foreign.extractive.rescale(float(s))
            for s in foreign.embedder.embed_documents(titles) @ foreign.embedder.embed_query(topic)]
    ranked = sorted(zip(sims, titles, strict=True), reverse=True)
    best, title = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
    return title if best >= ANCHOR_MIN and best - runner_up >= ANCHOR_MARGIN else None


def engine_for(assistant: Assistant, topic_lang: str) -> Assistant:
    """The assistant whose index reads the topic's language (the multilingual one for a topic not in English)."""
    foreign = getattr(assistant, "foreign", None)
    return foreign if foreign is not None and topic_lang != "en" else assistant


def usable(chunk: Chunk) -> bool:
    """Whether a chunk may be quoted in a pack (not a list of sources)."""
    return chunk.section_title.strip().lower() not in SKIP_SECTIONS


def theme_of(text: str, fits: dict[str, float]) -> tuple[str, float] | None:
    """The theme a sentence belongs to: the best-fitting theme among those whose cue it carries."""
    weights = cues()["weights"]
    best: tuple[str, float] | None = None
    for key in THEME_KEYS:
        if not cue("themes", key).search(text):
            continue
        fit = fits[key] + float(weights["cue"])
        for theme, name in (("risks", "strong_risk"), ("guidance", "strong_duty"), ("what", "definition")):
            if key == theme and weights[name].search(text):
                fit += float(weights[f"{name}_bonus"])
        if best is None or fit > best[1]:
            best = (key, fit)
    return best


def _term_weights(topic_terms: set[str], sentences: list[set[str]]) -> dict[str, float]:
    """Each topic word's share of the topic (summing to 1): a word most sentences found share ('AI') weighs little."""
    n = len(sentences)
    raw = {t: math.log((n + 1) / (sum(t in s for s in sentences) + 0.5)) for t in topic_terms}
    total = sum(raw.values()) or 1.0
    return {t: max(v, 0.0) / total for t, v in raw.items()}


def find_sentences(engine: Assistant, topic: str, wording: Wording, *, english: bool = True) -> list[Found]:
    """Every quotable sentence about the topic that the retrieval finds, each with its theme, best first.

    `wording` is in the topic's language (English for a language it has no file for): its theme questions are
    asked of the index. `english`: the topic is in English, so its words count beside its meaning.
    """
    queries = [topic] + [wording(f"queries.{k}", topic=topic) for k in (*THEME_KEYS, "courts")]
    pool: dict[tuple[str, int], tuple[Chunk, int, int]] = {}
    for q in queries:
        hits, qvec = engine.retrieve(q, k=HITS_PER_QUERY)
        for c in engine.extractive.candidates(hits, qvec):
            if c.chunk.kind == "case" or not usable(c.chunk) or c.chunk.role == "footnote":
                continue
            pool.setdefault((c.chunk.id, c.span.start), (c.chunk, c.span.start, c.span.end))
    if not pool:
        return []
    vectors = engine.reader.sentence_vectors(sorted({chunk.id for chunk, _, _ in pool.values()}))
    embed = engine.embedder.embed_query
    topic_vec = embed(topic)
    theme_vecs = {k: embed(wording(f"queries.{k}", topic=topic)) for k in THEME_KEYS}
    scale = engine.extractive.rescale
    topic_terms = set(content_terms(topic)) if english else set()
    skip = (cue("skip", "curriculum"), cue("skip", "case_metadata"))
    cue_bonus = float(cues()["weights"]["cue"])
    rows = []
    for chunk, a, b in pool.values():
        text = chunk.text[a:b]
        spans, mat = vectors.get(chunk.id, ([], None))
        if mat is None or (a, b) not in spans or any(p.search(text) for p in skip) or len(text.split()) < 5:
            continue
        rows.append((chunk, text, mat[spans.index((a, b))], set(content_terms(f"{chunk.section_title} {text}"))))
    weight = _term_weights(topic_terms, [terms for *_, terms in rows])
    out: list[Found] = []
    for chunk, text, vec, terms in rows:
        sim = scale(float(vec @ topic_vec))
        rel = 0.6 * sim + 0.4 * sum(weight[t] for t in topic_terms & terms) if topic_terms else sim
        fits = {k: scale(float(vec @ v)) for k, v in theme_vecs.items()}
        found = theme_of(text, fits)
        if found is None:
            continue
        theme, fit = found
        score = 0.5 * rel + 0.5 * fits[theme]
        if rel >= REL_FLOOR and score >= SCORE_FLOOR:
            out.append(Found(chunk, text, theme, rel, score + 0.5 * (fit - fits[theme] - cue_bonus), vec))
    out.sort(key=lambda f: (-f.score, f.chunk.id, f.text))
    return out


def shares(total: int, available: dict[str, int]) -> dict[str, int]:
    """Points per theme: `total` split by THEME_SHARES, a theme's unused share passed to the others in order."""
    want = {k: 0 for k in THEME_KEYS}
    raw = {k: total * s for k, s in zip(THEME_KEYS, THEME_SHARES, strict=True)}
    for k in THEME_KEYS:
        want[k] = min(int(raw[k]), available.get(k, 0))
    left = total - sum(want.values())
    # largest remainder first, then any theme that still has sentences
    order = sorted(THEME_KEYS, key=lambda k: (-(raw[k] - int(raw[k])), THEME_KEYS.index(k)))
    while left > 0:
        moved = False
        for k in order:
            if left and want[k] < available.get(k, 0):
                want[k] += 1
                left -= 1
                moved = True
        if not moved:
            break
    return want


def choose(found: list[Found], budget: int, scale: Callable[[float], float] = lambda s: s) -> dict[str, list[Found]]:
    """The key points of each theme: the best sentences, near-duplicates dropped, `budget` in all at most.

    `scale` puts the embedding model's cosines on a common scale (e5's crowd near 1), as retrieval does.
    """
    kept: list[Found] = []
    for f in found:
        if all(scale(float(f.vector @ k.vector)) < NEAR_DUPLICATE and f.text != k.text for k in kept):
            kept.append(f)
    by_theme = {k: [f for f in kept if f.theme == k] for k in THEME_KEYS}
    want = shares(budget, {k: len(v) for k, v in by_theme.items()})
    return {k: by_theme[k][: want[k]] for k in THEME_KEYS}


def supported(engine: Assistant, chunk: Chunk, quote: str) -> bool:
    """Whether the project's verifier supports `quote` as a citation of `chunk` (and it is exact text of it)."""
    from toolkit_assistant.compose import cite_sentence
    from toolkit_assistant.types import Citation, Draft
    from toolkit_assistant.verify import verify

    if not quote.strip() or quote not in chunk.text:
        return False
    draft = Draft(text=cite_sentence(quote, [1]), citations=(Citation(1, chunk, quote, 1.0),), backend="extractive")
    report = verify(draft, embed=engine.embedder.embed_documents, passage_vectors=engine.reader.sentence_vectors).report
    return report.sentences >= 1 and report.supported == report.sentences


def lead_sentences(text: str) -> list[str]:
    """A passage's sentences as a reader quotes them."""
    from toolkit_assistant.text import split_sentences

    return [s.text for s in split_sentences(text) if re.search(r"\w", s.text)]
