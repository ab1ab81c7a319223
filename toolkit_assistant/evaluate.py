"""The eval suite: run gold questions through one Assistant, score them, gate on thresholds, report.

`load_cases(path)` reads and checks a cases file (one JSON a line); `run_eval(assistant, cases)`
answers every case with one loaded Assistant and scores the answers with toolkit_assistant.metrics;
`write_report(result, out_dir)` writes report.html, results.json and PNG charts;
`calibrate_threshold(result)` picks the abstention threshold on the calibration split.
`toolkit-assistant eval` (the click command `eval_command`) wires them together and exits 1 when a
gated metric misses its threshold in evals/thresholds.toml.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from toolkit_assistant.config import REPO_ROOT

if TYPE_CHECKING:
    from toolkit_assistant.config import Settings
    from toolkit_assistant.metrics import AnswerRecord, MetricResult, SupportJudge

EVALS_DIR = REPO_ROOT / "evals"
GOLD_CASES = EVALS_DIR / "gold.jsonl"
POISONED_CASES = EVALS_DIR / "poisoned_cases.jsonl"
POISONED_DIR = EVALS_DIR / "poisoned"
THRESHOLDS = EVALS_DIR / "thresholds.toml"

CATEGORIES = ("answerable", "out_of_scope", "false_premise", "adversarial", "multilingual", "poisoned")
SPLITS = ("calibration", "holdout")
ANSWER_WANTED = ("answerable", "multilingual")  # categories whose cases must be answered
METRICS = (  # every metric compute_metrics reports, in report order
    "recall_at_1", "recall_at_5", "recall_at_10", "mrr", "coverage_at_5", "doc_recall_at_5", "doc_mrr",
    "recall_at_5_multilingual",
    "key_fact_accuracy", "key_fact_accuracy_multilingual", "citation_validity", "supported_sentences",
    "citation_recall", "citation_precision", "abstention_precision", "abstention_recall", "out_of_scope_declined",
    "answerable_wrongly_declined", "multilingual_wrongly_declined", "false_premise_handled", "injection_resistance",
    "hallucination_rate",
)
RETRIEVE_K = 10  # hits recorded per case for recall@k and MRR
GATE_K = 5
EXIT_GATE_FAILED = 1
EXIT_INPUT = 2


class EvalInputError(click.ClickException):
    """A cases, thresholds or report input that cannot be used (exit code 2)."""

    exit_code = EXIT_INPUT


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class EvalCase:
    """One gold question and what a good answer to it looks like."""

    id: str
    category: str
    question: str
    language: str = "en"
    expected_docs: tuple[str, ...] = ()
    expected_sections: tuple[str, ...] = ()
    key_facts: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    reference: str = ""
    must_refuse: bool = False
    split: str = "holdout"
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The case in its JSONL shape."""
        return {
            "id": self.id, "category": self.category, "language": self.language, "question": self.question,
            "expected_docs": list(self.expected_docs), "expected_sections": list(self.expected_sections),
            "key_facts": list(self.key_facts), "forbidden": list(self.forbidden), "reference": self.reference,
            "must_refuse": self.must_refuse, "split": self.split,
        }


def _str_list(rec: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = rec.get(key, [])
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{where}: '{key}' must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def parse_case(rec: Any, where: str) -> EvalCase:
    """Check one case record and build the EvalCase; ValueError naming the line and the field."""
    from toolkit_assistant.metrics import compile_patterns

    if not isinstance(rec, dict):
        raise ValueError(f"{where}: a case must be a JSON object")
    for key in ("id", "category", "question"):
        if not isinstance(rec.get(key), str) or not rec[key].strip():
            raise ValueError(f"{where}: '{key}' is missing or empty")
    if rec["category"] not in CATEGORIES:
        raise ValueError(f"{where}: category {rec['category']!r} is not one of {', '.join(CATEGORIES)}")
    split = rec.get("split", "holdout")
    if split not in SPLITS:
        raise ValueError(f"{where}: split {split!r} is not one of {', '.join(SPLITS)}")
    must_refuse = rec.get("must_refuse", rec["category"] == "out_of_scope")
    if not isinstance(must_refuse, bool):
        raise ValueError(f"{where}: 'must_refuse' must be true or false, got {must_refuse!r}")
    sections = _str_list(rec, "expected_sections", where)
    for s in sections:
        if s.count(":") < 1 or not all(s.split(":")):
            raise ValueError(f"{where}: expected section {s!r} is not of the form <doc_id>:<section>")
    docs = _str_list(rec, "expected_docs", where)
    if any(":" in d for d in docs):
        raise ValueError(f"{where}: expected_docs holds a section id; use document ids there: {docs!r}")
    if not docs and sections:  # documents follow from the sections
        docs = tuple(dict.fromkeys(s.split(":", 1)[0] for s in sections))
    key_facts = _str_list(rec, "key_facts", where)
    forbidden = _str_list(rec, "forbidden", where)
    try:
        compile_patterns(key_facts, what="key fact")
        compile_patterns(forbidden, what="forbidden pattern")
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    return EvalCase(
        id=rec["id"].strip(), category=rec["category"], question=rec["question"],
        language=str(rec.get("language") or "en"), expected_docs=docs, expected_sections=sections,
        key_facts=key_facts, forbidden=forbidden, reference=str(rec.get("reference") or ""),
        must_refuse=must_refuse, split=split, source=where,
    )


def load_cases(path: Path) -> list[EvalCase]:
    """Read a cases file (one JSON object a line; blank lines and lines starting with # are skipped).

    Raises:
        ValueError: the file is missing, a line is not valid JSON, a field is wrong, or an id repeats.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"No cases file at {path}")
    cases: list[EvalCase] = []
    seen: dict[str, str] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path.name}:{lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: not valid JSON ({exc.msg})") from exc
        case = parse_case(rec, where)
        if case.id in seen:
            raise ValueError(f"{where}: id {case.id!r} is already used at {seen[case.id]}")
        seen[case.id] = where
        cases.append(case)
    if not cases:
        raise ValueError(f"{path} holds no cases")
    return cases


# --------------------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class Threshold:
    """A gated metric: the bound it must meet (min or max), with its own bound for LLM backends."""

    metric: str
    op: str  # ">=" or "<="
    value: float
    llm_value: float | None = None
    description: str = ""

    def target(self, backend: str) -> float:
        """The bound for this backend."""
        return self.llm_value if (backend != "extractive" and self.llm_value is not None) else self.value

    def met(self, score: float, backend: str) -> bool:
        """Whether a score meets the bound (a small tolerance for float rounding)."""
        t = self.target(backend)
        return score >= t - 1e-9 if self.op == ">=" else score <= t + 1e-9


def load_thresholds(path: Path = THRESHOLDS) -> list[Threshold]:
    """The gate from a TOML file: a [metrics.<name>] table with min or max (and llm_min/llm_max).

    Raises:
        ValueError: the file is missing or not TOML, a table names no known metric, or lacks a bound in [0, 1].
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ValueError(f"No thresholds file at {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from exc
    metrics = data.get("metrics")
    if not isinstance(metrics, dict) or not metrics:
        raise ValueError(f"{path}: no [metrics.<name>] tables")
    out = []
    for name, spec in metrics.items():
        if name not in METRICS:
            raise ValueError(f"{path}: [metrics.{name}] is not a metric; known: {', '.join(METRICS)}")
        if not isinstance(spec, dict) or ("min" in spec) == ("max" in spec):
            raise ValueError(f"{path}: [metrics.{name}] needs exactly one of min or max")
        op, key = (">=", "min") if "min" in spec else ("<=", "max")
        vals = [spec[key], spec.get(f"llm_{key}")]
        for v in vals:
            if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 1):
                raise ValueError(f"{path}: [metrics.{name}] bounds must be numbers in [0, 1], got {v!r}")
        llm = spec.get(f"llm_{key}")
        out.append(Threshold(name, op, float(spec[key]), None if llm is None else float(llm), str(spec.get("description", ""))))
    return out


@dataclass(frozen=True)
class GateRow:
    """One gated metric: its score, the target and whether it was met (None: no cases to score)."""

    metric: str
    score: float
    op: str
    target: float
    passed: bool | None
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "metric": self.metric, "score": None if math.isnan(self.score) else round(self.score, 4),
            "op": self.op, "target": self.target, "passed": self.passed, "description": self.description,
        }


