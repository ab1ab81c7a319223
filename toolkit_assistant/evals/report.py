"""The eval report: report.html (every text escaped), results.json and the charts, in one folder."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit_assistant.evals.charts import write_charts
from toolkit_assistant.evals.tables import fmt, fmt_counts

if TYPE_CHECKING:
    from toolkit_assistant.evals.results import EvalResult


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;padding:0 1.5em;max-width:70em;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.pass{color:#2e7d32;font-weight:bold}.fail{color:#c62828;font-weight:bold}.na{color:#777}
.case{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}.case h3{margin:.2em 0}
.quote{color:#444;font-style:italic}img{max-width:100%;display:block;margin:1em 0}code{background:#f6f6f6}
"""


def _status(passed: bool | None) -> str:
    if passed is None:
        return '<span class="na">n/a</span>'
    return '<span class="pass">pass</span>' if passed else '<span class="fail">FAIL</span>'


def render_html(result: EvalResult, charts: dict[str, str]) -> str:
    """The report page: gate, metrics by split, charts (relative PNG links), failing cases; all text escaped."""
    from html import escape as e

    s = result.summary
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>toolkit-assistant eval report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>toolkit-assistant eval report</h1>",
        f"<p>Backend <code>{e(result.backend)}</code>; abstention threshold min_relevance = {result.min_relevance:g}; "
        f"{s['cases']} cases, {s['passed']} passed, {s['errors']} errors; {s['seconds']} s. "
        f"Gate: {_status(result.passed)}</p>",
        "<h2>Gate</h2><table><tr><th>metric</th><th>score</th><th>target</th><th>result</th><th>what it measures</th></tr>",
    ]
    for g in result.gate:
        parts.append(
            f"<tr><td>{e(g.metric)}</td><td>{fmt(g.score)}</td><td>{e(g.op)} {g.target:g}</td>"
            f"<td>{_status(g.passed)}</td><td>{e(g.description)}</td></tr>"
        )
    parts.append("</table><h2>All metrics, by split</h2>")
    parts.append("<table><tr><th>metric</th><th>all</th><th>counts</th>"
                 + "".join(f"<th>{e(sp)}</th>" for sp in result.splits) + "</tr>")
    for name, m in result.metrics.items():
        cells = "".join(f"<td>{fmt(result.splits[sp][name].score)}</td>" for sp in result.splits)
        parts.append(f"<tr><td>{e(name)}</td><td>{fmt(m.score)}</td><td>{fmt_counts(m)}</td>{cells}</tr>")
    parts.append("</table>")
    parts.append(
        f"<p>Verification removed {s['verification_removed']} of {s['verification_sentences']} sentences "
        f"({s['answers_with_removals']} answers affected). Latency per answer: p50 {s['latency_ms_p50']} ms, "
        f"p95 {s['latency_ms_p95']} ms. Backends used: {e(json.dumps(s['backends_used']))}.</p>"
    )
    titles = {"metrics": "Gated metrics against their targets", "recall_by_document": "Recall@5 by document",
              "relevance": "Relevance scores and the abstention threshold"}
    parts.append("<h2>Charts</h2>")
    for key, file in charts.items():
        parts.append(f"<h3>{e(titles.get(key, key))}</h3><img src='{e(file)}' alt='{e(titles.get(key, key))}'>")
    if result.warnings:
        parts.append("<h2>Warnings</h2><ul>" + "".join(f"<li>{e(w)}</li>" for w in result.warnings) + "</ul>")
    failing = result.failing
    parts.append(f"<h2>Failing cases ({len(failing)})</h2>")
    for r in failing:
        c = r.case
        parts.append(f"<div class='case'><h3>{e(c.id)} <small>({e(c.category)}, {e(c.split)}, {e(c.language)})</small></h3>")
        parts.append(f"<p><b>Question:</b> {e(c.question)}</p>")
        expected = []
        if c.must_refuse:
            expected.append("decline")
        if c.expected_sections:
            expected.append("sections " + ", ".join(c.expected_sections))
        if c.key_facts:
            expected.append("key facts " + ", ".join(f"/{k}/" for k in c.key_facts))
        if c.forbidden:
            expected.append("must not match " + ", ".join(f"/{k}/" for k in c.forbidden))
        parts.append(f"<p><b>Expected:</b> {e('; '.join(expected) or '-')}</p>")
        if c.reference:
            parts.append(f"<p><b>Reference:</b> {e(c.reference)}</p>")
        got = "(error)" if r.answer is None else r.answer.get("answer", "")
        rel = "" if r.relevance is None else f" (relevance {r.relevance:.3f}{', declined' if r.abstained else ''})"
        parts.append(f"<p><b>Got{e(rel)}:</b> {e(got)}</p>")
        cits = (r.answer or {}).get("citations", [])
        if cits:
            parts.append("<ol>" + "".join(
                f"<li value='{int(x['n'])}'><code>{e(x['chunk_id'])}</code> <span class='quote'>“{e(x['quote'])}”</span></li>"
                for x in cits) + "</ol>")
        ranks = ", ".join(f"{k}: {v if v is not None else '-'}" for k, v in r.section_ranks.items())
        if ranks:
            parts.append(f"<p><b>Ranks of expected sections:</b> {e(ranks)}</p>")
        parts.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in r.reasons) + "</ul></div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(result: EvalResult, out_dir: Path) -> Path:
    """Write report.html, results.json and the PNG charts into out_dir; return the report's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = write_charts(result, out_dir)
    (out_dir / "results.json").write_text(
        json.dumps(result.to_dict(full=True), indent=2, ensure_ascii=False, default=json_default), encoding="utf-8"
    )
    page = out_dir / "report.html"
    page.write_text(render_html(result, charts), encoding="utf-8")
    return page


def json_default(value: Any) -> Any:
    """json.dumps default: NaN becomes null, numpy scalars their Python value."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")
