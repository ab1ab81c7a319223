"""Summary statistics of timings: p50, p95, mean, median, ratios."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def summarize(values: Sequence[float]) -> dict[str, float]:
    """p50, p95 and mean of some values (linear interpolation between ranks)."""
    import numpy as np

    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "mean": float("nan")}
    arr = np.asarray(values, dtype=float)
    return {
        "p50": round(float(np.percentile(arr, 50)), 2),
        "p95": round(float(np.percentile(arr, 95)), 2),
        "mean": round(float(arr.mean()), 2),
    }


def median(values: Iterable[float]) -> float:
    """The median of some numbers (nan when there are none)."""
    import statistics

    vals = [v for v in values if v == v]
    return float(statistics.median(vals)) if vals else float("nan")


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b rounded to 3 places (None when either is missing or b is 0)."""
    if a is None or b is None or not b:
        return None
    return round(a / b, 3)
