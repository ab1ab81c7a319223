"""Calibration: the abstention threshold (min_relevance) that the calibration split's cases suggest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from toolkit_assistant.evals.cases import SPLITS
from toolkit_assistant.evals.records import matching_patterns, missing_patterns

if TYPE_CHECKING:
    from toolkit_assistant.evals.results import CaseResult, EvalResult


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
