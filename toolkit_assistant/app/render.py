"""Pure rendering: answers, sources, session packs, the library and eval results as HTML or Markdown.

Every piece of document text is escaped (HTML, and Markdown in chat messages); links are kept only
when they are http(s). Nothing here needs Gradio, so each function is tested on its own.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit_assistant.app.i18n import ui_text
from toolkit_assistant.session.markdown import clock, md_text
from toolkit_assistant.session.pack import section_label

if TYPE_CHECKING:
    from toolkit_assistant.session.pack import SessionPack
    from toolkit_assistant.types import Answer, Citation

# The app's stylesheet: the classes the functions below write (passed to Blocks.launch).
CSS = """
.ta-intro {font-size: 0.95rem; margin: 0 0 .4rem 0; color: var(--body-text-color); opacity: .8;}
.ta-sources {display: flex; flex-direction: column; gap: .75rem;}
.ta-source {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6rem .75rem;
  background: var(--background-fill-secondary);}
.ta-source-head {font-weight: 600; margin-bottom: .2rem;}
.ta-n {display: inline-block; min-width: 2em; color: var(--color-accent);}
.ta-meta {font-size: .85rem; color: var(--body-text-color-subdued); margin-bottom: .35rem;}
.ta-chunk {font-size: .9rem; line-height: 1.45; margin: 0; padding: .4rem .6rem; white-space: pre-wrap;
  border-left: 3px solid var(--border-color-accent); background: var(--background-fill-primary);}
