"""The runner: every case answered by one loaded Assistant, then scored, gated and summarised.

`run_eval(assistant, cases)` is the one entry point; the app's Evaluate tab, the `eval` command and
the embedding comparison all call it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from toolkit_assistant.evals.cases import SPLITS, EvalCase
from toolkit_assistant.evals.gate import Threshold, apply_gate, load_thresholds
from toolkit_assistant.evals.metrics import expected_ranks, section_of
from toolkit_assistant.evals.results import CaseResult, EvalResult
from toolkit_assistant.evals.scoring import case_reasons, compute_metrics, summarise
from toolkit_assistant.evals.support import SupportJudge
from toolkit_assistant.verify import parse_sentences

if TYPE_CHECKING:
    from toolkit_assistant.evals.records import MetricResult

RETRIEVE_K = 10  # hits recorded per case for recall@k and MRR


class _MemoEmbedder:
    """Wraps an embedder for one eval run: a question or sentence is embedded once, not twice."""

    def __init__(self, inner: Any) -> None:
        """Delegate to `inner`, remembering vectors by text."""
        self.inner = inner
        self._queries: dict[str, Any] = {}
        self._docs: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        """Everything else (name, dim) comes from the wrapped embedder."""
        return getattr(self.inner, name)

    def embed_query(self, text: str) -> Any:
        """The question's vector (cached)."""
        if text not in self._queries:
            self._queries[text] = self.inner.embed_query(text)
        return self._queries[text]

    def embed_documents(self, texts: list[str]) -> Any:
        """Passage or sentence vectors (cached by text, the missing ones embedded in one batch)."""
        import numpy as np

        todo = list(dict.fromkeys(t for t in texts if t not in self._docs))
        if todo:
            for t, v in zip(todo, self.inner.embed_documents(todo), strict=True):
                self._docs[t] = v
        if not texts:
            return self.inner.embed_documents([])
        return np.stack([self._docs[t] for t in texts])


@contextmanager
def _memo_embedders(assistants: Sequence[Any]) -> Iterator[None]:
    """Give each assistant (not the shared embedder object) a caching embedder for the run."""
    saved = [(a, a.embedder) for a in assistants]
    try:
        for a, e in saved:
            a.embedder = _MemoEmbedder(e)
        yield
    finally:
        for a, e in saved:
            a.embedder = e


def _answer_case(assistant: Any, case: EvalCase, backend: str | None, passages: dict[str, str]) -> CaseResult:
    """Retrieve (k=10, for the ranks) and answer one case with one assistant."""
    from toolkit_assistant.errors import ToolkitError
    from toolkit_assistant.intake import validate_question

    started = time.perf_counter()
    try:
        question = validate_question(case.question, assistant.max_question_chars)
        hits, _ = assistant.retrieve(question, k=RETRIEVE_K)
        answer = assistant.ask(question, backend=backend)
    except ToolkitError as exc:
        return CaseResult(case, None, [], dict.fromkeys(case.expected_sections), dict.fromkeys(case.expected_docs),
                          error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - started)
    retrieved = [h.chunk.id for h in hits]
    by_id = assistant.reader.by_id
    for cid in retrieved + [c.chunk.id for c in answer.citations]:
        if cid in by_id:
            passages.setdefault(cid, by_id[cid].text)
    for c in answer.citations:  # a citation of a chunk gone from the reader still has its own text
        passages.setdefault(c.chunk.id, c.chunk.text)
    sec = expected_ranks(list(case.expected_sections), retrieved, level="section")
    doc = expected_ranks(list(case.expected_docs), retrieved, level="document")
    return CaseResult(
        case, answer.to_dict(), retrieved,
        dict(zip(case.expected_sections, sec, strict=True)), dict(zip(case.expected_docs, doc, strict=True)),
        seconds=time.perf_counter() - started,
    )


def _index_warnings(assistant: Any, cases: Sequence[EvalCase]) -> list[str]:
    """Expected documents or sections that the index does not hold (typos in the gold set)."""
    chunks = assistant.reader.chunks
    docs = {c.doc_id for c in chunks}
    sections = {section_of(c.id) for c in chunks}
    out = []
    for case in cases:
        for d in case.expected_docs:
            if d not in docs:
                out.append(f"{case.id}: expected document {d!r} is not in the index")
        for s in case.expected_sections:
            if s.split(":", 1)[0] in docs and s not in sections:
                out.append(f"{case.id}: expected section {s!r} is not in the index")
    return out