def apply_gate(metrics: dict[str, MetricResult], thresholds: Sequence[Threshold], backend: str) -> list[GateRow]:
    """Compare the metrics with their thresholds; a metric that was not computed fails the gate."""
    rows = []
    for t in thresholds:
        m = metrics.get(t.metric)
        if m is None:
            raise ValueError(f"thresholds name an unknown metric {t.metric!r}; known: {', '.join(sorted(metrics))}")
        passed = t.met(m.score, backend) if m.defined else None
        rows.append(GateRow(t.metric, m.score, t.op, t.target(backend), passed, t.description))
    return rows


# --------------------------------------------------------------------------- results


@dataclass
class CaseResult:
    """What happened to one case: the answer, the retrieval, and whether it passed (with reasons)."""

    case: EvalCase
    answer: dict[str, Any] | None
    retrieved: list[str]
    section_ranks: dict[str, int | None]
    doc_ranks: dict[str, int | None]
    passed: bool = False
    reasons: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def abstained(self) -> bool:
        """True when the assistant declined (or the case errored: no answer is a decline)."""
        return self.answer is None or bool(self.answer.get("abstained"))

    @property
    def relevance(self) -> float | None:
        """The answer's relevance score (None when the case errored)."""
        return None if self.answer is None else float(self.answer.get("relevance", 0.0))

    @property
    def cited_chunks(self) -> list[str]:
        """Chunk ids the answer cites, in citation order."""
        return [c["chunk_id"] for c in (self.answer or {}).get("citations", [])]

    def record(self) -> AnswerRecord:
        """The answer as the metrics see it."""
        from toolkit_assistant.metrics import AnswerRecord

        if self.answer is None:
            return AnswerRecord("", (), True)
        return AnswerRecord.from_json(self.answer)

    def to_dict(self, *, full: bool = True) -> dict[str, Any]:
        """JSON-ready form; `full=False` keeps the answer text and cited chunks, not the whole Answer JSON."""
        out: dict[str, Any] = {
            **self.case.to_dict(), "passed": self.passed, "reasons": self.reasons, "error": self.error,
            "abstained": self.abstained, "relevance": self.relevance, "retrieved": self.retrieved,
            "section_ranks": self.section_ranks, "doc_ranks": self.doc_ranks, "cited_chunks": self.cited_chunks,
            "seconds": round(self.seconds, 3),
        }
        if full:
            out["answer"] = self.answer
        else:
            out["answer_text"] = None if self.answer is None else self.answer.get("answer")
        return out


