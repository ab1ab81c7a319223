"""Decide from evidence whether the materials answer a question, speak of it only in part, or not at all.

One relevance number fitted to the team's own questions declined a third of fresh questions whose answer
retrieval had ranked first, and answered near misses ("what fines does the EU AI Act set?") with related
sentences. The decision here rests on several pieces of evidence the pipeline already has:

* **topic**: how close the best passages are to the question (dense similarity of the best sentence and
  chunk, BM25 agreeing with the dense ranking, the question's words found in the passages);
* **focus**: whether the sentences chosen to answer hold what the question asks for: each of its telling
  words (or a synonym, or a word with the same stem) in the passages, and the kind of fact it wants (a
  number, a date, a name) in the chosen sentences;
* **absence**: whether the best sentence itself says the materials lack the fact ("could not be
  confirmed", "give no further details").

*answered*: the topic is there and nothing the question asks for is missing. *partial*: the topic is
there but something asked for is not (the answer says what, and cites the closest passages). *none*: the
topic is not there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Container
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from toolkit_assistant.gloss import english_words, foreign_focus, normalise
from toolkit_assistant.lexicon import lexicon
from toolkit_assistant.text import STOPWORDS, SYNONYMS, split_sentences, stem, words

Coverage = Literal["answered", "partial", "none"]

# topic evidence: below both, nothing retrieved is about the question
TOPIC_MIN_TERMS = 0.34  # weighted share of the question's words found in the best passages
# not covered when two or more of the question's words, at least this share of its weight (a word the
# index never uses weighs like the rarest), are unknown to the index and the best sentence is not clearly
# about the question
UNKNOWN_SHARE = 0.5
# a question word counts as telling when it is rarer than this among the indexed chunks
COMMON_DF = 0.25
# the best sentence is clearly about the question this far above the topic floor: only then may words the
# index never uses be ignored, or a head word the passages never use be carried by them in other words
CLEAR_MARGIN = 0.10
# a foreign question this far under its similarity floor is about the passages when dense retrieval and BM25 on
# its glossary words agree (half the English margin, 0.08: on the seen blind sets 0.08 let five out-of-scope
# questions past this check, 0.04 none, and four answerable ones and one near miss)
FOREIGN_AGREE_MARGIN = 0.04
# a word of a question in another language that the glossary does not know is carried by the chosen
# sentences unless taking it out of the question brings them closer by more than this (see Assistant.carries)
FOREIGN_CARRY_MARGIN = 0.002
# "how many people answered?": one of the first chosen sentences saying the number of respondents is not
# known makes the answer partial, even beside a count from another survey
COUNT_ABSENCE_SENTENCES = 10


@dataclass(frozen=True)
class Evidence:
    """What the decision saw, for --explain and the Evaluate tab."""

    best_sim: float
    top_dense: float
    agree: bool
    term_share: float
    missing: tuple[str, ...] = ()
    missing_kind: str = ""
    absence: bool = False
    by_meaning: tuple[str, ...] = ()  # question words the passages carry in other words (see assess)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        return {
            "best_sentence_similarity": round(self.best_sim, 4),
            "top_chunk_similarity": round(self.top_dense, 4),
            "dense_and_bm25_agree": self.agree,
            "question_words_found": round(self.term_share, 4),
            "missing": list(self.missing),
            "missing_kind": self.missing_kind,
            "best_sentence_states_absence": self.absence,
            "found_by_meaning": list(self.by_meaning),
        }


@dataclass(frozen=True)
class Decision:
    """The outcome and why."""

    coverage: Coverage
    reason: str
    evidence: Evidence
    missing: tuple[str, ...] = ()  # the words of the question that the materials do not speak to


@lru_cache(maxsize=8192)
def _forms(term: str) -> frozenset[str]:
    """A question term, its stem and their synonyms (asked for every term of every candidate sentence)."""
    return frozenset({term, stem(term), *SYNONYMS.get(term, ()), *SYNONYMS.get(stem(term), ())})


# What the materials are about, in English: a question in another language that names none of these (through
# its glossary), no name the glossary knows and no name or number of its own that the index uses asks about
# something else ("le délai pour faire appel d'un jugement civil", "劳动合同解除时的经济补偿金"), however
# close its meaning score comes to some legal passage. English questions have their words checked instead.
DOMAIN = frozenset(stem(w) for w in (
    "ai artificial intelligence algorithm algorithmic automated automation automatic chatgpt chatbot bot generative "
    "machine neural model hallucination deepfake robot computer online internet platform digital data technology "
    "tool software unesco toolkit guidelines guideline guidance mooc course survey recommendation ethics ethical "
    "initiative curriculum training").split())


# UNESCO in the scripts whose questions cannot spell it in Latin letters (the glossaries leave it out: nearly
# every passage names it, so it would tell their sentences apart no better than "the")
UNESCO_FORMS = ("юнеско", "يونسكو", "教科文")


def domain_anchor(question: str, language: str, df: Callable[[str], float]) -> bool:
    """True if a question in another language names something the materials are about: a DOMAIN word or a
    name through its glossary, UNESCO, or a name or number of its own (Latin letters, digits) that the index
    uses."""
    if any(form in question.lower() for form in UNESCO_FORMS):
        return True
    eng = english_words(question, language)
    if any(w[:1].isupper() for w in eng):
        return True
    if any(stem(x) in DOMAIN for w in eng for x in words(w)):
        return True
    for tok in re.findall(r"[A-Za-z][\w.-]+|\d[\d.,/-]*", question):
        if (tok[:1].isupper() or tok[0].isdigit()) and df(stem(tok.lower().strip(".,-"))) > 0:
            return True
    return False


def present(term: str, have: Container[str]) -> bool:
    """True if a question term (or its stem, or a synonym) is among the passage words."""
    return any(f in have for f in _forms(term))


def held(term: str, have: Container[str]) -> bool:
    """present, or a long word (six letters or more) whose first five letters a passage word starts with
    ("regulat" for "regulators" in "regulation")."""
    return present(term, have) or len(term) >= 6 and any(w.startswith(term[:5]) for w in have)


def _cognate(word: str, have: set[str]) -> bool:
    """True if a passage word begins as a foreign word (accents folded) does: its first four letters for a word
    of up to seven, else all but its last three, at most seven ("sanción": "sanction"; "productivité":
    "productivity"; not "interjeter": "international")."""
    if not word.isascii() or not word.isalpha() or len(word) < 5:
        return False
    stem_ = word[:4] if len(word) <= 7 else word[: min(len(word) - 3, 7)]
    return any(w.startswith(stem_) for w in have)


# a sentence reporting what someone argued ("Loomis argued that ... its workings cannot be checked") tells of
# the case, not of a gap in the materials
_REPORTED = re.compile(r"\b(argu|claim|contend|complain|object)\w*\b", re.IGNORECASE)


def states_absence(text: str) -> bool:
    """True if a passage sentence says the materials lack a fact ("... is not confirmed", "no available source
    gives ..."), not when the phrase is part of an argument it reports."""
    m = lexicon("en").absence.search(text)
    return m is not None and not _REPORTED.search(text, 0, m.start())


def passage_words(texts: list[str]) -> set[str]:
    """Every word and its stem in some passages, with the prefixes of long words (light stemming)."""
    out: set[str] = set()
    for t in texts:
        for w in words(t):
            for part in {w, *re.split(r"[-.]", w)}:  # "IPDC-backed", "ASN.1": their parts count
                if not part:
                    continue
                out.add(part)
                s = stem(part)
                out.add(s)
                if len(s) >= 7:
                    out.add(s[:6])
    return out


_PRONOUN_I = re.compile(r"i[’'](?:ve|m|d|ll)")  # "I've seen two figures": not a name, not a word to look for


def focus_terms(question: str, language: str = "en") -> list[tuple[str, str, bool]]:
    """(term, surface word, is_name) for each telling word of a question, in order.

    Question filler ("actually", "exactly", "happen") and stop-words are left out.
    """
    lex = lexicon(language)
    filler = lex.filler
    out: list[tuple[str, str, bool]] = []
    seen: set[str] = set()
    tokens = re.findall(r"[\w’']+", question)  # hyphenated words count by their parts ("IPDC-backed")
    for i, raw in enumerate(tokens):
        for w in words(raw):
            if w in STOPWORDS or w in filler or len(w) < 3 and not w.isdigit() or _PRONOUN_I.fullmatch(w):
                continue
            t = stem(w)
            if t in seen or t in filler:
                continue
            seen.add(t)
            is_name = (i > 0 and raw[:1].isupper()) or any(ch.isdigit() for ch in w)
            out.append((t, w, is_name))
    return out


_HEADS_EN = (
    re.compile(
        r"\b(?:what|which|whose)\s+(?:(?:kind|type|sort|form|piece|number|amount|level)s?\s+of\s+)?"
        # not "what are participants supposed to ...": after an auxiliary, "what" has no head noun
        r"(?!(?:is|are|was|were|do|does|did|can|could|has|have|had|will|would|should|must|may|might)\b)"
        r"((?:[\w’'-]+\s+){0,2}?[\w’'-]+)\s+(?:is|are|was|were|do|does|did|can|could|has|have|had|will|would|"
        r"should|must|may|might|of|in|on|for|to|from|about|at|under|against|that|the|a|an|does|they|it|he|she)\b",
        re.IGNORECASE,
    ),
    re.compile(r"\bhow\s+(?:many|much)\s+([\w’'-]+)", re.IGNORECASE),
    re.compile(
        r"\bwhat(?:’s|'s|\s+is|\s+was|\s+are|\s+were)\s+(?:the|its|their|his|her)\s+((?:[\w’'-]+\s+){0,2}?[\w’'-]+)"
        r"\s+(?:of|for|in|that|did|does|behind|to|under|on)\b",
        re.IGNORECASE,
    ),
    re.compile(r"\bwho\s+(?!is\b|are\b|was\b|were\b|do\b|does\b|did\b|can\b|should\b|must\b|may\b)([\w’'-]+)", re.IGNORECASE),
)


def past_participle(word: str) -> bool:
    """A word that reads as a verb's past form ("preceded", "attended"), not a noun phrase's head."""
    return len(word) > 4 and word.endswith("ed")


def focus_heads(question: str, language: str = "en") -> list[str]:
    """The stemmed head word of each wh-phrase: what the question asks for ("fines", "hours", "chaired")."""
    if language != "en":
        return []
    filler = lexicon(language).filler
    out = []
    for pattern in _HEADS_EN:
        for m in pattern.finditer(question):
            group = [w for w in words(m.group(1)) if w not in STOPWORDS and not w.isdigit()]
            if len(group) > 1 and past_participle(group[-1]):
                group = group[:-1]  # "which online course preceded the toolkit": the verb is not the head
            if group and group[-1] not in filler:
                out.append(stem(group[-1]))
    return out


def asking_sentence(question: str) -> str:
    """The sentence of a question that asks (the last one with a question mark), else the whole text."""
    parts = [span.text for span in split_sentences(question.strip())]
    asks = [p for p in parts if "?" in p]
    return asks[-1] if asks else question


def doc_freqs(bm25: Any) -> tuple[dict[int, int], int]:
    """Token id -> number of chunks holding it, and the number of chunks, from a bm25s index (cached on it)."""
    cached = getattr(bm25, "_toolkit_dfs", None)
    if cached is None:
        scores = bm25.scores
        indptr = np.asarray(scores["indptr"])
        cached = (dict(enumerate(np.diff(indptr).tolist())), int(scores.get("num_docs", 0)) or 1)
        bm25._toolkit_dfs = cached  # noqa: SLF001 - computed once per loaded index
    return cached


def doc_freq(bm25: Any, term: str) -> float:
    """Share of indexed chunks that hold a stemmed term (0 when the index lacks it or has no BM25)."""
    if bm25 is None:
        return 0.0
    idx = bm25.vocab_dict.get(term)
    if idx is None:
        return 0.0
    dfs, n = doc_freqs(bm25)
    return dfs.get(idx, 0) / n


def assess(
    question: str,
    *,
    language: str,
    best_sim: float,
    top_dense: float,
    agree: bool,
    passage_texts: list[str],
    title_texts: list[str],
    wants_missing: str,
    absence: bool,
    df: Callable[[str], float],
    multilingual: bool = False,
    topic_min_sim: float = 0.42,
    foreign_min_sim: float | None = None,
    carries: Callable[[str, float], bool] | None = None,
) -> Decision:
    """The decision for one question; see the module docstring.

    Args:
        best_sim: cosine of the best-scoring sentence (on the MiniLM scale).
        top_dense: cosine of the best chunk.
        agree: dense and BM25 rankings share a chunk in their top 3 (BM25 on the glossary words of a foreign question).
        passage_texts: the text of the best chunks (and their neighbours).
        title_texts: document and section titles of those chunks.
        wants_missing: the kind of fact asked for that no chosen sentence holds ("number", "date", ...).
        absence: the best sentence, or one of the first chosen ones (facts.says_unknown), says the materials
            lack the fact.
        df: share of indexed chunks holding a stemmed term.
        multilingual: the question is in another language than the passages (words cannot match).
        topic_min_sim: the best sentence similarity at which the passages are about the question.
        foreign_min_sim: the same for a question in another language (meaning alone decides).
        carries: for a head word the passages never use, True when the chosen sentences carry its
            meaning in other words ("what verdict?" against "the court held"): see Assistant.carries.
    """
    terms = focus_terms(question, language)
    have = passage_words(passage_texts + title_texts)
    weights = {t: 1.0 + math.log(1.0 / max(df(t), 0.02)) for t, _, _ in terms}
    total = sum(weights.values()) or 1.0
    share = sum(weights[t] for t, _, _ in terms if present(t, have)) / total if terms else 0.0
    evidence = Evidence(best_sim=best_sim, top_dense=top_dense, agree=agree, term_share=share)
    foreign = multilingual and language != "en"
    topic = best_sim >= topic_min_sim or (share >= TOPIC_MIN_TERMS and (agree or best_sim >= topic_min_sim - 0.08))
    if foreign:
        floor = topic_min_sim if foreign_min_sim is None else foreign_min_sim
        # just under the floor, one of the three chunks meaning ranks best is one of the three BM25 ranks best for
        # the question's English words (its glossary's): two rankings that share only the question agree on it
        topic = best_sim >= floor or (agree and best_sim >= floor - FOREIGN_AGREE_MARGIN)
    # words the whole index never uses ("chocolate", "cake"): when they are much of the question, the
    # passages that came back share only its generic words with it
    unknown = [(t, w) for t, w, _ in terms if not foreign and df(t) == 0 and df(w) == 0 and not any(df(f) for f in _forms(t))]
    names = {t for t, _, is_name in terms if is_name}

    def foreign_to_index(unknown: list[tuple[str, str]]) -> bool:
        return (len(unknown) >= 2 and sum(weights[t] for t, _ in unknown) / total >= UNKNOWN_SHARE
                and best_sim < topic_min_sim + CLEAR_MARGIN)

    if foreign_to_index(unknown) and carries is not None and not any(t in names for t, _ in unknown):
        # a word the best sentences carry in other words is not foreign to them ("finish with some kind of
        # test" against "every module ... ends with an assessment"); a name the index never uses ("the
        # Registry Memo") has no other words, and the question is not covered
        unknown = [(t, w) for t, w in unknown if not carries(w, 0.0)]
    if foreign_to_index(unknown):
        return Decision("none", "the materials never use: " + ", ".join(w for _, w in unknown), evidence)
    if foreign and not domain_anchor(question, language, df):
        return Decision("none", "the question names nothing the materials are about (AI, the courts' use of it, "
                        "UNESCO's work, or a name they use)", evidence)
    if not topic:
        return Decision("none", "nothing retrieved is about the question", evidence)
    # what the question asks for that the passages do not hold: the head of its wh-phrase ("what
    # fines", "how many hours", "who chaired"), and any name it gives ("Kenya", "Coursera")
    missing: list[str] = []
    by_meaning: list[str] = []
    if not foreign:
        heads = set(focus_heads(question, language))
        # a name in a sentence of context ("I sit in Bogotá. What must I ...?") is not what is asked
        asking = set(t for t, _, _ in focus_terms(asking_sentence(question), language))
        for t, surface, is_name in terms:
            if any(ch.isdigit() for ch in surface):
                continue  # a figure in the question is a premise to check, not a topic
            if is_name:
                if t in asking and not held(t, have):
                    missing.append(surface)
            elif t in heads and not present(t, have) and df(t) < COMMON_DF:
                if carries is not None and best_sim >= topic_min_sim + CLEAR_MARGIN and carries(surface, 0.0):
                    by_meaning.append(surface)
                else:
                    missing.append(surface)
    else:
        # a question in another language: the words of its wh-phrase ("quel est le montant des amendes"),
        # through the glossary where it knows them; a word it does not know, or whose English the passages
        # never use, is asked of the chosen sentences in meaning (carries)
        filler = lexicon("en").filler
        for surface, english in foreign_focus(asking_sentence(question), language):
            stems = [stem(w.lower()) for w in english if w.lower() not in filler]
            if english and not stems:
                continue  # "nombre", "nom": the kind of fact asked for, read by wants_missing
            if any(present(t, have) for t in stems) or (stems and min(df(t) for t in stems) >= COMMON_DF):
                continue
            if not english and _cognate(normalise(surface, language), have):
                continue  # "sanción", "público": the passages' "sanction", "public"
            if carries is not None and carries(surface, FOREIGN_CARRY_MARGIN):
                by_meaning.append(surface)
            else:
                missing.append(surface)
    evidence = Evidence(
        best_sim=best_sim, top_dense=top_dense, agree=agree, term_share=share, missing=tuple(missing),
        missing_kind=wants_missing, absence=absence, by_meaning=tuple(by_meaning),
    )
    if absence:
        return Decision("partial", "a closest passage says the materials lack this fact", evidence, tuple(missing))
    if missing:
        return Decision("partial", "the passages do not speak of: " + ", ".join(missing), evidence, tuple(missing))
    if wants_missing:
        return Decision("partial", f"no chosen sentence states the {wants_missing} asked for", evidence)
    return Decision("answered", "a passage states what was asked", evidence)
