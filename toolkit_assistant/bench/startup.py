"""2. Cold start: `ask --json` from spawn to exit, `serve` from spawn to its first HTTP 200 (peak RSS of each)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit_assistant.bench import BenchError
from toolkit_assistant.bench.processes import cli_command, free_port, run_process, stop, tail, vm_hwm_mb
from toolkit_assistant.bench.stats import median


def measure_first_answer(question: str, env: dict[str, str], cwd: Path, timeout_s: float) -> dict[str, Any]:
    """`toolkit-assistant ask --json` from spawn to exit; the answer's own timings."""
    res = run_process([*cli_command(), "ask", "--json", question], env, timeout_s, cwd)
    if res.timed_out or res.returncode != 0:
        raise BenchError(f"cold-start ask failed (exit {res.returncode}): {tail(res.stderr)}")
    answer = json.loads(res.stdout)
    return {"seconds": res.seconds, "timings_ms": answer.get("timings_ms", {}), "peak_rss_mb": res.peak_rss_mb}


def measure_first_page(env: dict[str, str], cwd: Path, timeout_s: float) -> dict[str, Any]:
    """`toolkit-assistant serve` on a free 127.0.0.1 port, from spawn to its first HTTP 200; then stop it."""
    import urllib.error
    import urllib.request

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [*cli_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd, start_new_session=True,
        )
        seconds: float | None = None
        error = ""
        peak: float | None = None
        exited = False
        try:
            while time.perf_counter() - t0 < timeout_s:
                pid, _, _ = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    exited = True
                    err.seek(0)
                    error = f"serve exited before serving a page: {tail(err.read().decode('utf-8', 'replace'))}"
                    break
                try:
                    with urllib.request.urlopen(url, timeout=2) as resp:
                        if resp.status == 200:
                            seconds = time.perf_counter() - t0
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    pass
                time.sleep(0.1)
            else:
                error = f"no HTTP 200 from {url} within {timeout_s:g} s"
            peak = vm_hwm_mb(proc.pid) if not exited else None
        finally:
            if not exited:
                stop(proc)
    return {"seconds": seconds, "peak_rss_mb": peak, "error": error, "port": port}


def measure_cold(question: str, env: dict[str, str], cwd: Path, repeats: int, timeout_s: float,
                 log: Callable[[str], None]) -> tuple[dict[str, Any], float, float | None]:
    """Cold starts (median of `repeats`): to the first answer and to the first page; peak RSS of each."""
    answers, pages = [], []
    for i in range(repeats):
        log(f"cold start {i + 1}/{repeats}: ask")
        answers.append(measure_first_answer(question, env, cwd, timeout_s))
        log(f"cold start {i + 1}/{repeats}: serve")
        pages.append(measure_first_page(env, cwd, min(timeout_s, 120.0)))
    ok_pages = [p for p in pages if p["seconds"] is not None]
    served = [p["peak_rss_mb"] for p in ok_pages if p["peak_rss_mb"] is not None]
    cold = {
        "first_answer": round(median(a["seconds"] for a in answers), 3),
        "first_page": round(median(p["seconds"] for p in ok_pages), 3) if ok_pages else None,
        "first_answer_timings_ms": answers[len(answers) // 2]["timings_ms"],
        "first_page_error": "" if ok_pages else pages[-1]["error"],
        "runs": repeats,
    }
    return cold, round(max(a["peak_rss_mb"] for a in answers), 1), round(max(served), 1) if served else None
