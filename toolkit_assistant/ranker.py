"""Which retrieved sentence holds what an English question asks for: a small model over the evidence.

Each candidate sentence is described by what the pipeline already knows about it (its similarity to the
question, the question's words it holds and how rare they are, the head of the wh-phrase, the names in the
asking sentence, the kind of fact asked for and whether the sentence has it, the rank of its chunk, ...).
A linear score, fitted to rank each question's candidates (scripts/train_ranker.py), and one logistic scale
turn these into the probability that the sentence states the asked fact.

The weights (`ranker.json`) are fitted by `scripts/train_ranker.py` on the blind sets already seen
(questions written by helpers who read only the corpus), never on holdout4, which stays the figure that
judges it, nor on the gold set. The probability orders the answer's sentences, and the answer takes the likeliest
ones (answer.select_sentences). It does not decide whether to answer: tried as a floor on the best
sentence, it declined as many answerable dev questions as it caught near misses.

A question in another language has no words in common with the English passages, so the model (whose
evidence is mostly words) is used for English questions only; see ExtractiveGenerator.foreign_scorer.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from toolkit_assistant.coverage import asking_sentence, focus_heads, focus_terms, held
from toolkit_assistant.facts import counted_thing, counted_things, counts
from toolkit_assistant.question import _CHECKS, _METADATA, _WANTS, QuestionProfile
from toolkit_assistant.gloss import foreign_focus
from toolkit_assistant.text import stem, years
from toolkit_assistant.types import NORMATIVE_KINDS, OFFICIAL_STATUSES

if TYPE_CHECKING:
    from toolkit_assistant.answer import Candidate

FEATURES = (
    "bias",
    "similarity",
    "similarity_gap",
    "words",
    "words_with_titles",
    "chunk_similarity",
    "chunk_rank",
    "rare_words",
    "rare_words_missing",
    "head_in_sentence",
    "head_elsewhere",
    "names_held",
    "number_held",
    "number_missing",
    "date_held",
    "date_missing",
    "person_held",
    "person_missing",
    "finding_held",
    "finding_metadata",
    "count_held",
    "count_missing",
    "position_taken",
    "list_sentence",
    "normative_source",
    "metadata",
    "short",
    "length",
    "list_item",
    "first_in_chunk",
    "official",
)

@dataclass
class QuestionView:
    """What is read from a question once, for scoring its candidates."""

    profile: QuestionProfile
    weights: dict[str, float]  # question term -> rarity in the index (1 + log 1/df)
    rare: tuple[str, ...]  # question terms rarer than COMMON among the indexed chunks
    heads: tuple[str, ...]
    names: tuple[str, ...]
    counted: str
    wanted: frozenset[str]  # number / date / person asked for in words
    max_sim: float


COMMON = 0.25


def question_view(
    profile: QuestionProfile,
    cands: list[Candidate],
    df: Callable[[str], float],
    *,
    heads: list[str],
    names: list[str],
    counted: str,
) -> QuestionView:
    """Read the question once: its terms' rarity, its head, its names, what kind of fact it wants."""
    weights = {t: 1.0 + math.log(1.0 / max(df(t), 0.02)) for t in profile.terms}
    rare = tuple(t for t in profile.terms if df(t) < COMMON)
    wanted = frozenset(w for w in ("number", "date", "person") if _WANTS[w].search(profile.text))
    return QuestionView(
        profile=profile, weights=weights, rare=rare, heads=tuple(heads), names=tuple(names), counted=counted,
        wanted=wanted, max_sim=max((c.sim for c in cands), default=0.0),
    )