@dataclass
class EvalResult:
    """Every case's result, the metrics (all cases and per split), the gate and a summary."""

    backend: str
    min_relevance: float
    cases: list[CaseResult]
    metrics: dict[str, MetricResult]
    splits: dict[str, dict[str, MetricResult]]
    gate: list[GateRow]
    summary: dict[str, Any]
    passages: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no gated metric misses its target."""
        return all(row.passed is not False for row in self.gate)

    @property
    def failing(self) -> list[CaseResult]:
        """Cases that did not pass."""
        return [c for c in self.cases if not c.passed]

    def to_dict(self, *, full: bool = True) -> dict[str, Any]:
        """JSON-ready form (results.json with `full=True`)."""
        return {
            "backend": self.backend,
            "min_relevance": self.min_relevance,
            "gate": {"passed": self.passed, "rows": [r.to_dict() for r in self.gate]},
            "metrics": {k: m.to_dict() for k, m in self.metrics.items()},
            "splits": {s: {k: m.to_dict() for k, m in ms.items()} for s, ms in self.splits.items()},
            "summary": self.summary,
            "warnings": self.warnings,
            "cases": [c.to_dict(full=full) for c in self.cases],
        }


# --------------------------------------------------------------------------- metrics over case results


def _content_reasons(cr: CaseResult, judge: SupportJudge, passages: dict[str, str]) -> list[str]:
    """Why an answered case's content is wrong: key facts, forbidden patterns, citations, grounding."""
    from toolkit_assistant.metrics import citation_problems, judge_sentences, matching_patterns, missing_patterns

    rec = cr.record()
    reasons = [f"forbidden pattern matched: {p}" for p in matching_patterns(rec.text, cr.case.forbidden)]
    if rec.abstained:
        return reasons
    reasons += [f"key fact missing: {p}" for p in missing_patterns(rec.text, cr.case.key_facts)]
    reasons += [f"citation: {p}" for p in citation_problems(rec, passages)]
    reasons += [f"unsupported sentence: {v.text!r} ({v.reason})" for v in judge_sentences(rec, judge) if not v.supported]
    return reasons


def case_reasons(cr: CaseResult, judge: SupportJudge, passages: dict[str, str]) -> list[str]:
    """Every reason a case fails (empty: it passes)."""
    if cr.error:
        return [f"error: {cr.error}"]
    c = cr.case
    reasons: list[str] = []
    if c.must_refuse and not cr.abstained:
        reasons.append("answered a question that must be declined")
    if not c.must_refuse and cr.abstained:
        reasons.append(f"declined (relevance {cr.relevance:.3f}) a question that must be answered")
    reasons += _content_reasons(cr, judge, passages)
    ranks = [r for r in cr.section_ranks.values() if r is not None]
    if cr.section_ranks and (not ranks or min(ranks) > GATE_K):
        where = f"the best at rank {min(ranks)}" if ranks else "none in the top 10"
        reasons.append(f"no expected section retrieved in the top {GATE_K} ({where})")
    return reasons


def _ids(results: Sequence[CaseResult]) -> list[str]:
    return [r.case.id for r in results]


def _subset(results: Sequence[CaseResult], pred: Callable[[CaseResult], bool]) -> list[CaseResult]:
    return [r for r in results if pred(r)]


def compute_metrics(results: Sequence[CaseResult], judge: SupportJudge, passages: dict[str, str]) -> dict[str, MetricResult]:
    """Every metric over a set of case results (undefined metrics have NaN scores and denominator 0).

    Which cases each metric counts:
      * recall@k, MRR, coverage@5, doc recall/MRR: cases with expected sections (documents), except
        multilingual ones, which get recall_at_5_multilingual;
      * key_fact_accuracy: answerable cases with key facts (key_fact_accuracy_multilingual likewise);
      * citation_validity, supported_sentences, citation recall/precision, hallucination_rate: every
        answered case, whatever its category;
      * abstention precision/recall: every case (positives: must_refuse); out_of_scope_declined:
        out-of-scope cases; answerable_wrongly_declined: answerable cases (multilingual ones beside);
      * false_premise_handled: false-premise cases; injection_resistance: adversarial and poisoned
        cases with forbidden patterns.
    """
    from toolkit_assistant import metrics as M

    out: dict[str, MetricResult] = {}
    # retrieval is gated on the questions in English; those in other languages are reported beside it
    with_sections = _subset(results, lambda r: bool(r.case.expected_sections) and r.case.category != "multilingual")
    sec_ranks = [list(r.section_ranks.values()) for r in with_sections]
    with_docs = _subset(results, lambda r: bool(r.case.expected_docs) and r.case.category != "multilingual")
    doc_ranks = [list(r.doc_ranks.values()) for r in with_docs]
    for k in (1, 5, 10):
        out[f"recall_at_{k}"] = M.recall_at_k(sec_ranks, k)
    out["mrr"] = M.mrr(sec_ranks)
    out["coverage_at_5"] = M.coverage_at_k(sec_ranks, 5)
    out["doc_recall_at_5"] = M.recall_at_k(doc_ranks, 5, name="doc_recall_at_5")
    out["doc_mrr"] = M.mrr(doc_ranks, name="doc_mrr")
    for key in ("recall_at_1", "recall_at_5", "recall_at_10", "mrr", "coverage_at_5"):
        out[key] = _named(out[key], _ids(with_sections))
    for key in ("doc_recall_at_5", "doc_mrr"):
        out[key] = _named(out[key], _ids(with_docs))
    ml_sections = _subset(results, lambda r: bool(r.case.expected_sections) and r.case.category == "multilingual")
    out["recall_at_5_multilingual"] = _named(M.recall_at_k(
        [list(r.section_ranks.values()) for r in ml_sections], 5, name="recall_at_5_multilingual"
    ), _ids(ml_sections))

    def facts_of(category: str) -> list[CaseResult]:
        return _subset(results, lambda r: r.case.category == category and not r.case.must_refuse and bool(r.case.key_facts))

    ans = facts_of("answerable")
    out["key_fact_accuracy"] = _named(
        M.key_fact_accuracy([r.record() for r in ans], [r.case.key_facts for r in ans]), _ids(ans)
    )
    ml = facts_of("multilingual")
    out["key_fact_accuracy_multilingual"] = _named(M.key_fact_accuracy(
        [r.record() for r in ml], [r.case.key_facts for r in ml], name="key_fact_accuracy_multilingual"
    ), _ids(ml))
    records = [r.record() for r in results]
    every = _ids(results)
    out["citation_validity"] = _named(M.citation_validity(records, passages), every)
    out["supported_sentences"] = _named(M.groundedness(records, judge), every)
    recall, precision = M.citation_recall_precision(records, judge)
    out["citation_recall"], out["citation_precision"] = _named(recall, every), _named(precision, every)
    refuse = [r.case.must_refuse for r in results]
    declined = [r.abstained for r in results]
    out["abstention_precision"] = _named(M.abstention_precision(refuse, declined), every)
    out["abstention_recall"] = _named(M.abstention_recall(refuse, declined), every)
    oos = _subset(results, lambda r: r.case.category == "out_of_scope" and r.case.must_refuse)
    out["out_of_scope_declined"] = _named(M.abstention_recall(
        [True] * len(oos), [r.abstained for r in oos], name="out_of_scope_declined"
    ), _ids(oos))
    # the gate is on English answerable cases; questions in other languages are reported beside it
    wanted = _subset(results, lambda r: r.case.category == "answerable" and not r.case.must_refuse)
    out["answerable_wrongly_declined"] = _named(M.wrongly_declined_rate(
        [False] * len(wanted), [r.abstained for r in wanted], name="answerable_wrongly_declined"
    ), _ids(wanted))
    other = _subset(results, lambda r: r.case.category == "multilingual" and not r.case.must_refuse)
    out["multilingual_wrongly_declined"] = _named(M.wrongly_declined_rate(
        [False] * len(other), [r.abstained for r in other], name="multilingual_wrongly_declined"
    ), _ids(other))
    fp = _subset(results, lambda r: r.case.category == "false_premise")
    fp = [r for r in fp if r.case.key_facts or r.case.forbidden or r.case.must_refuse]
    out["false_premise_handled"] = _named(M.false_premise_handling(
        [r.record() for r in fp], [r.case.must_refuse for r in fp], [r.case.key_facts for r in fp],
        [r.case.forbidden for r in fp],
    ), _ids(fp))
    inj = _subset(results, lambda r: r.case.category in ("adversarial", "poisoned") and bool(r.case.forbidden))
    out["injection_resistance"] = _named(
        M.injection_resistance([r.record() for r in inj], [r.case.forbidden for r in inj]), _ids(inj)
    )
    out["hallucination_rate"] = _named(M.hallucination_rate(
        records, [r.case.key_facts for r in results], [r.case.forbidden for r in results], passages, judge
    ), every)
    return out


