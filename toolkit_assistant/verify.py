"""Verification: every sentence of an answer must be supported by the passage it cites.

A sentence is supported by a cited passage when
  * every number, year, month and proper name in the sentence occurs in the passage,
  * most of its content words occur in the passage (overlap), and
  * it is close in meaning to the passage's best-matching sentence (similarity), with the same
    polarity (a "not"/"never" on one side only is a contradiction, not support).
Sentences without a valid citation, or unsupported, are removed (or flagged, by setting). The
quote of each surviving citation is the passage sentence that supports it, an exact substring.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from toolkit_assistant.text import (
    content_terms,
    month_names,
    numbers,
    proper_names,
    split_sentences,
    words,
    years,
)
from toolkit_assistant.types import Citation, Draft, SentenceCheck, Verification

_MARK = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_NEGATION = {"not", "never", "no", "cannot", "nor", "without", "neither", "none", "n't", "nothing"}
MIN_OVERLAP = 0.6
MIN_SIMILARITY = 0.6
MIN_TERMS = 3  # a claim needs at least this many content words to be checked


@dataclass(frozen=True)
class Verified:
    """The answer text and citations that survived verification, and the report."""

    text: str
    citations: tuple[Citation, ...]
    report: Verification


def _move_marks_inside(text: str) -> str:
    """'Sentence. [1]' -> 'Sentence [1].' so that markers stay with their sentence."""
    return re.sub(
        r"([.!?])((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)",
        lambda m: " " + m.group(2).strip() + m.group(1),
        text,
    )


def parse_sentences(text: str) -> list[tuple[str, list[int]]]:
    """Answer sentences with the citation numbers each carries (markers removed from the text)."""
    return [(s, ns) for s, ns, _ in parse_sentences_items(text)]


def parse_sentences_items(text: str) -> list[tuple[str, list[int], bool]]:
    """Like parse_sentences, plus whether each sentence is a list item."""
    out = []
    moved = _move_marks_inside(text)
    for span in split_sentences(moved):
        line_start = moved.rfind("\n", 0, span.start) + 1
        is_item = bool(re.match(r"[ \t]*(?:[-*•]|\d+[.)])[ \t]+$", moved[line_start : span.start]))
        ns: list[int] = []
        for m in _MARK.finditer(span.text):
            ns.extend(int(x) for x in re.split(r"\s*[,;]\s*", m.group(1)))
        plain = _MARK.sub("", span.text)
        plain = re.sub(r"\s+([.!?:;,])", r"\1", plain).strip()
        plain = re.sub(r"\s{2,}", " ", plain)
        if plain.strip(" -*•") and re.search(r"\w", plain):
            out.append((plain.strip(), ns, is_item))
    return out


def _has_negation(text: str) -> bool:
    ws = set(words(text.replace("n't", " n't")))
    return bool(ws & _NEGATION)


def facts_missing(sentence: str, passage: str) -> list[str]:
    """Numbers, years, months and names of the sentence that the passage does not contain."""
    missing: list[str] = []
    p_numbers = numbers(passage)
    for n in sorted(numbers(sentence)):
        if n not in p_numbers and n.rstrip("%") not in {x.rstrip("%") for x in p_numbers}:
            missing.append(n)
    for y in sorted(years(sentence) - years(passage)):
        if y not in missing:
            missing.append(y)
    missing.extend(sorted(month_names(sentence) - month_names(passage)))
    p_words = set(words(passage))
    p_lower = passage.lower()
    for name in sorted(proper_names(sentence)):
        if name not in p_words and name not in p_lower:
            missing.append(name)
    return missing


def check_sentence(
    sentence: str,
    passage: str,
    *,
    sentence_vec: np.ndarray | None,
    passage_vecs: tuple[list[tuple[int, int]], np.ndarray] | None,
) -> tuple[bool, str, float, float, str]:
    """Is `sentence` supported by `passage`? (ok, reason, similarity, overlap, best passage sentence)."""
    missing = facts_missing(sentence, passage)
    terms = content_terms(sentence)
    p_terms = set(content_terms(passage))
    overlap = sum(1 for t in terms if t in p_terms) / len(terms) if terms else 0.0
    # best-matching passage sentence (by vector, else by overlap)
    sim = 0.0
    if sentence_vec is not None and passage_vecs is not None and len(passage_vecs[0]):
        p_spans, mat = passage_vecs
        sims = mat @ sentence_vec
        i = int(np.argmax(sims))
        sim, best_span = float(sims[i]), p_spans[i]
    else:
        spans = [(s.start, s.end) for s in split_sentences(passage)]
        best_span = spans[0] if spans else (0, len(passage))
        if spans:
            scored = [
                (sum(1 for t in terms if t in set(content_terms(passage[a:b]))), (a, b)) for a, b in spans
            ]
            best_span = max(scored)[1]
            sim = overlap
    best_text = passage[best_span[0] : best_span[1]]
    whole = _exact_span(sentence, passage)
    if whole is not None:  # the sentence is one of the passage's sentences, word for word
        return True, "", max(sim, 1.0), 1.0, whole
    if len(terms) < MIN_TERMS:
        return False, "too short to be checked against the passage", sim, overlap, best_text
    if missing:
        return False, f"not in the cited passage: {', '.join(missing[:5])}", sim, overlap, best_text
    if overlap < MIN_OVERLAP:
        return False, f"too few of its words are in the cited passage ({overlap:.0%})", sim, overlap, best_text
    if sentence_vec is not None and sim < MIN_SIMILARITY:
        return False, f"meaning too far from the cited passage (similarity {sim:.2f})", sim, overlap, best_text
    if _has_negation(sentence) != _has_negation(best_text):
        return False, "contradicts the cited passage (negation differs)", sim, overlap, best_text
    return True, "", sim, overlap, best_text


def _exact_span(sentence: str, passage: str) -> str | None:
    """The passage sentence that the answer sentence reproduces whole (markers and end stop aside)."""
    core = sentence.strip().rstrip(".!?:;").strip()
    if not core:
        return None
    for s in split_sentences(passage):
        if s.text.strip().rstrip(".!?:;").strip() == core or s.text == sentence.strip():
            return s.text
    return None


def _squash(text: str) -> str:
    return " ".join(text.split())


def stored_vector(
    sentence: str, cited: list[Citation], pvecs: dict[str, tuple[list[tuple[int, int]], np.ndarray]]
) -> np.ndarray | None:
    """The stored vector of a cited passage's sentence that the answer sentence repeats verbatim, if any."""
    target = _squash(sentence)
    for cit in cited:
        spans_vecs = pvecs.get(cit.chunk.id)
        if not spans_vecs:
            continue
        spans, mat = spans_vecs
        for j, (a, b) in enumerate(spans):
            if _squash(cit.chunk.text[a:b]) == target:
                return mat[j]
    return None


