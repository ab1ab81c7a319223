"""The quality gate: thresholds on metrics (evals/thresholds.toml), and each metric's verdict against them."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit_assistant.evals.cases import EVALS_DIR

if TYPE_CHECKING:
    from toolkit_assistant.evals.records import MetricResult

THRESHOLDS = EVALS_DIR / "thresholds.toml"
METRICS = (  # every metric compute_metrics reports, in report order
    "recall_at_1", "recall_at_5", "recall_at_10", "mrr", "coverage_at_5", "doc_recall_at_5", "doc_mrr",
    "recall_at_5_multilingual",
    "key_fact_accuracy", "key_fact_accuracy_multilingual", "citation_validity", "supported_sentences",
    "citation_recall", "citation_precision", "abstention_precision", "abstention_recall", "out_of_scope_declined",
    "near_miss_answered", "answerable_wrongly_declined", "multilingual_wrongly_declined", "false_premise_handled", "injection_resistance",
    "hallucination_rate",
)
GATE_K = 5  # an answerable case fails when no expected section is in the top GATE_K hits


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