.ta-chunk mark {background: #fde68a; color: #111; padding: 0 .1em;}
.ta-status {border-radius: 4px; padding: 0 .35em; font-size: .8rem; font-weight: 600; color: #fff;}
.ta-status-draft {background: #b45309;} .ta-status-final {background: #15803d;}
.ta-status-summary {background: #1d4ed8;} .ta-status-other {background: #6b7280;}
.ta-declined {border: 1px solid #b45309; border-radius: 8px; padding: .6rem .75rem;}
.ta-notice {border-left: 4px solid #b45309; padding: .3rem .6rem; margin-bottom: .5rem;
  background: var(--background-fill-secondary);}
.ta-error {border-left: 4px solid #b91c1c; padding: .3rem .6rem; background: var(--background-fill-secondary);}
.ta-empty {color: var(--body-text-color-subdued);}
.ta-table {border-collapse: collapse; width: 100%; font-size: .9rem;}
.ta-table th, .ta-table td {border-bottom: 1px solid var(--border-color-primary); padding: .3rem .5rem;
  text-align: left; vertical-align: top;}
.ta-pass {color: #15803d; font-weight: 600;} .ta-fail {color: #b91c1c; font-weight: 600;}
.ta-pack h2 {margin-top: 1.1rem;} .ta-pack blockquote {margin: .2rem 0 .2rem 1rem;}
.ta-pack .ta-ref {font-size: .85rem;}
"""
STATUS_HELP = {
    "draft": "a draft: the final text may differ",
    "final": "the final, adopted text",
    "summary": "a study summary written for this project, not the official text",
}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")


def esc(text: object) -> str:
    """HTML-escape any value (None becomes an empty string)."""
    return html.escape("" if text is None else str(text), quote=True)


def md_escape(text: str) -> str:
    """Text that renders literally in Markdown: punctuation backslash-escaped, then HTML-escaped."""
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text), quote=False)


def safe_url(url: str) -> str:
    """The URL if it is http(s), else an empty string (no javascript: or data: links)."""
    url = (url or "").strip()
    return url if re.match(r"^https?://[^\s<>\"']+$", url) else ""


def useful_topics(answer: Answer) -> list[str]:
    """The answer's nearest topics, without bibliography sections ('Sources (...)')."""
    return [t for t in answer.nearest_topics if not re.match(r"^(sources|references)\b", t.strip(), re.IGNORECASE)]


def highlight(chunk_text: str, quote: str) -> str:
    """The chunk text, HTML-escaped, with the quoted passage wrapped in <mark>."""
    at = chunk_text.find(quote) if quote else -1
    if at < 0:
        return esc(chunk_text)
    end = at + len(quote)
    return f"{esc(chunk_text[:at])}<mark>{esc(quote)}</mark>{esc(chunk_text[end:])}"


def status_badge(status: str) -> str:
    """A coloured badge for a document's status (draft / final / summary)."""
    key = status if status in STATUS_HELP else "other"
    tip = STATUS_HELP.get(status, "status as given by the document")
    return f'<span class="ta-status ta-status-{key}" title="{esc(tip)}">{esc(status or "unknown")}</span>'


def render_citation(c: Citation) -> str:
    """One citation card: title, section, page, year, status, link, and the highlighted passage."""
    ch = c.chunk
    url = safe_url(ch.source_url)
    link = f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">source</a>' if url else "no link"
    meta = " · ".join([
        esc(section_label(ch.section, ch.section_title)),
        f"page {esc(ch.page)}" if ch.page else "no page (Markdown)",
        esc(ch.year or "year unknown"),
        status_badge(ch.status),
        link,
        f"<code>{esc(ch.id)}</code>",
    ])
    return (
        f'<div class="ta-source" id="source-{c.n}">'
        f'<div class="ta-source-head"><span class="ta-n">[{c.n}]</span>{esc(ch.title)}</div>'
        f'<div class="ta-meta">{meta}</div>'
        f'<blockquote class="ta-chunk">{highlight(ch.text, c.quote)}</blockquote></div>'
    )


def render_sources(answer: Answer | None, *, empty: str | None = None) -> str:
    """The sources panel for an answer: notices, then a card per citation (or the decline).

    Args:
        answer: the answer, or None before the first question.
        empty: the text shown when there is no answer; trusted markup (an i18n key's marker), not escaped.
    """
    if answer is None:
        text = empty if empty is not None else esc(ui_text("sources_empty"))
        return f'<div class="ta-sources"><p class="ta-empty">{text}</p></div>'
    parts = [f'<div class="ta-notice">{esc(n)}</div>' for n in answer.notices]
    if answer.abstained:
        topics = "".join(f"<li>{esc(t)}</li>" for t in useful_topics(answer))
        parts.append(
            '<div class="ta-declined"><strong>The materials do not cover this question, so no answer is given.'
            "</strong>"
            + (f"<p>Nearest topics they do cover:</p><ul>{topics}</ul>" if topics else "")
            + "</div>"
        )
    parts += [render_citation(c) for c in answer.citations]
    return '<div class="ta-sources">' + "".join(parts) + "</div>"


def render_error(message: str) -> str:
    """An error box, escaped."""
    return f'<div class="ta-error">{esc(message)}</div>'


def chat_text(answer: Answer, asked: str, effective: str) -> str:
    """The assistant's chat message: answer text (escaped for Markdown), decline, notices."""
    lines: list[str] = []
    if answer.abstained:
        lines.append("**The materials do not cover this question, so no answer is given.**")
        if useful_topics(answer):
            lines.append("Nearest topics they do cover: " + "; ".join(md_escape(t) for t in useful_topics(answer)))
    else:
        lines.append(md_escape(answer.text))
    for notice in answer.notices:
        lines.append(f"_Note: {md_escape(notice)}_")
    if effective != asked:
        lines.append(f"_Searched as: {md_escape(effective)}_")
    return "\n\n".join(lines)


def draft_message(draft: str, lang: str = "en") -> str:
    """The chat message for a model's draft while it streams: an 'unverified' marker, then the raw text escaped."""
    return f"_{md_escape(ui_text('draft_marker', lang))}_\n\n{md_escape(draft)}"


def render_checking(lang: str = "en") -> str:
    """The sources panel while a draft streams: a notice that its sentences are still to be checked."""
    notice = esc(ui_text("sources_checking", lang))
    return f'<div class="ta-sources"><div class="ta-notice ta-checking">{notice}</div></div>'


def answer_markdown(answer: Answer, asked: str | None = None) -> str:
    """An answer with its citations as a Markdown document (for copy and download)."""
    out = ["# Question", "", md_text(asked or answer.question), ""]
    if asked and asked != answer.question:
        out += [f"_Searched as: {md_text(answer.question)}_", ""]
    out += ["## Answer", ""]
    if answer.abstained:
        out.append("The materials do not cover this question, so no answer is given.")
        if useful_topics(answer):
            out += ["", "Nearest topics they do cover:", ""] + [f"- {md_text(t)}" for t in useful_topics(answer)]
    else:
        out.append(md_text(answer.text))
    out += [f"\n> Note: {md_text(n)}" for n in answer.notices]
    if answer.citations:
        out += ["", "## Sources", ""]
    for c in answer.citations:
        ch = c.chunk
        url = safe_url(ch.source_url)
        out.append(
            f"[{c.n}] {md_text(ch.title)}, {md_text(section_label(ch.section, ch.section_title, ch.page))} "
            f"({md_text(ch.year)}, {md_text(ch.status)}); chunk `{ch.id}`" + (f"; <{url}>" if url else "") + "  "
        )
        out += [f"    “{md_text(c.quote)}”", ""]
    out.append(f"_Answered by toolkit-assistant ({answer.backend}) on {time.strftime('%Y-%m-%d %H:%M')}._")
    return "\n".join(out).rstrip() + "\n"


def render_documents(rows: Iterable[dict[str, Any]]) -> str:
    """The library table: one row per document, every value escaped."""
    rows = list(rows)
    if not rows:
        return '<p class="ta-empty">The index holds no documents yet.</p>'
    head = "".join(f"<th>{h}</th>" for h in ("Document", "id", "kind", "year", "status", "language",
                                              "chunks", "sections", "file"))
    body = []
    for r in rows:
        url = safe_url(str(r.get("source_url", "")))
        title = esc(r.get("title", ""))
        title = f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{title}</a>' if url else title
        body.append(
            "<tr>" + "".join(f"<td>{v}</td>" for v in (
                title, f"<code>{esc(r.get('doc_id'))}</code>", esc(r.get("kind")), esc(r.get("year")),
                status_badge(str(r.get("status", ""))), esc(r.get("language")), esc(r.get("chunks")),
                esc(len(r.get("sections", []))), esc(Path(str(r.get("path", ""))).name),
            )) + "</tr>"
        )
    total = sum(int(r.get("chunks", 0)) for r in rows)
    return (f"<p>{len(rows)} documents, {total} chunks.</p>"
            f'<table class="ta-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def _cite(refs: Sequence[int]) -> str:
    return "".join(f'<a href="#pack-ref-{n}">[{n}]</a>' for n in refs)


def render_pack(pack: SessionPack) -> str:
    """A session pack as HTML (every piece of text escaped)."""
    out = [f'<div class="ta-pack"><h1>Session pack: {esc(pack.topic)}</h1>',
           f"<p><strong>Duration:</strong> {pack.minutes} minutes"
           + (f" · <strong>Audience:</strong> {esc(pack.audience)}" if pack.audience else "") + "</p>",
           '<p class="ta-intro">Every factual statement is a quotation from the indexed materials with its [n] '
           "citation; the references give document, section, chunk id and source URL.</p>"]
    out += [f'<div class="ta-notice">{esc(n)}</div>' for n in pack.notices]
    out.append("<h2>Learning objectives</h2><ol>")
    out += [f"<li>{esc(o.text)} {_cite(o.refs)}</li>" for o in pack.objectives]
    out.append(f"</ol><h2>Outline ({pack.minutes} minutes)</h2><table class='ta-table'><thead><tr><th>Time</th>"
               "<th>Minutes</th><th>Part</th><th>What happens</th><th>Sources</th></tr></thead><tbody>")
    for it in pack.outline:
        out.append(f"<tr><td>{clock(it.start)}–{clock(it.start + it.minutes)}</td><td>{it.minutes}</td>"
                   f"<td>{esc(it.title)}</td><td>{esc(it.detail)}</td><td>{_cite(it.refs)}</td></tr>")
    out.append("</tbody></table><h2>Key points</h2>")
    for theme in pack.themes:
        out.append(f"<h3>{esc(theme.heading)}</h3><ul>")
        out += [f"<li>“{esc(p.text)}” {_cite(p.refs)}</li>" for p in theme.points]
        out.append("</ul>")
    out.append("<h2>Cases to present</h2>")
    if not pack.cases:
        out.append('<p class="ta-empty">No case document in the index matches this topic.</p>')
    for case in pack.cases:
        out.append(f"<h3>{esc(case.title)}</h3><p><em>From: {esc(case.doc_title)}</em></p><ul>")
        out += [f"<li>“{esc(p.text)}” {_cite(p.refs)}</li>" for p in case.points]
        out.append("</ul>")
    out.append("<h2>Discussion questions</h2><ol>")
    out += [f"<li>{esc(q)}</li>" for q in pack.questions]
    out.append("</ol><h2>Further reading</h2><ul>")
    for r in pack.reading:
        url = safe_url(r.source_url)
        link = f' — <a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>' if url else ""
        out.append(f"<li>{esc(r.title)} ({esc(r.year)}, {status_badge(r.status)}), {esc(r.where)}{link}</li>")
    out.append("</ul><h2>References</h2>")
    for ref in pack.references:
        url = safe_url(ref.source_url)
        link = f' · <a href="{esc(url)}" target="_blank" rel="noopener noreferrer">source</a>' if url else ""
        out.append(f'<p class="ta-ref" id="pack-ref-{ref.n}"><strong>[{ref.n}]</strong> {esc(ref.title)}, '
                   f"{esc(ref.where)} · <code>{esc(ref.chunk_id)}</code>{link}<br>“{esc(ref.quote)}”</p>")
    out.append("</div>")
    return "".join(out)


def _num(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.3f}"
    return esc(v)


MAX_FAILURES_SHOWN = 200


def render_eval(data: dict[str, Any]) -> tuple[str, str]:
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
    head = ""
    if gate:
        head = ('<p><strong>Quality gate: <span class="ta-pass">passed</span></strong></p>' if gate.get("passed")
                else '<p><strong>Quality gate: <span class="ta-fail">FAILED</span></strong> (a gated metric '
                     "misses its target)</p>")
    table = head + (('<table class="ta-table"><thead><tr><th>metric</th><th>score</th><th>counts</th>'
                     f"<th>target</th><th>gate</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
                    if rows else '<p class="ta-empty">No metrics in the result.</p>')
    failing = [c for c in data.get("cases", []) if isinstance(c, dict) and c.get("passed") is False]
    items = []
    for c in failing[:MAX_FAILURES_SHOWN]:
        reasons = c.get("reasons") or ([c["error"]] if c.get("error") else [])
        answer = c.get("answer")
        text = answer.get("answer", "") if isinstance(answer, dict) else c.get("answer_text") or ""
        items.append(f"<tr><td><code>{esc(c.get('id', ''))}</code></td><td>{esc(c.get('category', ''))}</td>"
                     f"<td>{esc(c.get('question', ''))}</td><td>{esc('; '.join(map(str, reasons)))}</td>"
                     f"<td>{esc(text)}</td></tr>")
    more = (f"<p>{len(failing) - MAX_FAILURES_SHOWN} more failing cases are in results.json.</p>"
            if len(failing) > MAX_FAILURES_SHOWN else "")
    fails = (f"<h3>Failing cases ({len(failing)})</h3>"
             '<table class="ta-table"><thead><tr><th>id</th><th>category</th><th>question</th><th>why it failed</th>'
             f"<th>answer</th></tr></thead><tbody>{''.join(items)}</tbody></table>{more}") if items else \
        '<p class="ta-pass">No failing cases.</p>'
    return table, fails
