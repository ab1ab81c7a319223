"""3. Warm query latency in this process: per-stage p50/p95, the median over passes; and a cProfile."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit_assistant.bench.questions import BenchCase
from toolkit_assistant.bench.stats import median, summarize


@dataclass
class PassTimings:
    """One pass over the questions: per-stage times (ms) of each answer, and how many were declined."""

    stages: dict[str, list[float]]
    abstained: int


def latency_pass(assistant: Any, cases: Sequence[BenchCase]) -> PassTimings:
    """Ask every question once; the per-stage timings (ms) of each answer and its process CPU time."""
    from toolkit_assistant.errors import InputError

    stages: dict[str, list[float]] = {k: [] for k in ("total", "retrieve", "answer", "verify", "wall", "cpu")}
    abstained = 0
    for case in cases:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            answer = assistant.ask(case.question)
        except InputError:
            continue
        stages["wall"].append((time.perf_counter() - t0) * 1000)
        stages["cpu"].append((time.process_time() - c0) * 1000)
        for key in ("total", "retrieve", "answer", "verify"):
            stages[key].append(float(answer.timings_ms.get(key, 0.0)))
        abstained += int(answer.abstained)
    return PassTimings(stages, abstained)


def measure_latency(
    assistant: Any, cases: Sequence[BenchCase], repeats: int, first_pass: bool = True
) -> dict[str, Any]:
    """p50/p95 per stage: one first pass (reported apart), then the median over `repeats` warm passes."""
    out: dict[str, Any] = {}
    first = latency_pass(assistant, cases)  # model and index loaded, caches empty
    if first_pass:
        out["first_pass"] = summarize(first.stages["total"])
    passes = [latency_pass(assistant, cases) for _ in range(repeats)]
    per_pass = [summarize(p.stages["total"]) for p in passes]
    for key in ("p50", "p95", "mean"):
        out[key] = round(median(s[key] for s in per_pass), 2)
    for stage in ("retrieve", "answer", "verify", "wall", "cpu"):
        sums = [summarize(p.stages[stage]) for p in passes]
        out[stage] = {"p50": round(median(s["p50"] for s in sums), 2), "p95": round(median(s["p95"] for s in sums), 2)}
    out["passes"] = per_pass
    out["questions"] = len(first.stages["total"])
    out["abstained"] = first.abstained
    return out


def profile_queries(assistant: Any, cases: Sequence[BenchCase], n: int, out_file: Path) -> list[dict[str, Any]]:
    """cProfile `n` warm questions; write the full report and return the ten costliest functions."""
    import cProfile
    import io
    import pstats

    questions = [c.question for c in cases] or ["What is algorithmic bias?"]
    for q in questions[: min(len(questions), 5)]:
        assistant.ask(q)
    prof = cProfile.Profile()
    prof.enable()
    for i in range(n):
        try:
            assistant.ask(questions[i % len(questions)])
        except Exception:  # noqa: BLE001 - a bad question is not what we profile
            continue
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(30)
    out_file.write_text(f"cProfile of {n} warm questions\n\n{buf.getvalue()}", encoding="utf-8")
    rows = []
    for (file, line, func), (_cc, calls, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{Path(file).name}:{line}({func})", "calls": calls,
                     "tottime_ms_per_q": round(tt * 1000 / n, 3), "cumtime_ms_per_q": round(ct * 1000 / n, 3)})
    rows.sort(key=lambda r: -r["tottime_ms_per_q"])
    return rows[:10]