def _named(metric: MetricResult, ids: Sequence[str]) -> MetricResult:
    """The metric with the case positions in its details replaced by case ids."""
    from dataclasses import replace

    details: dict[str, Any] = {}
    for key, value in metric.details.items():
        if key in ("failures", "hallucinated") and isinstance(value, list):
            value = [{**v, "case": ids[v["case"]]} if isinstance(v, dict) and isinstance(v.get("case"), int) else v
                     for v in value]
        elif key in ("declined_but_answerable", "answered_but_must_refuse", "declined", "missed") and isinstance(value, list):
            value = [ids[i] for i in value]
        elif key == "per_case" and isinstance(value, list) and len(value) == len(ids):
            value = dict(zip(ids, value, strict=True))
        details[key] = value
    return replace(metric, details=details)


def summarise(results: Sequence[CaseResult], backend: str) -> dict[str, Any]:
    """Counts, latency and verification figures of a run."""
    answers = [r.answer for r in results if r.answer is not None]
    totals = sorted(float(a.get("timings_ms", {}).get("total", 0.0)) for a in answers)
    used: dict[str, int] = {}
    for a in answers:
        used[a.get("backend", "?")] = used.get(a.get("backend", "?"), 0) + 1
    by_cat: dict[str, dict[str, int]] = {}
    for r in results:
        row = by_cat.setdefault(r.case.category, {"cases": 0, "passed": 0})
        row["cases"] += 1
        row["passed"] += int(r.passed)

    def pct(p: float) -> float | None:
        if not totals:
            return None
        return round(totals[min(len(totals) - 1, int(math.ceil(p * len(totals))) - 1)], 1)

    return {
        "cases": len(results),
        "passed": sum(1 for r in results if r.passed),
        "errors": sum(1 for r in results if r.error),
        "by_category": by_cat,
        "by_split": {s: sum(1 for r in results if r.case.split == s) for s in SPLITS},
        "backend_requested": backend,
        "backends_used": used,
        "verification_sentences": sum(int(a.get("verification", {}).get("sentences", 0)) for a in answers),
        "verification_removed": sum(int(a.get("verification", {}).get("removed", 0)) for a in answers),
        "answers_with_removals": sum(1 for a in answers if a.get("verification", {}).get("removed", 0)),
        "latency_ms_p50": round(statistics.median(totals), 1) if totals else None,
        "latency_ms_p95": pct(0.95),
    }


# --------------------------------------------------------------------------- the runner


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
    from toolkit_assistant.metrics import expected_ranks
    from toolkit_assistant.pipeline import validate_question

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
    from toolkit_assistant.metrics import section_of

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
            decline for low relevance, as calibration needs); the assistant is restored afterwards.

    Raises:
        ValueError: no cases, or a threshold names an unknown metric.
    """
    from toolkit_assistant.metrics import SupportJudge

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
    from toolkit_assistant.verify import parse_sentences

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


# --------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class Calibration:
    """The suggested abstention threshold and what it (and the current one) give on each split."""

    suggested: float
    current: float
    figures: dict[str, dict[str, dict[str, Any]]]  # split -> {"suggested": {...}, "current": {...}}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"suggested_min_relevance": self.suggested, "current_min_relevance": self.current, "splits": self.figures}


def _content_ok(r: CaseResult) -> bool:
    """Whether an answered case's text holds its key facts and no forbidden pattern."""
    from toolkit_assistant.metrics import matching_patterns, missing_patterns

    text = (r.answer or {}).get("answer", "")
    return not missing_patterns(text, r.case.key_facts) and not matching_patterns(text, r.case.forbidden)


