"""The eval report's PNG charts: gated metrics against their targets, recall by document, relevance."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit_assistant.evals.cases import ANSWER_WANTED
from toolkit_assistant.evals.gate import GATE_K
from toolkit_assistant.evals.tables import fmt

if TYPE_CHECKING:
    from toolkit_assistant.evals.results import EvalResult


def recall_by_document(result: EvalResult, k: int = GATE_K) -> dict[str, tuple[int, int]]:
    """(cases recalled in the top k, cases) for each document, a case counting for its first expected section's document."""
    out: dict[str, list[int]] = {}
    for r in result.cases:
        if not r.section_ranks or r.case.category == "multilingual":  # as the gated recall_at_5
            continue
        row = out.setdefault(next(iter(r.section_ranks)).split(":", 1)[0], [0, 0])
        row[0] += int(any(rank is not None and rank <= k for rank in r.section_ranks.values()))
        row[1] += 1
    return {d: (a, b) for d, (a, b) in sorted(out.items())}


def _relevance_groups(result: EvalResult) -> tuple[list[float], list[float]]:
    answerable = [r.relevance for r in result.cases
                  if r.relevance is not None and r.case.category in ANSWER_WANTED and not r.case.must_refuse]
    refuse = [r.relevance for r in result.cases
              if r.relevance is not None and r.case.must_refuse and r.case.category != "poisoned"]
    return [float(x) for x in answerable if x is not None], [float(x) for x in refuse if x is not None]


def write_charts(result: EvalResult, out_dir: Path) -> dict[str, str]:
    """The report's PNG charts (matplotlib, Agg backend); file names by chart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files: dict[str, str] = {}
    # 1. gated metrics against their targets
    rows = [g for g in result.gate]
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(rows), 3) + 1.2))
    names = [g.metric for g in rows]
    scores = [0.0 if math.isnan(g.score) else g.score for g in rows]
    colours = ["#9e9e9e" if g.passed is None else "#2e7d32" if g.passed else "#c62828" for g in rows]
    ax.barh(names, scores, color=colours)
    for i, g in enumerate(rows):
        ax.plot([g.target, g.target], [i - 0.4, i + 0.4], color="black", linewidth=2)
        ax.text(1.03, i, f"{fmt(g.score)} ({g.op} {g.target:g})", va="center", fontsize=8)
    ax.set_xlim(0, 1.3)
    ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.invert_yaxis()
    ax.set_xlabel("score (black mark: target)")
    ax.set_title(f"Gated metrics, backend {result.backend}")
    fig.tight_layout()
    fig.savefig(out_dir / "metrics.png", dpi=100)
    plt.close(fig)
    files["metrics"] = "metrics.png"
    # 2. recall@5 per document
    per_doc = recall_by_document(result)
    fig, ax = plt.subplots(figsize=(8, 0.4 * max(len(per_doc), 3) + 1.2))
    if per_doc:
        docs = list(per_doc)
        vals = [a / b for a, b in per_doc.values()]
        ax.barh(docs, vals, color=["#2e7d32" if v >= 0.95 else "#ef6c00" for v in vals])
        for i, (a, b) in enumerate(per_doc.values()):
            ax.text(1.03, i, f"{a}/{b}", va="center", fontsize=8)
        ax.axvline(0.95, color="black", linestyle="--", linewidth=1)
        ax.invert_yaxis()
    ax.set_xlim(0, 1.15)
    ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_xlabel(f"recall@{GATE_K} of English cases, by their first expected section's document (dashed: target)")
    ax.set_title("Retrieval recall by document")
    fig.tight_layout()
    fig.savefig(out_dir / "recall_by_document.png", dpi=100)
    plt.close(fig)
    files["recall_by_document"] = "recall_by_document.png"
    # 3. relevance of answerable vs must-refuse cases, with the threshold
    answerable, refuse = _relevance_groups(result)
    fig, ax = plt.subplots(figsize=(8, 4))
    bins = [i / 40 for i in range(41)]
    if answerable:
        ax.hist(answerable, bins=bins, alpha=0.6, color="#1565c0", label=f"must answer ({len(answerable)})")
    if refuse:
        ax.hist(refuse, bins=bins, alpha=0.6, color="#c62828", label=f"must decline ({len(refuse)})")
    ax.axvline(result.min_relevance, color="black", linestyle="--", label=f"min_relevance = {result.min_relevance:g}")
    ax.set_xlabel("answer relevance score")
    ax.set_ylabel("cases")
    ax.set_title("Relevance: answerable vs out-of-scope, with the abstention threshold")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "relevance.png", dpi=100)
    plt.close(fig)
    files["relevance"] = "relevance.png"
    return files