def features(c: Candidate, view: QuestionView, context: frozenset[str]) -> np.ndarray:
    """The evidence about one sentence, in the order of FEATURES."""
    p = view.profile
    text = c.span.text
    q = p.text
    terms = p.terms
    total = sum(view.weights.get(t, 1.0) for t in terms) or 1.0
    words_share = sum(view.weights.get(t, 1.0) for t in terms if held(t, c.terms)) / total
    with_titles = sum(view.weights.get(t, 1.0) for t in terms if held(t, c.terms | context)) / total
    rare_total = sum(view.weights[t] for t in view.rare) or 1.0
    rare_in = sum(view.weights[t] for t in view.rare if held(t, c.terms)) / rare_total if view.rare else 0.0
    rare_out = (
        sum(view.weights[t] for t in view.rare if not held(t, c.terms | context)) / rare_total if view.rare else 0.0
    )
    head_in = any(held(h, c.terms) for h in view.heads)
    head_ctx = (not head_in) and any(held(h, context) for h in view.heads)
    names_held = (sum(held(n, c.terms | context) for n in view.names) / len(view.names)) if view.names else 1.0

    def check(kind: str) -> bool:
        return _CHECKS[kind](text, q)

    has = {kind: check(kind) for kind in view.wanted}  # each asked kind checked once: held, or missing
    counted = bool(view.counted) and counts(text, view.counted)
    f = {
        "bias": 1.0,
        "similarity": c.sim,
        "similarity_gap": c.sim - view.max_sim,
        "words": words_share,
        "words_with_titles": with_titles,
        "chunk_similarity": max(c.hit_dense, 0.0),
        "chunk_rank": 1.0 / max(c.hit_rank, 1),
        "rare_words": rare_in,
        "rare_words_missing": rare_out,
        "head_in_sentence": float(head_in),
        "head_elsewhere": float(head_ctx),
        "names_held": names_held,
        "number_held": float(has.get("number", False)),
        "number_missing": float("number" in has and not has["number"]),
        "date_held": float(has.get("date", False)),
        "date_missing": float("date" in has and not has["date"]),
        "person_held": float(has.get("person", False)),
        "person_missing": float("person" in has and not has["person"]),
        "finding_held": float("finding" in p.wants and check("finding")),
        "finding_metadata": float("finding" in p.wants and bool(_METADATA.search(text))),
        "count_held": float(counted),
        "count_missing": float(bool(view.counted) and not counted),
        "position_taken": float("yesno" in p.wants and check("yesno")),
        "list_sentence": float("list" in p.wants and check("list")),
        "normative_source": float("normative" in p.wants and c.chunk.kind in NORMATIVE_KINDS),
        "metadata": float(bool(_METADATA.search(text))),
        "short": float(len(text) < 40),
        "length": min(len(text), 400) / 400.0,
        "list_item": float(c.is_item),
        "first_in_chunk": float(c.index == 0),
        "official": float(c.chunk.status in OFFICIAL_STATUSES),
    }
    return np.array([f[name] for name in FEATURES], dtype=np.float64)


@dataclass(frozen=True)
class SentenceModel:
    """Logistic weights over FEATURES, with how they were fitted."""

    weights: np.ndarray
    provenance: dict

    def probability(self, x: np.ndarray) -> float:
        """P(the sentence states the asked fact)."""
        z = float(x @ self.weights)
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


@lru_cache(maxsize=1)
def sentence_model() -> SentenceModel | None:
    """The fitted model shipped with the package (None if the file is absent or was fitted on other features)."""
    try:
        raw = json.loads(resources.files("toolkit_assistant").joinpath("ranker.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, OSError, ValueError):
        return None
    if tuple(raw.get("features", ())) != FEATURES:
        return None
    return SentenceModel(
        weights=np.array([raw["weights"][name] for name in FEATURES], dtype=np.float64),
        provenance=raw.get("provenance", {}),
    )


Scorer = Callable[[QuestionProfile, list["Candidate"]], dict[int, float]]

# a figure the question states may be wrong ("the 12 principles"): the sentence that states the materials'
# own figure comes first. Hand-set, not fitted: the blind sets hold no false premises to fit on.
PREMISE_HELD = 1.3
PREMISE_MISSING = 0.7
_GIVEN = re.compile(r"\s*(why|since|given|as|because)\b", re.IGNORECASE)


def premise_kind(question: str) -> str:
    """"date" or "number" when the question states a year or a figure it does not ask about, else ""."""
    # a year is usually a constraint ("by November 2020"); it is a premise when the question takes it as given
    if years(question) and not _WANTS["date"].search(question) and _GIVEN.match(question):
        return "date"
    if re.search(r"\b\d+\b", question) and not years(question) and not _WANTS["number"].search(question):
        return "number"
    return ""


def view_of(
    profile: QuestionProfile, cands: list[Candidate], df: Callable[[str], float], language: str = "en",
) -> QuestionView:
    """What the sentence model reads from a question (its rare words, head, names, counted thing); in another
    language, the counted thing is the glossary's English for it ("cuántos Estados": "state")."""
    asking = asking_sentence(profile.text)
    names = [t for t, _, is_name in focus_terms(asking) if is_name and not any(ch.isdigit() for ch in t)]
    if language == "en":
        heads, counted = focus_heads(profile.text), counted_thing(profile.text)
    else:
        # the verb of a who-question, in the glossary's English ("quem bancou": "funded"); the noun heads of
        # its wh-phrases and the asked kinds in its own words were tried as well: 2 fewer key facts on the
        # seen sets
        heads = list(dict.fromkeys(stem(w) for _, english in foreign_focus(asking, language, "who") for w in english))
        counted = next(iter(counted_things(asking, language)), "")
    return question_view(profile, cands, df, heads=heads, names=names, counted=counted)


def fitted_scorer(
    df: Callable[[str], float], context: Callable[[Candidate], frozenset[str]], language: str = "en",
) -> Scorer | None:
    """Scores from the fitted model (None when ranker.json is absent); `context(c)` is a sentence's titles."""
    model = sentence_model()
    if model is None:
        return None

    def score(part: QuestionProfile, pool: list[Candidate]) -> dict[int, float]:
        view = view_of(part, pool, df, language)
        out = {id(c): model.probability(features(c, view, context(c))) for c in pool}
        premise = premise_kind(part.text)
        if premise:
            for c in pool:
                out[id(c)] *= PREMISE_HELD if _CHECKS[premise](c.span.text, part.text) else PREMISE_MISSING
        return out

    return score