def threshold_figures(results: Sequence[CaseResult], threshold: float) -> dict[str, Any]:
    """What a threshold gives on results run with the threshold off: correct declines and answers."""
    n = correct = refuse = refused = wanted = wrongly = facts = facts_ok = 0  # key facts: answerable cases, as the gate
    for r in results:
        rel = r.relevance if r.relevance is not None else 0.0
        declines = r.abstained or rel < threshold
        ok = (not declines) and _content_ok(r)
        n += 1
        if r.case.must_refuse:
            refuse += 1
            refused += int(declines)
            correct += int(declines)
        else:
            correct += int(ok)
            if r.case.category == "answerable":  # as the gate's answerable_wrongly_declined
                wanted += 1
                wrongly += int(declines)
                if r.case.key_facts and r.case.category == "answerable":
                    facts += 1
                    facts_ok += int(ok)

    def share(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    return {
        "threshold": round(threshold, 4), "cases": n, "correct": correct, "accuracy": share(correct, n),
        "must_refuse_declined": share(refused, refuse), "answerable_wrongly_declined": share(wrongly, wanted),
        "key_fact_accuracy": share(facts_ok, facts),
    }


def calibrate_threshold(result: EvalResult, *, current: float | None = None) -> Calibration:
    """Pick min_relevance on the calibration split: the most correct declines plus correct answers.

    The result must come from a run with the threshold off (`run_eval(..., min_relevance=0.0)`), so
    that every case has an answer to judge. Candidates are midpoints between neighbouring relevance
    scores; among equally good ones the widest gap wins, then the one nearest the current value.

    Raises:
        ValueError: the run had the threshold on, or the calibration split is empty.
    """
    if result.min_relevance > 0:
        raise ValueError(
            f"calibrate_threshold needs a run with the threshold off (min_relevance=0.0), not {result.min_relevance}"
        )
    if current is None:
        current = float(result.summary.get("configured_min_relevance", 0.0))
    usable = [r for r in result.cases if r.case.category != "poisoned" and r.error is None]
    by_split = {s: [r for r in usable if r.case.split == s] for s in SPLITS}
    calib = by_split["calibration"]
    if not calib:
        raise ValueError("The calibration split holds no cases: mark some cases with \"split\": \"calibration\"")
    values = sorted({round(r.relevance or 0.0, 4) for r in calib})
    candidates: list[tuple[float, float]] = [(0.0, values[0] / 2 if values else 0.0)]
    for a, b in zip(values, values[1:], strict=False):
        candidates.append(((a + b) / 2, (b - a) / 2))
    candidates.append((min(1.0, values[-1] + 0.01), 0.0))
    best = max(
        candidates,
        key=lambda c: (threshold_figures(calib, c[0])["correct"], round(c[1], 4), -abs(c[0] - current)),
    )
    suggested = round(best[0], 3)
    figures = {
        s: {"suggested": threshold_figures(rs, suggested), "current": threshold_figures(rs, current)}
        for s, rs in by_split.items() if rs
    }
    return Calibration(suggested, current, figures)


# --------------------------------------------------------------------------- poisoned index


@contextmanager
def poisoned_assistant(settings: Settings, poisoned_dir: Path, *, progress: Callable[[str], None] | None = None) -> Iterator[Any]:
    """An Assistant over a temporary index of the corpus plus the hostile documents (main index untouched).

    The main index's embedding cache is copied in first, so only the hostile documents are embedded.
    """
    import shutil
    import tempfile

    from toolkit_assistant.embeddings import get_embedder
    from toolkit_assistant.indexer import run_ingest
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.store import location_for

    with tempfile.TemporaryDirectory(prefix="toolkit-eval-poisoned-") as tmp:
        index_dir = Path(tmp) / "index"
        index_dir.mkdir()
        cache = settings.index_dir / "embedding-cache.sqlite"
        if cache.is_file():
            shutil.copy2(cache, index_dir / cache.name)
        report = run_ingest(
            [settings.corpus_dir, poisoned_dir],
            location=location_for(index_dir, None, settings.collection),
            embedder=get_embedder(settings.embedding),
            index_dir=index_dir,
            chunk_size=settings.chunk_size,
            chunk_overlap=settings.chunk_overlap,
            max_bytes=int(settings.max_file_mb * 1e6),
        )
        if progress:
            progress(f"poisoned index: {report.documents} documents, {report.chunks} chunks in {report.seconds:.1f} s")
            for file, reason in report.skipped:
                progress(f"poisoned index skipped {file}: {reason}")
        s = settings.model_copy(update={"index_dir": index_dir, "chroma_url": None, "query_log": None})
        yield Assistant.from_settings(s)


# --------------------------------------------------------------------------- report


def _fmt(score: float | None, digits: int = 3) -> str:
    return "n/a" if score is None or (isinstance(score, float) and math.isnan(score)) else f"{score:.{digits}f}"


def recall_by_document(result: EvalResult, k: int = GATE_K) -> dict[str, tuple[int, int]]:
    """(cases recalled in the top k, cases) for each document, a case counting for its first expected section's document."""
    out: dict[str, list[int]] = {}
    for r in result.cases:
        if not r.section_ranks or r.case.category == "multilingual":  # as the gated recall_at_5
            continue
        row = out.setdefault(next(iter(r.section_ranks)).split(":", 1)[0], [0, 0])
        row[0] += int(any(rank is not None and rank <= k for rank in r.section_ranks.values()))
        row[1] += 1
    return {d: (a, b) for d, (a, b) in sorted(out.items())}


def _relevance_groups(result: EvalResult) -> tuple[list[float], list[float]]:
    answerable = [r.relevance for r in result.cases
                  if r.relevance is not None and r.case.category in ANSWER_WANTED and not r.case.must_refuse]
    refuse = [r.relevance for r in result.cases
              if r.relevance is not None and r.case.must_refuse and r.case.category != "poisoned"]
    return [float(x) for x in answerable if x is not None], [float(x) for x in refuse if x is not None]


def write_charts(result: EvalResult, out_dir: Path) -> dict[str, str]:
    """The report's PNG charts (matplotlib, Agg backend); file names by chart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files: dict[str, str] = {}
    # 1. gated metrics against their targets
    rows = [g for g in result.gate]
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(rows), 3) + 1.2))
    names = [g.metric for g in rows]
    scores = [0.0 if math.isnan(g.score) else g.score for g in rows]
    colours = ["#9e9e9e" if g.passed is None else "#2e7d32" if g.passed else "#c62828" for g in rows]
    ax.barh(names, scores, color=colours)
    for i, g in enumerate(rows):
        ax.plot([g.target, g.target], [i - 0.4, i + 0.4], color="black", linewidth=2)
        ax.text(1.03, i, f"{_fmt(g.score)} ({g.op} {g.target:g})", va="center", fontsize=8)
    ax.set_xlim(0, 1.3)
    ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.invert_yaxis()
    ax.set_xlabel("score (black mark: target)")
    ax.set_title(f"Gated metrics, backend {result.backend}")
    fig.tight_layout()
    fig.savefig(out_dir / "metrics.png", dpi=100)
    plt.close(fig)
    files["metrics"] = "metrics.png"
    # 2. recall@5 per document
    per_doc = recall_by_document(result)
    fig, ax = plt.subplots(figsize=(8, 0.4 * max(len(per_doc), 3) + 1.2))
    if per_doc:
        docs = list(per_doc)
        vals = [a / b for a, b in per_doc.values()]
        ax.barh(docs, vals, color=["#2e7d32" if v >= 0.95 else "#ef6c00" for v in vals])
        for i, (a, b) in enumerate(per_doc.values()):
            ax.text(1.03, i, f"{a}/{b}", va="center", fontsize=8)
        ax.axvline(0.95, color="black", linestyle="--", linewidth=1)
        ax.invert_yaxis()
    ax.set_xlim(0, 1.15)
    ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_xlabel(f"recall@{GATE_K} of English cases, by their first expected section's document (dashed: target)")
    ax.set_title("Retrieval recall by document")
    fig.tight_layout()
    fig.savefig(out_dir / "recall_by_document.png", dpi=100)
    plt.close(fig)
    files["recall_by_document"] = "recall_by_document.png"
    # 3. relevance of answerable vs must-refuse cases, with the threshold
    answerable, refuse = _relevance_groups(result)
    fig, ax = plt.subplots(figsize=(8, 4))
    bins = [i / 40 for i in range(41)]
    if answerable:
        ax.hist(answerable, bins=bins, alpha=0.6, color="#1565c0", label=f"must answer ({len(answerable)})")
    if refuse:
        ax.hist(refuse, bins=bins, alpha=0.6, color="#c62828", label=f"must decline ({len(refuse)})")
    ax.axvline(result.min_relevance, color="black", linestyle="--", label=f"min_relevance = {result.min_relevance:g}")
    ax.set_xlabel("answer relevance score")
    ax.set_ylabel("cases")
    ax.set_title("Relevance: answerable vs out-of-scope, with the abstention threshold")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "relevance.png", dpi=100)
    plt.close(fig)
    files["relevance"] = "relevance.png"
    return files


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;padding:0 1.5em;max-width:70em;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.pass{color:#2e7d32;font-weight:bold}.fail{color:#c62828;font-weight:bold}.na{color:#777}
.case{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}.case h3{margin:.2em 0}
.quote{color:#444;font-style:italic}img{max-width:100%;display:block;margin:1em 0}code{background:#f6f6f6}
"""


def _status(passed: bool | None) -> str:
    if passed is None:
        return '<span class="na">n/a</span>'
    return '<span class="pass">pass</span>' if passed else '<span class="fail">FAIL</span>'


def render_html(result: EvalResult, charts: dict[str, str]) -> str:
    """The report page: gate, metrics by split, charts (relative PNG links), failing cases; all text escaped."""
    from html import escape as e

    s = result.summary
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>toolkit-assistant eval report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>toolkit-assistant eval report</h1>",
        f"<p>Backend <code>{e(result.backend)}</code>; abstention threshold min_relevance = {result.min_relevance:g}; "
        f"{s['cases']} cases, {s['passed']} passed, {s['errors']} errors; {s['seconds']} s. "
        f"Gate: {_status(result.passed)}</p>",
        "<h2>Gate</h2><table><tr><th>metric</th><th>score</th><th>target</th><th>result</th><th>what it measures</th></tr>",
    ]
    for g in result.gate:
        parts.append(
            f"<tr><td>{e(g.metric)}</td><td>{_fmt(g.score)}</td><td>{e(g.op)} {g.target:g}</td>"
            f"<td>{_status(g.passed)}</td><td>{e(g.description)}</td></tr>"
        )
    parts.append("</table><h2>All metrics, by split</h2>")
    parts.append("<table><tr><th>metric</th><th>all</th><th>counts</th>"
                 + "".join(f"<th>{e(sp)}</th>" for sp in result.splits) + "</tr>")
    for name, m in result.metrics.items():
        cells = "".join(f"<td>{_fmt(result.splits[sp][name].score)}</td>" for sp in result.splits)
        parts.append(f"<tr><td>{e(name)}</td><td>{_fmt(m.score)}</td><td>{_fmt_counts(m)}</td>{cells}</tr>")
    parts.append("</table>")
    parts.append(
        f"<p>Verification removed {s['verification_removed']} of {s['verification_sentences']} sentences "
        f"({s['answers_with_removals']} answers affected). Latency per answer: p50 {s['latency_ms_p50']} ms, "
        f"p95 {s['latency_ms_p95']} ms. Backends used: {e(json.dumps(s['backends_used']))}.</p>"
    )
    titles = {"metrics": "Gated metrics against their targets", "recall_by_document": "Recall@5 by document",
              "relevance": "Relevance scores and the abstention threshold"}
    parts.append("<h2>Charts</h2>")
    for key, file in charts.items():
        parts.append(f"<h3>{e(titles.get(key, key))}</h3><img src='{e(file)}' alt='{e(titles.get(key, key))}'>")
    if result.warnings:
        parts.append("<h2>Warnings</h2><ul>" + "".join(f"<li>{e(w)}</li>" for w in result.warnings) + "</ul>")
    failing = result.failing
    parts.append(f"<h2>Failing cases ({len(failing)})</h2>")
    for r in failing:
        c = r.case
        parts.append(f"<div class='case'><h3>{e(c.id)} <small>({e(c.category)}, {e(c.split)}, {e(c.language)})</small></h3>")
        parts.append(f"<p><b>Question:</b> {e(c.question)}</p>")
        expected = []
        if c.must_refuse:
            expected.append("decline")
        if c.expected_sections:
            expected.append("sections " + ", ".join(c.expected_sections))
        if c.key_facts:
            expected.append("key facts " + ", ".join(f"/{k}/" for k in c.key_facts))
        if c.forbidden:
            expected.append("must not match " + ", ".join(f"/{k}/" for k in c.forbidden))
        parts.append(f"<p><b>Expected:</b> {e('; '.join(expected) or '-')}</p>")
        if c.reference:
            parts.append(f"<p><b>Reference:</b> {e(c.reference)}</p>")
        got = "(error)" if r.answer is None else r.answer.get("answer", "")
        rel = "" if r.relevance is None else f" (relevance {r.relevance:.3f}{', declined' if r.abstained else ''})"
        parts.append(f"<p><b>Got{e(rel)}:</b> {e(got)}</p>")
        cits = (r.answer or {}).get("citations", [])
        if cits:
            parts.append("<ol>" + "".join(
                f"<li value='{int(x['n'])}'><code>{e(x['chunk_id'])}</code> <span class='quote'>“{e(x['quote'])}”</span></li>"
                for x in cits) + "</ol>")
        ranks = ", ".join(f"{k}: {v if v is not None else '-'}" for k, v in r.section_ranks.items())
        if ranks:
            parts.append(f"<p><b>Ranks of expected sections:</b> {e(ranks)}</p>")
        parts.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in r.reasons) + "</ul></div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _fmt_counts(m: MetricResult) -> str:
    num = f"{m.numerator:.2f}" if isinstance(m.numerator, float) and not float(m.numerator).is_integer() else f"{int(m.numerator)}"
    return f"{num}/{m.denominator}"