def sentence_vectors(
    sentences: list[tuple[str, list[int]]],
    by_n: dict[int, Citation],
    pvecs: dict[str, tuple[list[tuple[int, int]], np.ndarray]],
    embed: Callable[[list[str]], np.ndarray],
) -> list[np.ndarray]:
    """A vector for each answer sentence, embedding only those that are not verbatim passage sentences.

    A verbatim sentence (every sentence of an extractive answer) takes the vector stored at ingest:
    the same model embedded the same words, so the model is not run again.
    """
    out: list[np.ndarray | None] = [
        stored_vector(s, [by_n[n] for n in ns if n in by_n], pvecs) for s, ns in sentences
    ]
    todo = [i for i, v in enumerate(out) if v is None]
    if todo:
        fresh = embed([sentences[i][0] for i in todo])
        for i, vec in zip(todo, fresh, strict=True):
            out[i] = vec
    return [v for v in out if v is not None]


def verify(
    draft: Draft,
    *,
    embed: Callable[[list[str]], np.ndarray] | None,
    passage_vectors: Callable[[list[str]], dict[str, tuple[list[tuple[int, int]], np.ndarray]]] | None,
    mode: str = "remove",
) -> Verified:
    """Check every sentence of a draft against the passages it cites.

    Args:
        draft: text with [n] markers and the citations they refer to.
        embed: embeds answer sentences (None: overlap and facts only).
        passage_vectors: sentence spans and vectors of chunks, by chunk id.
        mode: "remove" drops unsupported sentences; "flag" keeps them struck through.

    Returns:
        The surviving text (markers renumbered 1..n in order of use), its citations, the report.
    """
    by_n = {c.n: c for c in draft.citations}
    parsed = parse_sentences_items(draft.text)
    sentences = [(s, ns) for s, ns, _ in parsed]
    items = [it for _, _, it in parsed]
    chunk_ids = sorted({c.chunk.id for c in draft.citations})
    pvecs = passage_vectors(chunk_ids) if (passage_vectors and chunk_ids) else {}
    vecs = sentence_vectors(sentences, by_n, pvecs, embed) if (embed and sentences) else None
    checks: list[SentenceCheck] = []
    kept: list[tuple[str, list[Citation], bool]] = []
    for i, (sentence, ns) in enumerate(sentences):
        valid = [by_n[n] for n in ns if n in by_n]
        if not ns:
            checks.append(SentenceCheck(sentence, (), False, "no citation"))
            kept.append((sentence, [], False))
            continue
        if not valid:
            bad = ", ".join(f"[{n}]" for n in ns)
            checks.append(SentenceCheck(sentence, tuple(ns), False, f"cites {bad}, which does not exist"))
            kept.append((sentence, [], False))
            continue
        support: list[Citation] = []
        reason, sim, ov = "", 0.0, 0.0
        for cit in valid:
            ok, why, s, o, best = check_sentence(
                sentence,
                cit.chunk.text,
                sentence_vec=None if vecs is None else vecs[i],
                passage_vecs=pvecs.get(cit.chunk.id),
            )
            sim, ov = max(sim, s), max(ov, o)
            if ok:
                quote = cit.quote if cit.quote and cit.quote in cit.chunk.text and (
                    sentence.rstrip(".!?:;") in cit.quote or draft.backend == "extractive"
                ) else best
                support.append(Citation(n=cit.n, chunk=cit.chunk, quote=quote, score=cit.score))
            else:
                reason = why
        supported = bool(support)
        checks.append(SentenceCheck(sentence, tuple(ns), supported, "" if supported else reason, sim, ov))
        kept.append((sentence, support, supported))
    # renumber the citations that survive, in order of first use
    final: list[Citation] = []
    key_to_n: dict[tuple[str, str], int] = {}
    out_sentences: list[str] = []
    for (sentence, support, ok), is_item in zip(kept, items, strict=True):
        bullet = "- " if is_item else ""
        if not ok:
            if mode == "flag":
                out_sentences.append(f"{bullet}~~{sentence}~~ (unsupported)")
            continue
        ns = []
        for cit in support:
            key = (cit.chunk.id, cit.quote)
            if key not in key_to_n:
                key_to_n[key] = len(final) + 1
                final.append(Citation(n=key_to_n[key], chunk=cit.chunk, quote=cit.quote, score=cit.score))
            ns.append(key_to_n[key])
        out_sentences.append(bullet + _reattach(sentence, ns))
    supported_count = sum(1 for c in checks if c.supported)
    report = Verification(
        sentences=len(checks),
        supported=supported_count,
        removed=len(checks) - supported_count if mode == "remove" else 0,
        checks=tuple(checks),
    )
    text = _join(out_sentences)
    return Verified(text=text, citations=tuple(final), report=report)


def _reattach(sentence: str, ns: list[int]) -> str:
    from toolkit_assistant.compose import cite_sentence

    return cite_sentence(sentence, ns)


def _join(sentences: list[str]) -> str:
    out = ""
    for s in sentences:
        if s.startswith("- "):
            out += "\n" + s
        else:
            out += (" " if out else "") + s
    return out.strip()
