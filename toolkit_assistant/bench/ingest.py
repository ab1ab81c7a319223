"""1. Ingest: the corpus from scratch into a fresh index (a CLI process), then again with nothing changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolkit_assistant.bench import BenchError
from toolkit_assistant.bench.processes import cli_command, run_process, tail


def measure_ingest(env: dict[str, str], cwd: Path, corpus: Path, timeout_s: float) -> dict[str, Any]:
    """Ingest the corpus from scratch, then again unchanged, each in its own CLI process."""
    first = run_process([*cli_command(), "ingest", "--json", str(corpus)], env, timeout_s, cwd)
    if first.returncode not in (0, 3):
        raise BenchError(f"ingest of {corpus} failed (exit {first.returncode}): {tail(first.stderr)}")
    rep = json.loads(first.stdout)
    again = run_process([*cli_command(), "ingest", "--json", str(corpus)], env, timeout_s, cwd)
    if again.returncode not in (0, 3):
        raise BenchError(f"re-ingest of {corpus} failed (exit {again.returncode}): {tail(again.stderr)}")
    rep2 = json.loads(again.stdout)
    in_run = float(rep["seconds"])
    return {
        "documents": int(rep["documents"]),
        "chunks": int(rep["chunks"]),
        "seconds": round(first.seconds, 3),
        "in_run_s": round(in_run, 3),
        "chunks_per_s": round(rep["chunks"] / in_run, 2) if in_run > 0 else None,
        "reingest_unchanged_s": round(float(rep2["seconds"]), 4),
        "reingest_unchanged_process_s": round(again.seconds, 3),
        "reingest_up_to_date": bool(rep2.get("up_to_date")),
        "skipped_files": len(rep.get("skipped", [])),
        "peak_rss_mb": round(first.peak_rss_mb, 1),
    }