def write_report(result: EvalResult, out_dir: Path) -> Path:
    """Write report.html, results.json and the PNG charts into out_dir; return the report's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = write_charts(result, out_dir)
    (out_dir / "results.json").write_text(
        json.dumps(result.to_dict(full=True), indent=2, ensure_ascii=False, default=_json_default), encoding="utf-8"
    )
    page = out_dir / "report.html"
    page.write_text(render_html(result, charts), encoding="utf-8")
    return page


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


# --------------------------------------------------------------------------- CLI


def format_table(result: EvalResult) -> str:
    """The metric table: gated metrics first (score, target, pass), then the rest; per-split columns."""
    splits = list(result.splits)
    head = f"{'metric':32} {'score':>7} {'counts':>9} {'target':>8} {'pass':>5}" + "".join(f" {s[:11]:>11}" for s in splits)
    lines = [head, "-" * len(head)]
    gated = {g.metric: g for g in result.gate}

    def row(name: str) -> str:
        m = result.metrics[name]
        g = gated.get(name)
        target = f"{g.op}{g.target:g}" if g else ""
        ok = "" if g is None else "n/a" if g.passed is None else "yes" if g.passed else "NO"
        cells = "".join(f" {_fmt(result.splits[s][name].score):>11}" for s in splits)
        return f"{name:32} {_fmt(m.score):>7} {_fmt_counts(m):>9} {target:>8} {ok:>5}{cells}"

    lines += [row(n) for n in gated if n in result.metrics]
    lines.append("")
    lines += [row(n) for n in result.metrics if n not in gated]
    s = result.summary
    lines.append("")
    lines.append(
        f"{s['cases']} cases ({', '.join(f'{k} {v}' for k, v in s['by_split'].items())}), {s['passed']} passed, "
        f"{s['errors']} errors; backend {result.backend}; min_relevance {result.min_relevance:g}; {s['seconds']} s"
    )
    lines.append(
        f"verification removed {s['verification_removed']} of {s['verification_sentences']} sentences; "
        f"latency p50 {s['latency_ms_p50']} ms, p95 {s['latency_ms_p95']} ms"
    )
    for w in result.warnings:
        lines.append(f"warning: {w}")
    failing = [r.case.id for r in result.failing]
    if failing:
        lines.append(f"failing cases ({len(failing)}): {', '.join(failing[:40])}{' ...' if len(failing) > 40 else ''}")
    missed = [g.metric for g in result.gate if g.passed is False]
    lines.append("GATE PASSED" if result.passed else f"GATE FAILED: {', '.join(missed)} below target")
    return "\n".join(lines)


def format_calibration(cal: Calibration) -> str:
    """The calibration as text: the suggested threshold and each split's figures at both thresholds."""
    lines = [f"suggested min_relevance: {cal.suggested:g} (current {cal.current:g}); set TOOLKIT_MIN_RELEVANCE to use it", ""]
    head = (f"{'split':12} {'threshold':>16} {'correct':>9} {'accuracy':>9} {'refusals declined':>18} "
            f"{'wrongly declined':>17} {'key facts':>10}")
    lines += [head, "-" * len(head)]
    for split, figs in cal.figures.items():
        for which in ("current", "suggested"):
            f = figs[which]
            lines.append(
                f"{split:12} {which + ' ' + format(f['threshold'], 'g'):>16} {f['correct']:>4}/{f['cases']:<4} "
                f"{_fmt(f['accuracy']):>9} {_fmt(f['must_refuse_declined']):>18} "
                f"{_fmt(f['answerable_wrongly_declined']):>17} {_fmt(f['key_fact_accuracy']):>10}"
            )
    return "\n".join(lines)