def run_eval(
    assistant: Any,
    cases: Sequence[EvalCase],
    *,
    backend: str | None = None,
    progress: Callable[[str], None] | None = None,
    poisoned_assistant: Any = None,
    thresholds: Sequence[Threshold] | None = None,
    min_relevance: float | None = None,
) -> EvalResult:
    """Answer every case with one loaded Assistant, score the answers, and apply the gate.

    Args:
        assistant: the Assistant answering the cases (its models loaded once).
        cases: the gold cases (see load_cases).
        backend: answer backend (default: the assistant's own).
        progress: called with a short message now and then.
        poisoned_assistant: answers the "poisoned" cases (an index that holds the hostile documents);
            default: `assistant`.
        thresholds: the gate (default: evals/thresholds.toml).
        min_relevance: run with this abstention threshold instead of the assistant's (0.0: never
            decline for low topic similarity); the assistant is restored afterwards.

    Raises:
        ValueError: no cases, or a threshold names an unknown metric.
    """
    if not cases:
        raise ValueError("No cases to evaluate")
    thresholds = load_thresholds() if thresholds is None else thresholds
    name = backend or assistant.backend
    configured = assistant.min_relevance
    assistants = [assistant] + ([poisoned_assistant] if poisoned_assistant is not None else [])
    started = time.perf_counter()
    passages: dict[str, str] = {}
    results: list[CaseResult] = []
    with _memo_embedders(assistants), _threshold(assistants, min_relevance):
        used_threshold = assistant.min_relevance
        for i, case in enumerate(cases, start=1):
            who = poisoned_assistant if (case.category == "poisoned" and poisoned_assistant is not None) else assistant
            results.append(_answer_case(who, case, backend, passages))
            if progress and (i % 25 == 0 or i == len(cases)):
                progress(f"answered {i}/{len(cases)} cases ({time.perf_counter() - started:.1f} s)")
        if progress:
            progress("scoring")
        judge = SupportJudge(passages, embed=assistant.embedder.embed_documents,
                             passage_vectors=_passage_vectors(assistants, passages))
        judge.prepare([item for r in results for item in _sentence_items(r)])
        for r in results:
            r.reasons = case_reasons(r, judge, passages)
            r.passed = not r.reasons
        metrics = _scored(results, judge, passages)
        splits = {s: _scored([r for r in results if r.case.split == s], judge, passages) for s in SPLITS}
    splits = {s: m for s, m in splits.items() if m}
    gate = apply_gate(metrics, thresholds, name)
    summary = summarise(results, name)
    summary["seconds"] = round(time.perf_counter() - started, 2)
    summary["configured_min_relevance"] = configured
    warnings = _index_warnings(assistant, [c for c in cases if c.category != "poisoned"])
    if poisoned_assistant is not None:
        warnings += _index_warnings(poisoned_assistant, [c for c in cases if c.category == "poisoned"])
    fell_back = sum(n for b, n in summary["backends_used"].items() if b != name)
    if fell_back:
        warnings.append(f"{fell_back} answer(s) did not come from the {name} backend: {summary['backends_used']}")
    return EvalResult(name, used_threshold, results, metrics, splits, gate, summary, passages, warnings)


def _sentence_items(r: CaseResult) -> list[tuple[str, list[str]]]:
    """(sentence, cited chunk ids) for each sentence of an answered case."""
    if r.abstained or r.answer is None:
        return []
    by_n = {c["n"]: c["chunk_id"] for c in r.answer.get("citations", [])}
    return [(s, [by_n[n] for n in ns if n in by_n]) for s, ns in parse_sentences(r.answer.get("answer", ""))]


@contextmanager
def _threshold(assistants: Sequence[Any], min_relevance: float | None) -> Iterator[None]:
    """Run with another abstention threshold (None: keep each assistant's own), restored afterwards."""
    saved = [(a, a.min_relevance) for a in assistants]
    try:
        if min_relevance is not None:
            for a in assistants:
                a.min_relevance = min_relevance
        yield
    finally:
        for a, value in saved:
            a.min_relevance = value


def _passage_vectors(assistants: Sequence[Any], passages: dict[str, str]) -> Callable[[list[str]], dict[str, Any]]:
    """Sentence spans and vectors of cited chunks, from whichever index holds each chunk's text."""

    def fetch(ids: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for a in assistants:
            by_id = a.reader.by_id
            want = [c for c in ids if c not in out and c in by_id and by_id[c].text == passages.get(c)]
            if want:
                out.update(a.reader.sentence_vectors(want))
        return out

    return fetch


def _scored(results: Sequence[CaseResult], judge: SupportJudge, passages: dict[str, str]) -> dict[str, MetricResult]:
    """compute_metrics, or nothing for an empty set of results (an empty split)."""
    return compute_metrics(results, judge, passages) if results else {}
