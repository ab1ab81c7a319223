"""The Evaluate tab's helpers: which gold cases to run, progress messages, the run's result as a dict and as
HTML (the metrics against their targets, the failing cases), labelled in the interface language."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from toolkit_assistant.app.i18n import ui_text
from toolkit_assistant.app.render import esc
from toolkit_assistant.evals.cases import CATEGORIES, GOLD_CASES

CASE_CATEGORIES = [c for c in CATEGORIES if c != "poisoned"]  # poisoned cases need the hostile index


def gold_case_index(path: Path = GOLD_CASES) -> tuple[list[str], list[str]]:
    """(categories, ids) of the gold cases, read straight from the JSONL file (empty if missing)."""
    cats: dict[str, None] = {}
    ids: list[str] = []
    if not path.is_file():
        return [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            if rec.get("category"):
                cats.setdefault(str(rec["category"]), None)
            if rec.get("id"):
                ids.append(str(rec["id"]))
    return list(cats), ids


def _field(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def select_cases(cases: list[Any], categories: Sequence[str], ids: Sequence[str]) -> list[Any]:
    """The cases of the given categories and/or ids (all cases when both are empty)."""
    if not categories and not ids:
        return list(cases)
    return [c for c in cases if str(_field(c, "category", "")) in categories or str(_field(c, "id", "")) in ids]


def progress_fraction(message: str) -> float | None:
    """The share of work done that a progress message such as 'answered 25/212 cases' names (scoring: 0.95)."""
    m = re.search(r"(\d+)\s*/\s*(\d+)", message)
    if m and int(m.group(2)):
        return min(1.0, int(m.group(1)) / int(m.group(2))) * 0.9
    return 0.95 if "scor" in message.lower() else None


def progress_adapter(progress: Any) -> Callable[[str], None]:
    """A run_eval progress callback (one message a call) that moves a gr.Progress bar."""

    def update(message: str) -> None:
        try:
            progress(progress_fraction(str(message)), desc=str(message))
        except Exception:  # noqa: BLE001 - progress display must never break a run
            pass

    return update


def result_data(result: Any, folder: Path) -> dict[str, Any]:
    """The eval result as a dict: results.json when written, else the result's own to_dict()."""
    path = folder / "results.json"
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                return data
        except (OSError, json.JSONDecodeError):
            pass
    if hasattr(result, "to_dict"):
        return dict(result.to_dict())
    return {"metrics": _field(result, "metrics", {}), "failures": _field(result, "failures", [])}


def _num_text(v: Any) -> str:
    """A figure as text: three decimals for a float, "n/a" for none (not escaped)."""
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def _num(v: Any) -> str:
    """A figure as HTML."""
    return esc(_num_text(v))


MAX_FAILURES_SHOWN = 200


def _gate_head(gate: dict[str, Any], failing: int, total: int, lang: str) -> str:
    """The gate's verdict line (and, when it passed beside failing cases, what it covers)."""
    if not gate:
        return ""
    label = f"<strong>{esc(ui_text('gate_label', lang))} "
    if not gate.get("passed"):
        return (f'<p>{label}<span class="ta-fail">{esc(ui_text("gate_failed", lang))}</span></strong> '
                f"{esc(ui_text('gate_failed_why', lang))}</p>")
    if failing:
        scope = ui_text("gate_scope", lang).format(failed=failing, total=total)
        return (f'<p>{label}<span class="ta-warn">{esc(ui_text("gate_passed_with", lang).format(n=failing))}'
                f'</span></strong></p><p class="ta-notice ta-gate-scope">{esc(scope)}</p>')
    return f'<p>{label}<span class="ta-pass">{esc(ui_text("gate_passed", lang))}</span></strong></p>'


