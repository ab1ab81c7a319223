"""Side by side: the embedding models on the whole gold set, each with an index built in the same run."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from toolkit_assistant.evals.cases import GOLD_CASES

MODELS = ("minilm", "e5")


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def model_figures(result: Any, ingest_s: float, chunks: int) -> dict[str, Any]:
    """The comparison row of one model: retrieval, key facts, declines by language, latency, ingest."""
    rows: dict[str, Any] = {"ingest_s": round(ingest_s, 1), "chunks": chunks,
                            "min_relevance": result.min_relevance,
                            "latency_ms_p50": result.summary.get("latency_ms_p50"),
                            "latency_ms_p95": result.summary.get("latency_ms_p95"),
                            "gate_passed": result.passed}
    for name in ("recall_at_5", "key_fact_accuracy", "out_of_scope_declined", "answerable_wrongly_declined",
                 "hallucination_rate", "supported_sentences"):
        m = result.metrics.get(name)
        rows[name] = None if m is None else round(m.score, 3)
    by_lang: dict[str, dict[str, Any]] = {}
    for r in result.cases:
        if r.case.category not in ("answerable", "multilingual", "out_of_scope"):
            continue
        lang = r.case.language or "en"
        row = by_lang.setdefault(lang, {"cases": 0, "recall5": [0, 0], "key_facts": [0, 0],
                                        "declined_ok": [0, 0], "wrongly_declined": [0, 0]})
        row["cases"] += 1
        if r.case.must_refuse:
            row["declined_ok"][1] += 1
            row["declined_ok"][0] += int(r.abstained)
            continue
        row["wrongly_declined"][1] += 1
        row["wrongly_declined"][0] += int(r.abstained)
        if r.case.expected_sections:
            row["recall5"][1] += 1
            row["recall5"][0] += int(any(rank is not None and rank <= 5 for rank in r.section_ranks.values()))
        if r.case.key_facts:
            row["key_facts"][1] += 1
            row["key_facts"][0] += int(not any("key fact" in x for x in r.reasons) and not r.abstained)
    rows["by_language"] = {
        lang: {"cases": v["cases"], **{k: _share(*v[k]) for k in ("recall5", "key_facts", "declined_ok", "wrongly_declined")}}
        for lang, v in sorted(by_lang.items())
    }
    return rows


def compare_models(models: tuple[str, ...], cases_file: Path, corpus: Path, progress: Any = None) -> dict[str, Any]:
    """Build an index per model from `corpus` and run every gold case on it."""
    from toolkit_assistant.config import Settings
    from toolkit_assistant.embeddings import get_embedder
    from toolkit_assistant.evals.cases import load_cases
    from toolkit_assistant.evals.runner import run_eval
    from toolkit_assistant.indexer import run_ingest
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.store import EmbeddedLocation

    cases = [c for c in load_cases(cases_file) if c.category != "poisoned"]
    out: dict[str, Any] = {"cases": len(cases), "models": {}}
    with tempfile.TemporaryDirectory(prefix="toolkit-compare-") as tmp:
        for model in models:
            index_dir = Path(tmp) / model
            settings = Settings(index_dir=index_dir, embedding=model, corpus_dir=corpus)
            embedder = get_embedder(model)
            started = time.perf_counter()
            report = run_ingest([corpus], location=EmbeddedLocation(index_dir), embedder=embedder, index_dir=index_dir,
                                chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap)
            ingest_s = time.perf_counter() - started
            if progress:
                progress(f"{model}: indexed {report.chunks} chunks in {ingest_s:.1f} s; answering {len(cases)} cases")
            assistant = Assistant.from_settings(settings)
            result = run_eval(assistant, cases)
            out["models"][model] = model_figures(result, ingest_s, report.chunks)
    return out


def format_comparison(data: dict[str, Any]) -> str:
    """A table: one column per model."""
    models = list(data["models"])
    keys = ["recall_at_5", "key_fact_accuracy", "out_of_scope_declined", "answerable_wrongly_declined",
            "hallucination_rate", "min_relevance", "latency_ms_p50", "latency_ms_p95", "ingest_s", "chunks", "gate_passed"]
    lines = [f"{'figure (English gold set)':34}" + "".join(f"{m:>14}" for m in models)]
    for k in keys:
        lines.append(f"{k:34}" + "".join(f"{str(data['models'][m].get(k)):>14}" for m in models))
    langs = sorted({lang for m in models for lang in data["models"][m]["by_language"]})
    lines.append("")
    lines.append(f"{'by language: recall@5 / key facts / wrongly declined / off-topic declined':}")
    for lang in langs:
        cells = []
        for m in models:
            row = data["models"][m]["by_language"].get(lang, {})
            cells.append("/".join("-" if row.get(k) is None else f"{row[k]:.2f}"
                                  for k in ("recall5", "key_facts", "wrongly_declined", "declined_ok")))
        lines.append(f"  {lang:6} ({data['models'][models[0]]['by_language'].get(lang, {}).get('cases', 0):>3} cases)"
                     + "".join(f"{c:>26}" for c in cells))
    return "\n".join(lines)


@click.command()
@click.option("--models", default=",".join(MODELS), show_default=True, help="Comma-separated embedding models.")
@click.option("--cases", "cases_file", type=click.Path(path_type=Path, exists=True), default=GOLD_CASES, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def compare_command(ctx: click.Context, models: str, cases_file: Path, as_json: bool) -> None:
    """Compare embedding models on the whole gold set: recall, key facts, declines by language, speed.

    Each model gets a fresh index of the corpus built in this run (its ingest time is measured), then
    answers every gold case with the extractive backend and its calibrated threshold.
    """
    from toolkit_assistant.config import load_settings

    chosen = tuple(m.strip() for m in models.split(",") if m.strip())
    bad = [m for m in chosen if m not in MODELS]
    if bad:
        raise click.UsageError(f"Unknown model(s) {', '.join(bad)}: choose from {', '.join(MODELS)}")
    settings = load_settings()
    data = compare_models(chosen, cases_file, settings.corpus_dir,
                          progress=None if as_json else (lambda m: click.echo(f"  {m}", err=True)))
    click.echo(json.dumps(data, indent=2) if as_json else format_comparison(data))
