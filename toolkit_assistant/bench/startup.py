"""2. Cold start: `ask --json` from spawn to exit; `serve` from spawn to its first page, to ready, to an answer.

Each is measured for the query path users get (MiniLM questions on onnxruntime, no torch) and, in the same run and
interleaved with it, for the old sentence-transformers path (`TOOLKIT_ONNX=0`: torch is imported and MiniLM loaded
by sentence-transformers); `ratios` are new over old (medians). A French question (the e5 index under the default
`TOOLKIT_EMBEDDING=auto`) is timed on the new path too.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit_assistant.bench import BenchError
from toolkit_assistant.bench.processes import cli_command, free_port, run_process, stop, tail, vm_hwm_mb
from toolkit_assistant.bench.stats import median

FRENCH_QUESTION = "Un juge peut-il utiliser ChatGPT pour rédiger une décision de justice ?"
TORCH_PATH = {"TOOLKIT_ONNX": "0"}  # the sentence-transformers query path, as before the ONNX export


def measure_first_answer(question: str, env: dict[str, str], cwd: Path, timeout_s: float) -> dict[str, Any]:
    """`toolkit-assistant ask --json` from spawn to exit; the answer's own timings."""
    res = run_process([*cli_command(), "ask", "--json", question], env, timeout_s, cwd)
    if res.timed_out or res.returncode != 0:
        raise BenchError(f"cold-start ask failed (exit {res.returncode}): {tail(res.stderr)}")
    answer = json.loads(res.stdout)
    return {"seconds": res.seconds, "timings_ms": answer.get("timings_ms", {}), "peak_rss_mb": res.peak_rss_mb,
            "language": answer.get("language")}