def render_eval(data: dict[str, Any], lang: str = "en") -> tuple[str, str]:
    """(metrics table HTML, failing cases HTML) from results.json (see toolkit_assistant.evals.results.EvalResult.to_dict)."""
    metrics: dict[str, Any] = data.get("metrics") or {}
    gate = data.get("gate") or {}
    gated = {str(r.get("metric")): r for r in gate.get("rows", []) if isinstance(r, dict)}
    rows = []
    for name in list(gated) + [n for n in metrics if n not in gated]:
        m = metrics.get(name) or {}
        g = gated.get(name)
        score = m.get("score", g.get("score") if g else None)
        counts = f"{_num(m.get('numerator'))} / {_num(m.get('denominator'))}" if "denominator" in m else ""
        target = f"{esc(g.get('op', ''))} {_num(g.get('target'))}" if g else ""
        verdict = ""
        if g is not None:
            verdict = ("n/a" if g.get("passed") is None else '<span class="ta-pass">pass</span>' if g.get("passed")
                       else '<span class="ta-fail">FAIL</span>')
        rows.append(f"<tr><td>{esc(name)}</td><td>{_num(score)}</td><td>{counts}</td><td>{target}</td>"
                    f"<td>{verdict}</td></tr>")
    failing = [c for c in data.get("cases", []) if isinstance(c, dict) and c.get("passed") is False]
    total = len([c for c in data.get("cases", []) if isinstance(c, dict)])
    head = "".join(f"<th>{esc(h)}</th>" for h in ui_text("eval_columns", lang).split("|"))
    table = _gate_head(gate, len(failing), total, lang) + (
        f'<table class="ta-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        if rows else f'<p class="ta-empty">{esc(ui_text("eval_no_metrics", lang))}</p>')
    groups: dict[str, list[dict[str, Any]]] = {}
    for c in failing[:MAX_FAILURES_SHOWN]:
        case_lang = str(c.get("language") or "")
        key = str(c.get("category", "")) + (f" ({case_lang})" if case_lang and case_lang != "en" else "")
        groups.setdefault(key, []).append(c)
    columns = "".join(f"<th>{esc(h)}</th>" for h in ui_text("failing_columns", lang).split("|"))
    blocks = []
    for key, cases in groups.items():
        items = []
        for c in cases:
            reasons = c.get("reasons") or ([c["error"]] if c.get("error") else [])
            answer = c.get("answer")
            text = str(answer.get("answer", "") if isinstance(answer, dict) else c.get("answer_text") or "")
            short = text if len(text) <= 160 else text[:157].rstrip() + "..."
            full = (f"<details><summary>{esc(short)}</summary><div class='ta-chunk'>{esc(text)}</div></details>"
                    if len(text) > 160 else esc(text))
            items.append(f"<tr><td><code>{esc(c.get('id', ''))}</code></td><td>{esc(c.get('question', ''))}</td>"
                         f"<td>{esc('; '.join(map(str, reasons)))}</td><td>{full}</td></tr>")
        blocks.append(f'<details class="ta-fail-group"><summary><strong>{esc(key)}</strong>: '
                      f"{esc(ui_text('failing_count', lang).format(n=len(cases)))}</summary>"
                      f'<table class="ta-table"><thead><tr>{columns}</tr></thead><tbody>{"".join(items)}</tbody>'
                      "</table></details>")
    more = (f"<p>{esc(ui_text('failing_more', lang).format(n=len(failing) - MAX_FAILURES_SHOWN))}</p>"
            if len(failing) > MAX_FAILURES_SHOWN else "")
    fails = (f"<h3>{esc(ui_text('failing_heading', lang).format(n=len(failing)))}</h3>"
             f"<p>{esc(ui_text('failing_hint', lang))}</p>{''.join(blocks)}{more}") if blocks else (
        f'<p class="ta-pass">{esc(ui_text("no_failing", lang))}</p>')
    return table, fails


def render_explain(trace: dict[str, Any] | None, lang: str = "en") -> str:
    """Why the assistant answered, answered in part or declined (the trace of `ask --explain`), as HTML: the
    decision and its evidence, the candidate passages with their scores, the sentences considered."""
    if not trace:
        return ""
    decision = trace.get("decision")
    if decision:
        ev = decision.get("evidence") or {}
        facts = [
            (ui_text("explain_best_sim", lang), _num_text(ev.get("best_sentence_similarity"))),
            (ui_text("explain_words_found", lang), _num_text(ev.get("question_words_found"))),
            (ui_text("explain_agree", lang), str(ev.get("dense_and_bm25_agree"))),
            (ui_text("explain_missing", lang), ", ".join(ev.get("missing") or ()) or "-"),
            (ui_text("explain_missing_kind", lang), ev.get("missing_kind") or "-"),
            (ui_text("explain_absence", lang), str(ev.get("best_sentence_states_absence"))),
            (ui_text("explain_by_meaning", lang), ", ".join(ev.get("found_by_meaning") or ()) or "-"),
        ]
        head = (f"<p class='ta-decision' data-coverage='{esc(decision.get('coverage', ''))}'><strong>"
                f"{esc(ui_text('explain_decision', lang))}: {esc(decision.get('coverage', ''))}</strong> - "
                f"{esc(decision.get('reason', ''))}</p>"
                + "<ul>" + "".join(f"<li>{esc(k)}: {esc(v)}</li>" for k, v in facts) + "</ul>")
    else:
        head = f"<p class='ta-decision' data-coverage='none'><strong>{esc(ui_text('explain_nothing', lang))}</strong></p>"
    if trace.get("english_words"):  # a question in another language: the words its glossary gave it (gloss.py)
        head += (f"<p class='ta-english-words'>{esc(ui_text('explain_english_words', lang))}: "
                 f"{esc(', '.join(trace['english_words']))}</p>")
    hit_cols = "".join(f"<th>{esc(h)}</th>" for h in ui_text("explain_hit_columns", lang).split("|"))
    hits = "".join(
        f"<tr><td>{_num(h.get('rank'))}</td><td><code>{esc(h.get('chunk_id', ''))}</code></td>"
        f"<td>{esc(h.get('section', ''))}</td><td>{_num(h.get('fused'))}</td><td>{_num(h.get('dense'))}</td>"
        f"<td>{_num(h.get('bm25'))}</td></tr>"
        for h in trace.get("hits") or ()
    )
    sent_cols = "".join(f"<th>{esc(h)}</th>" for h in ui_text("explain_sentence_columns", lang).split("|"))
    sents = "".join(
        f"<tr class='{'ta-chosen' if s.get('chosen') else ''}'><td>{'✓' if s.get('chosen') else ''}</td>"
        f"<td>{_num(s.get('score'))}</td><td>{_num(s.get('similarity'))}</td><td>{esc(s.get('text', ''))}</td></tr>"
        for s in trace.get("sentences") or ()
    )
    return (f"<details class='ta-explain' open><summary>{esc(ui_text('explain_heading', lang))}</summary>{head}"
            f"<h4>{esc(ui_text('explain_hits', lang))}</h4>"
            f"<table class='ta-table'><thead><tr>{hit_cols}</tr></thead><tbody>{hits}</tbody></table>"
            f"<h4>{esc(ui_text('explain_sentences', lang))}</h4>"
            f"<table class='ta-table'><thead><tr>{sent_cols}</tr></thead><tbody>{sents}</tbody></table></details>")
