"""`toolkit-assistant bench`: every measurement, in the order the package docstring gives, then the output."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from toolkit_assistant.bench import BenchError
from toolkit_assistant.bench.baselines import measure_baselines, ratios
from toolkit_assistant.bench.ingest import measure_ingest
from toolkit_assistant.bench.latency import measure_latency, profile_queries
from toolkit_assistant.bench.processes import child_env, exit_on_sigterm
from toolkit_assistant.bench.questions import BenchCase, load_cases
from toolkit_assistant.bench.report import check_targets, environment, finite, format_table, plot
from toolkit_assistant.bench.scale import SCALE_NOTE, measure_scale
from toolkit_assistant.bench.startup import measure_cold
from toolkit_assistant.config import apply_offline_env
from toolkit_assistant.evals.cases import EVALS_DIR, GOLD_CASES
from toolkit_assistant.wiring import settings_or_fail


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
              help="Longest wait for any child process (s); the PDF ingest may take 6 times as long.")
@click.option("--pdf-pages", "pdf_pages", type=click.IntRange(0, 100_000), default=0, show_default=True,
              help="Also ingest this many PDF pages into a fresh index (pages/s, peak RSS): generated reports, "
                   "or the PDFs of --pdf. 0 leaves it out; the design target is 1000 pages in < 10 min, < 2 GB.")
@click.option("--pdf", "pdfs", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Real PDFs (files or folders, repeatable) for --pdf-pages, taken in order.")
def bench_command(as_json: bool, scale: str, repeats: int, out_dir: Path | None, questions_file: Path | None,
                  cold_repeats: int, skip: tuple[str, ...], profile_n: int, timeout_s: float, pdf_pages: int,
                  pdfs: tuple[Path, ...]) -> None:
    """Measure speed, memory and scale against baselines, on this machine."""
    factors = parse_scale(scale)
    settings = settings_or_fail()
    out = out_dir or (EVALS_DIR / "results" / "bench")
    out.mkdir(parents=True, exist_ok=True)
    cases, source = load_cases(questions_file, GOLD_CASES)
    corpus = settings.corpus_dir
    if not corpus.exists():
        raise BenchError(f"The corpus folder {corpus} does not exist (set TOOLKIT_CORPUS_DIR)")

    def log(message: str) -> None:
        click.echo(f"[bench] {message}", err=True)

    env_info = environment()
    work = Path(tempfile.mkdtemp(prefix="toolkit-bench-"))
    previous = exit_on_sigterm()
    try:
        results = _run(settings, cases, source, corpus, factors, repeats, cold_repeats, set(skip), profile_n,
                       timeout_s, work, out, log)
        results["pdf_ingest"] = None
        if pdf_pages:
            from toolkit_assistant.bench.pdfpages import measure_pdf_ingest

            log(f"PDF ingest: {pdf_pages} pages " + (f"of {', '.join(map(str, pdfs))}" if pdfs else "of generated reports"))
            results["pdf_ingest"] = measure_pdf_ingest(child_env(work / "index", corpus, work), Path.cwd(), work,
                                                       corpus, pdf_pages, list(pdfs), 6 * timeout_s)
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
    """Every measurement, in the order the package docstring gives."""
    index_dir = work / "index"
    env = child_env(index_dir, corpus, work)
    cwd = Path.cwd()
    notes = [SCALE_NOTE,
             "ingest.seconds is spawn to exit of `toolkit-assistant ingest` (imports and model load included); "
             "ingest.chunks_per_s uses the ingest's own time (ingest.in_run_s)",
             "bm25_only latency includes the query embedding HybridRetriever uses to score its hits",
             "latency_ms is Answer.timings_ms.total of warm in-process asks; first_pass is the first pass over "
             "the questions after the model and index are loaded (sentence-vector cache empty)",
             "recall_at_5: share of the English cases with expected sections that have a top-5 chunk whose id starts "
             "with one of them + ':' (as toolkit_assistant.evals.metrics.recall_at_k); at scale a replica's chunk "
             "counts as its original",
             "latency_ms.cpu is the process CPU time of each ask (all threads): steadier than wall time when "
             "other work shares the cores; compare load_average_start/end",
             "cold_start_s: first_answer is `ask --json` spawn to exit; first_page is `serve` spawn to the first HTTP "
             "200 of its page (the index opens after it); ready is spawn to /healthz 200; first_app_answer is spawn "
             "to the answer of a question posted to /v1/chat/completions as soon as the page is up (it waits for the "
             "warm-up); sentence_transformers_path is the same with TOOLKIT_ONNX=0, interleaved with the default "
             "runs; ratios_new_over_old divides the medians"]
    log(f"ingest {corpus} from scratch into {index_dir}")
    ingest = measure_ingest(env, cwd, corpus, timeout_s)
    rss: dict[str, Any] = {"ingest": ingest["peak_rss_mb"], "query": None, "serve": None}
    cold: dict[str, Any] = {"first_answer": None, "first_page": None, "ready": None, "first_app_answer": None,
                            "first_answer_french": None, "first_answer_timings_ms": {}, "first_page_error": "skipped",
                            "sentence_transformers_path": None, "ratios_new_over_old": None}
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
