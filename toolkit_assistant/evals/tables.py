"""The eval run as a plain-text table, and the number formats the reports share."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toolkit_assistant.evals.records import MetricResult
    from toolkit_assistant.evals.results import EvalResult


def fmt(score: float | None, digits: int = 3) -> str:
    """A score with `digits` decimals ("n/a" for None or NaN)."""
    return "n/a" if score is None or (isinstance(score, float) and math.isnan(score)) else f"{score:.{digits}f}"


def fmt_counts(m: MetricResult) -> str:
    """numerator/denominator of a metric (the numerator with two decimals when it is fractional)."""
    num = f"{m.numerator:.2f}" if isinstance(m.numerator, float) and not float(m.numerator).is_integer() else f"{int(m.numerator)}"
    return f"{num}/{m.denominator}"


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
        cells = "".join(f" {fmt(result.splits[s][name].score):>11}" for s in splits)
        return f"{name:32} {fmt(m.score):>7} {fmt_counts(m):>9} {target:>8} {ok:>5}{cells}"

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
    langs = s.get("by_language", {})
    if len(langs) > 1:
        lines.append("by language: " + "; ".join(
            f"{lang} key facts {v['key_facts']}/{v['answerable']}, declined {v['declined']}/{v['answerable']}, "
            f"must-decline declined {v['refused']}/{v['refuse']}"
            for lang, v in langs.items()
        ))
    for w in result.warnings:
        lines.append(f"warning: {w}")
    failing = [r.case.id for r in result.failing]
    if failing:
        lines.append(f"failing cases ({len(failing)}): {', '.join(failing[:40])}{' ...' if len(failing) > 40 else ''}")
    missed = [g.metric for g in result.gate if g.passed is False]
    lines.append("GATE PASSED" if result.passed else f"GATE FAILED: {', '.join(missed)} below target")
    return "\n".join(lines)