def _load_all_cases(cases_file: Path | None, poisoned: bool | None, split: str) -> tuple[list[EvalCase], bool]:
    """The cases to run and whether poisoned cases are among them."""
    path = cases_file or GOLD_CASES
    try:
        cases = load_cases(path)
    except ValueError as exc:
        hint = "" if cases_file or path.exists() else " (the gold set is evals/gold.jsonl; or pass --cases FILE)"
        raise EvalInputError(f"{exc}{hint}") from exc
    if poisoned is None:
        poisoned = cases_file is None and POISONED_CASES.is_file() and POISONED_DIR.is_dir()
    if poisoned:
        if not POISONED_CASES.is_file() or not POISONED_DIR.is_dir():
            raise EvalInputError(f"--poisoned needs {POISONED_CASES} and the folder {POISONED_DIR}")
        try:
            extra = load_cases(POISONED_CASES)
        except ValueError as exc:
            raise EvalInputError(str(exc)) from exc
        clash = {c.id for c in cases} & {c.id for c in extra}
        if clash:
            raise EvalInputError(f"case ids used in both {path.name} and {POISONED_CASES.name}: {', '.join(sorted(clash))}")
        cases += extra
    if split != "all":
        cases = [c for c in cases if c.split == split]
        if not cases:
            raise EvalInputError(f"No cases in the {split} split")
    return cases, any(c.category == "poisoned" for c in cases)


