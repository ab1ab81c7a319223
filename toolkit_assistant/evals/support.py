"""Whether cited passages support an answer sentence: the verifier's check plus an independent fact check.

`SupportJudge` remembers its verdicts and embeds, in one batch, the sentences that need vectors;
`judge_sentences` gives each sentence of an answer its verdict (supported when one cited passage
supports it). The metrics on grounding and citations (toolkit_assistant.evals.metrics) rest on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from toolkit_assistant.evals.records import AnswerRecord
from toolkit_assistant.verify import check_sentence, parse_sentences

SentenceVecs = tuple[list[tuple[int, int]], np.ndarray]  # sentence spans of a passage and their vectors
_NUM = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*")
_NAME = re.compile(r"[A-ZÀ-Þ][\w’'-]*")
_NOT_NAMES = frozenset({"i", "a", "an", "the", "in", "on", "at", "by", "for", "of", "and", "or", "but"})


def _norm_number(raw: str) -> str:
    raw = raw.rstrip(".,")
    if re.fullmatch(r"\d{1,3}(,\d{3})+", raw):
        raw = raw.replace(",", "")
    return raw


def sentence_facts(sentence: str) -> tuple[set[str], set[str]]:
    """Numbers (years included) and capitalised names of a sentence (not its first word)."""
    nums = {_norm_number(m.group(0)) for m in _NUM.finditer(sentence)}
    names: set[str] = set()
    for i, m in enumerate(_NAME.finditer(sentence)):
        word = re.sub(r"['’]s$", "", m.group(0)).strip("'’-")
        if m.start() == 0 or (i == 0 and not sentence[: m.start()].strip(" \"'“‘(-*")):
            continue
        if len(word) > 1 and word.lower() not in _NOT_NAMES:
            names.add(word)
    return nums, names


def fact_check(sentence: str, passage: str) -> list[str]:
    """Numbers, years and capitalised names of the sentence that do not occur in the passage."""
    nums, names = sentence_facts(sentence)
    p_nums = {_norm_number(m.group(0)) for m in _NUM.finditer(passage)}
    missing = sorted(n for n in nums if n not in p_nums)
    for name in sorted(names):
        if not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", passage, re.IGNORECASE):
            missing.append(name)
    return missing


class SupportJudge:
    """Decides whether passages support an answer sentence (verifier check + independent fact check).

    Without `embed`/`passage_vectors` the verifier's check runs on words and facts only; with them it
    also compares meaning, as the pipeline's verifier does.
    """

    def __init__(
        self,
        passages: Mapping[str, str],
        *,
        embed: Callable[[list[str]], np.ndarray] | None = None,
        passage_vectors: Callable[[list[str]], Mapping[str, SentenceVecs]] | None = None,
    ) -> None:
        """Judge against these chunk texts (by chunk id)."""
        self.passages = passages
        self.embed = embed
        self.passage_vectors = passage_vectors
        self._svec: dict[str, np.ndarray] = {}
        self._pvec: dict[str, SentenceVecs | None] = {}
        self._verdicts: dict[tuple[str, tuple[str, ...]], tuple[bool, str]] = {}

    def prepare(self, items: Sequence[tuple[str, Sequence[str]]]) -> None:
        """Embed, in one batch, the sentences that will need vectors: (sentence, cited chunk ids) pairs.

        A sentence found verbatim in its cited passages needs no vector (the verifier accepts it on
        its words), so only the others are embedded; passage vectors are fetched for all cited chunks.
        """
        if self.embed is not None:
            todo = sorted({s for s, ids in items if s not in self._svec and not self._verbatim(s, ids)})
            if todo:
                for s, v in zip(todo, self.embed(todo), strict=True):
                    self._svec[s] = np.asarray(v, dtype=np.float32)
        if self.passage_vectors is not None:
            chunk_ids = sorted({c for _, ids in items for c in ids if c not in self._pvec and c in self.passages})
            if chunk_ids:
                got = self.passage_vectors(chunk_ids)
                for c in chunk_ids:
                    self._pvec[c] = got.get(c)

    def _verbatim(self, sentence: str, chunk_ids: Sequence[str]) -> bool:
        core = sentence.strip().rstrip(".!?:;")
        return bool(core) and core in "\n\n".join(self.passages.get(c, "") for c in chunk_ids)

    def _vectors(self, sentence: str, chunk_ids: Sequence[str]) -> tuple[np.ndarray | None, list[SentenceVecs | None]]:
        if self._verbatim(sentence, chunk_ids):
            return None, []
        self.prepare([(sentence, chunk_ids)])
        return self._svec.get(sentence), [self._pvec.get(c) for c in chunk_ids]

    def supports(self, sentence: str, chunk_ids: Sequence[str]) -> tuple[bool, str]:
        """Do these passages, read together, support the sentence? (ok, reason when not; remembered)."""
        key = (sentence, tuple(chunk_ids))
        if key not in self._verdicts:
            self._verdicts[key] = self._supports(sentence, chunk_ids)
        return self._verdicts[key]

    def _supports(self, sentence: str, chunk_ids: Sequence[str]) -> tuple[bool, str]:
        ids = [c for c in chunk_ids if c in self.passages]
        if not ids:
            return False, "no known cited passage"
        svec, pvecs = self._vectors(sentence, ids)
        texts = [self.passages[c] for c in ids]
        joint = "\n\n".join(texts)
        joint_vecs: SentenceVecs | None = None
        if svec is not None and pvecs and all(v is not None for v in pvecs):
            spans: list[tuple[int, int]] = []
            mats = []
            offset = 0
            for text, vecs in zip(texts, pvecs, strict=True):
                assert vecs is not None
                spans.extend((a + offset, b + offset) for a, b in vecs[0])
                mats.append(vecs[1])
                offset += len(text) + 2
            joint_vecs = (spans, np.vstack(mats)) if spans else None
        ok, reason, *_ = check_sentence(
            sentence, joint, sentence_vec=svec if joint_vecs is not None else None, passage_vecs=joint_vecs
        )
        if not ok:
            return False, f"verifier: {reason}"
        missing = fact_check(sentence, joint)
        if missing:
            return False, f"fact check: not in the cited passage: {', '.join(missing[:5])}"
        return True, ""


@dataclass(frozen=True)
class SentenceVerdict:
    """One answer sentence: its citations and whether one of them supports it."""

    text: str
    cited: tuple[int, ...]
    supported: bool
    reason: str = ""


def judge_sentences(answer: AnswerRecord, judge: SupportJudge) -> list[SentenceVerdict]:
    """Each sentence of an answer, supported when a single cited passage supports it."""
    if answer.abstained:
        return []
    by_n = answer.by_n()
    out = []
    for sentence, ns in parse_sentences(answer.text):
        if not ns:
            out.append(SentenceVerdict(sentence, (), False, "no citation"))
            continue
        reasons = []
        ok = False
        for n in ns:
            cit = by_n.get(n)
            if cit is None:
                reasons.append(f"[{n}] has no citation")
                continue
            good, why = judge.supports(sentence, [cit.chunk_id])
            if good:
                ok = True
                break
            reasons.append(f"[{n}] {why}")
        out.append(SentenceVerdict(sentence, tuple(ns), ok, "" if ok else "; ".join(reasons)))
    return out