def _get(url: str, timeout: float = 2.0) -> int | None:
    """HTTP status of a GET (None when nothing answers)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


def _ask_app(base: str, question: str, timeout_s: float) -> str:
    """POST the question to the app's /v1/chat/completions; its `coverage` ('' and the error when it failed)."""
    import urllib.request

    body = json.dumps({"model": "toolkit-assistant", "messages": [{"role": "user", "content": question}]}).encode()
    req = urllib.request.Request(f"{base}/v1/chat/completions", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:
        return str(json.loads(resp.read())["toolkit_answer"]["coverage"])


def measure_first_page(env: dict[str, str], cwd: Path, timeout_s: float, question: str = "") -> dict[str, Any]:
    """`toolkit-assistant serve` on a free 127.0.0.1 port: seconds from spawn to its first HTTP 200 of the page,
    to /healthz 200 (the index and models open), and to the answer of a question sent as soon as the page is up
    (it waits for the warm-up inside the app); then stop it. Peak RSS once it has answered."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in env.items() if k != "TOOLKIT_AUTH"}  # the bench asks without a login
    out: dict[str, Any] = {"seconds": None, "ready_s": None, "answer_s": None, "answer_coverage": None,
                           "peak_rss_mb": None, "error": "", "port": port}
    answered: dict[str, Any] = {}

    def ask() -> None:
        try:
            answered["coverage"] = _ask_app(base, question, timeout_s)
            answered["seconds"] = time.perf_counter() - t0
        except Exception as exc:  # noqa: BLE001 - reported in the figures, not raised in a thread
            answered["error"] = f"{type(exc).__name__}: {exc}"

    asker = threading.Thread(target=ask, daemon=True)
    with tempfile.TemporaryFile() as log, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [*cli_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd, start_new_session=True,
        )
        exited = False
        try:
            while time.perf_counter() - t0 < timeout_s:
                pid, _, _ = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    exited = True
                    err.seek(0)
                    out["error"] = f"serve exited before it was ready: {tail(err.read().decode('utf-8', 'replace'))}"
                    break
                if out["seconds"] is None:
                    if _get(f"{base}/") == 200:
                        out["seconds"] = time.perf_counter() - t0
                        if question:
                            asker.start()
                elif out["ready_s"] is None and _get(f"{base}/healthz") == 200:
                    out["ready_s"] = time.perf_counter() - t0
                if out["ready_s"] is not None and (not question or not asker.is_alive()):
                    break
                time.sleep(0.05)
            else:
                out["error"] = f"serve not ready at {base} within {timeout_s:g} s"
            if asker.is_alive():
                asker.join(max(0.0, timeout_s - (time.perf_counter() - t0)))
            out["answer_s"], out["answer_coverage"] = answered.get("seconds"), answered.get("coverage")
            out["error"] = out["error"] or answered.get("error", "")
            out["peak_rss_mb"] = vm_hwm_mb(proc.pid) if not exited else None
        finally:
            if not exited:
                stop(proc)
    return out


def _med(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return round(median(values), 3) if values else None


def _ratio(new: float | None, old: float | None) -> float | None:
    return round(new / old, 3) if new is not None and old else None


def measure_cold(question: str, env: dict[str, str], cwd: Path, repeats: int, timeout_s: float,
                 log: Callable[[str], None]) -> tuple[dict[str, Any], float, float | None]:
    """Cold starts, medians of `repeats`, the new and the old (sentence-transformers) query path interleaved.

    Returns:
        The cold-start figures, the peak RSS of the English `ask` (new path) and of `serve` (new path, answered).
    """
    old_env = {**env, **TORCH_PATH}
    asks: list[dict[str, Any]] = []
    asks_fr: list[dict[str, Any]] = []
    asks_old: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    pages_old: list[dict[str, Any]] = []
    for i in range(repeats):
        log(f"cold start {i + 1}/{repeats}: ask (onnxruntime), ask (sentence-transformers), ask in French")
        asks.append(measure_first_answer(question, env, cwd, timeout_s))
        asks_old.append(measure_first_answer(question, old_env, cwd, timeout_s))
        asks_fr.append(measure_first_answer(FRENCH_QUESTION, env, cwd, timeout_s))
        log(f"cold start {i + 1}/{repeats}: serve (onnxruntime), serve (sentence-transformers)")
        pages.append(measure_first_page(env, cwd, min(timeout_s, 180.0), question))
        pages_old.append(measure_first_page(old_env, cwd, min(timeout_s, 180.0), question))
    ok_pages = [p for p in pages if p["seconds"] is not None]
    new = {"first_answer": round(median(a["seconds"] for a in asks), 3), "first_page": _med(pages, "seconds"),
           "ready": _med(pages, "ready_s"), "first_app_answer": _med(pages, "answer_s")}
    old = {"first_answer": round(median(a["seconds"] for a in asks_old), 3), "first_page": _med(pages_old, "seconds"),
           "ready": _med(pages_old, "ready_s"), "first_app_answer": _med(pages_old, "answer_s"),
           "peak_rss_mb": {"query": round(max(a["peak_rss_mb"] for a in asks_old), 1),
                           "serve": _max_rss(pages_old)}}
    errors = [p["error"] for p in pages + pages_old if p["error"]]
    cold = {
        **new,
        "first_answer_french": round(median(a["seconds"] for a in asks_fr), 3),
        "first_answer_timings_ms": asks[len(asks) // 2]["timings_ms"],
        "first_page_error": "" if ok_pages and not errors else (errors[-1] if errors else "no page"),
        "peak_rss_mb_french": round(max(a["peak_rss_mb"] for a in asks_fr), 1),
        "french_language": asks_fr[0].get("language"),
        "sentence_transformers_path": old,
        "ratios_new_over_old": {key: _ratio(new[key], old[key]) for key in new},
        "runs": repeats,
    }
    return cold, round(max(a["peak_rss_mb"] for a in asks), 1), _max_rss(pages)


def _max_rss(pages: list[dict[str, Any]]) -> float | None:
    served = [p["peak_rss_mb"] for p in pages if p["peak_rss_mb"] is not None]
    return round(max(served), 1) if served else None