@click.command()
@click.option("--backend", type=click.Choice(["extractive", "llamacpp", "ollama", "openai"]), default=None,
              help="Answer backend (default: TOOLKIT_BACKEND, extractive).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead of a table.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write report.html, results.json and charts into this folder (no report without it).")
@click.option("--cases", "cases_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Cases file (default: evals/gold.jsonl).")
@click.option("--split", type=click.Choice(["all", "calibration", "holdout"]), default="all", show_default=True,
              help="Run only the cases of one split.")
@click.option("--poisoned/--no-poisoned", default=None,
              help="Also run evals/poisoned_cases.jsonl against a temporary index of corpus/ plus evals/poisoned/ "
                   "(default: on when those exist and --cases is not given).")
@click.option("--thresholds", "thresholds_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Gate file (default: evals/thresholds.toml).")
@click.option("--calibrate", is_flag=True,
              help="Run with the abstention threshold off and suggest min_relevance from the calibration split.")
@click.pass_context
def eval_command(ctx: click.Context, backend: str | None, as_json: bool, report_dir: Path | None, cases_file: Path | None,
                 split: str, poisoned: bool | None, thresholds_file: Path | None, calibrate: bool) -> None:
    """Run the gold questions, print the metrics and apply the quality gate.

    Exit codes: 0 every gated metric meets its target (or --calibrate finished); 1 a gated metric
    misses its target (or the index/backend failed); 2 bad input (cases or thresholds file).
    """
    from toolkit_assistant.cli import _assistant, _settings

    s = _settings(ctx)
    name = backend or s.backend
    if calibrate and report_dir:
        raise click.UsageError("--calibrate prints a suggestion; run without --calibrate to write a report")
    try:
        thresholds = load_thresholds(thresholds_file or THRESHOLDS)
    except ValueError as exc:
        raise EvalInputError(str(exc)) from exc
    cases, has_poisoned = _load_all_cases(cases_file, False if calibrate else poisoned, "all" if calibrate else split)
    log = (lambda m: click.echo(f"  {m}", err=True))
    assistant = _assistant(s)
    if calibrate:
        result = run_eval(assistant, cases, backend=name, progress=log, thresholds=thresholds, min_relevance=0.0)
        cal = calibrate_threshold(result, current=s.min_relevance)
        if as_json:
            click.echo(json.dumps(cal.to_dict(), indent=2))
        else:
            click.echo(format_calibration(cal))
        return
    try:
        if has_poisoned:
            with poisoned_assistant(s, POISONED_DIR, progress=log) as pa:
                result = run_eval(assistant, cases, backend=name, progress=log, poisoned_assistant=pa, thresholds=thresholds)
        else:
            result = run_eval(assistant, cases, backend=name, progress=log, thresholds=thresholds)
    except ValueError as exc:
        raise EvalInputError(str(exc)) from exc
    if report_dir is not None:
        page = write_report(result, report_dir)
        click.echo(f"report: {page}", err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(full=False), indent=2, ensure_ascii=False, default=_json_default))
    else:
        click.echo(format_table(result))
    ctx.exit(0 if result.passed else EXIT_GATE_FAILED)


__all__ = [
    "Calibration",
    "CaseResult",
    "EvalCase",
    "EvalResult",
    "GateRow",
    "METRICS",
    "Threshold",
    "apply_gate",
    "calibrate_threshold",
    "compute_metrics",
    "eval_command",
    "load_cases",
    "load_thresholds",
    "poisoned_assistant",
    "run_eval",
    "write_report",
]
