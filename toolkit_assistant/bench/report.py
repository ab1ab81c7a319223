"""The benchmark's output: targets checked, the machine described, bench.png, and the plain-text table."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

TARGETS: tuple[tuple[str, str, float], ...] = (
    ("latency_ms.p50", "<=", 150.0),
    ("latency_ms.p95", "<=", 400.0),
    ("cold_start_s.first_answer", "<=", 2.5),
    ("cold_start_s.first_page", "<=", 4.0),
    ("cold_start_s.ratios_new_over_old.first_answer", "<=", 0.35),
    ("peak_rss_mb.query", "<=", 350.0),
    ("ingest.seconds", "<=", 60.0),
    ("baselines.ours_hybrid.recall_at_5", ">=", 0.95),
    ("pdf_ingest.seconds_per_1000_pages", "<=", 600.0),  # --pdf-pages (DESIGN.md: 1,000 PDF pages < 10 min)
    ("pdf_ingest.peak_rss_mb", "<=", 2000.0),  # the peak grows with the pages: meaningful at --pdf-pages 1000
)


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
        f"{'  the same in French (e5 index)':44} {_fmt(cold.get('first_answer_french')):>12}",
        f"{'cold start to first page / ready / answer (s)':44} {_fmt(cold['first_page'])} / "
        f"{_fmt(cold.get('ready'))} / {_fmt(cold.get('first_app_answer'))}",
    ]
    old, ratio = cold.get("sentence_transformers_path") or {}, cold.get("ratios_new_over_old") or {}
    if old:
        lines += [
            f"{'  sentence-transformers path: answer (s)':44} {_fmt(old['first_answer']):>12}  "
            f"(new/old x{_fmt(ratio.get('first_answer'))})",
            f"{'  sentence-transformers path: page / ready':44} {_fmt(old['first_page'])} / {_fmt(old['ready'])}  "
            f"(new/old x{_fmt(ratio.get('first_page'))} / x{_fmt(ratio.get('ready'))})",
        ]
    lines += [
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
    pdf = r.get("pdf_ingest")
    if pdf:
        lines += ["", f"PDF ingest: {pdf['pages']} pages in {pdf['files']} files ({pdf['source']}), "
                      f"TOOLKIT_EMBEDDING={pdf['embedding']}",
                  f"{'  process start to exit (s) / pages per s':44} {_fmt(pdf['seconds'])} / {_fmt(pdf['pages_per_s'])}",
                  f"{'  peak RSS (MB) / CPU time (s)':44} {_fmt(pdf['peak_rss_mb'])} / {_fmt(pdf['cpu_s'])}"]
        for ix in pdf["indexes"] or [{"embedding": pdf["embedding"], "timings_s": pdf["timings_s"]}]:
            stages = ", ".join(f"{k.removesuffix('_s')} {_fmt(v)}" for k, v in (ix.get("timings_s") or {}).items())
            lines.append(f"  {ix['embedding']} index (s): {stages}")
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
