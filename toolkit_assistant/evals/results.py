"""What an eval run produced: each case's answer, retrieval and verdict, and the run's metrics and gate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from toolkit_assistant.evals.records import AnswerRecord

if TYPE_CHECKING:
    from toolkit_assistant.evals.cases import EvalCase
    from toolkit_assistant.evals.gate import GateRow
    from toolkit_assistant.evals.records import MetricResult


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
        """True when the assistant declined or answered only in part (or the case errored)."""
        return self.answer is None or bool(self.answer.get("abstained")) or self.coverage != "answered"

    @property
    def coverage(self) -> str:
        """answered | partial | none (none when the case errored)."""
        if self.answer is None:
            return "none"
        return str(self.answer.get("coverage") or ("none" if self.answer.get("abstained") else "answered"))

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
