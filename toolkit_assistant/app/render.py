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
.ta-meta {font-size: .85rem; color: var(--body-text-color); margin-bottom: .35rem;}
.ta-meta a, .ta-rests a {color: var(--link-text-color, #1d4ed8); text-decoration: underline;}
.ta-rests {font-size: .85rem; color: var(--body-text-color); margin-top: .35rem;}
.ta-outcome {display: inline-block; border-radius: 4px; padding: .05rem .45rem; font-size: .85rem; font-weight: 600;
  color: #fff; margin-bottom: .4rem;}
.ta-outcome-answered {background: #15803d;} .ta-outcome-partial {background: #b45309;}
.ta-outcome-none {background: #4b5563;}
.ta-scroll {overflow-x: auto; max-width: 100%;}
.ta-counter {font-size: .8rem; text-align: right; color: var(--body-text-color); margin-top: -.3rem;}
.ta-counter-full {color: #b91c1c; font-weight: 600;}
.ta-source.ta-flash {outline: 3px solid #f59e0b;}
#filter-status .ta-filter-on {border-left: 4px solid #1d4ed8; padding: .2rem .6rem; font-size: .9rem;
  background: var(--background-fill-secondary); color: var(--body-text-color);}
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
.ta-pass {color: #15803d; font-weight: 600;} .ta-warn {color: #b45309; font-weight: 600;} .ta-fail {color: #b91c1c; font-weight: 600;}
.ta-pack h2 {margin-top: 1.1rem;} .ta-pack blockquote {margin: .2rem 0 .2rem 1rem;}
.ta-pack .ta-ref {font-size: .85rem;}
"""
# Run once on page load (Blocks.launch(js=...)): a click on an [n] link in the chat scrolls the Sources panel to
# that passage and flashes it (Gradio's Markdown may open links in a new tab; this keeps the reader on the page).
JS = """() => {
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest ? ev.target.closest('a') : null;
    if (!a) return;
    const m = (a.getAttribute('href') || '').match(/#source-(\\d+)$/);
    if (!m) return;
    ev.preventDefault(); ev.stopPropagation();
    const el = document.getElementById('source-' + m[1]);
    if (!el) return;
    const card = el.closest('.ta-source') || el;
    card.scrollIntoView({behavior: 'instant', block: 'start'});
    card.classList.add('ta-flash');
    setTimeout(() => card.classList.remove('ta-flash'), 1500);
  }, true);
  const count = () => {
    const box = document.querySelector('#question textarea');
    const out = document.getElementById('question-counter');
    if (!box || !out) return;
    const limit = Number(out.dataset.limit || 0);
    out.textContent = box.value.length + ' / ' + limit;
    out.classList.toggle('ta-counter-full', limit > 0 && box.value.length >= limit);
  };
  document.addEventListener('input', (ev) => { if (ev.target.closest && ev.target.closest('#question')) count(); }, true);
  setInterval(count, 700);
  // with the chat's own auto-scroll off: when a new answer arrives, show its start, not its end
  let seen = 0;
  setInterval(() => {
    const bots = document.querySelectorAll('#chat .bot');
    if (bots.length > seen) {
      seen = bots.length;
      const last = bots[bots.length - 1];
      let box = last.parentElement;
      while (box && box.id !== 'chat') {
        const oy = getComputedStyle(box).overflowY;
        if ((oy === 'auto' || oy === 'scroll') && box.scrollHeight > box.clientHeight) break;
        box = box.parentElement;
      }
      if (box && box.id !== 'chat') {
        const top = last.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
        box.scrollTop = Math.max(0, top - 60);
      }
    } else if (bots.length < seen) { seen = bots.length; }
  }, 400);
}"""
STATUS_HELP = {
    "draft": "a draft: the final text may differ",
    "final": "the final, adopted text",
    "summary": "a study summary written for this project, not the official text",
}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")


_BACKEND_FAILED = re.compile(r"^The (\S+) backend is unavailable \(.*\); showing the extractive answer\.?$", re.S)


def public_notice(notice: str) -> str:
    """A notice as users see it: a backend failure without the exception, setting names or addresses
    (those go to the server log)."""
    m = _BACKEND_FAILED.match(notice or "")
    if m:
        return f"The {m.group(1)} backend is unavailable; showing the extractive answer."
    return notice


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


def highlight(chunk_text: str, quote: str | Sequence[str]) -> str:
    """The chunk text, HTML-escaped, with each quoted passage (one or several) wrapped in <mark>."""
    quotes = [quote] if isinstance(quote, str) else list(quote)
    spans: list[tuple[int, int]] = []
    for q in quotes:
        at = chunk_text.find(q) if q else -1
        if at >= 0 and not any(at < e and at + len(q) > b for b, e in spans):
            spans.append((at, at + len(q)))
    out, pos = [], 0
    for b, e in sorted(spans):
        out += [esc(chunk_text[pos:b]), f"<mark>{esc(chunk_text[b:e])}</mark>"]
        pos = e
    out.append(esc(chunk_text[pos:]))
    return "".join(out)


def status_badge(status: str) -> str:
    """A coloured badge for a document's status (draft / final / summary)."""
    key = status if status in STATUS_HELP else "other"
    tip = STATUS_HELP.get(status, "status as given by the document")
    return f'<span class="ta-status ta-status-{key}" title="{esc(tip)}">{esc(status or "unknown")}</span>'


def page_text(chunk: Any) -> str:
    """'p. 12' (the printed page label when the PDF has one), or '' for a text without pages."""
    label = str(getattr(chunk, "page_label", "") or "").strip()
    if label:
        return f"p. {label}"
    return f"p. {chunk.page}" if chunk.page else ""


def outcome_label(answer: Answer, lang: str = "en") -> tuple[str, str]:
    """(outcome key, its label in the language): answered / partial / none."""
    outcome = getattr(answer, "outcome", None) or ("none" if answer.abstained else "answered")
    if outcome not in ("answered", "partial", "none"):
        outcome = "none" if answer.abstained else "answered"
    labels = {"answered": ui_text("outcome_answered", lang), "partial": ui_text("outcome_partial", lang),
              "none": ui_text("outcome_none", lang)}
    return outcome, labels[outcome]


def _source_link(c: Citation) -> str:
    url = safe_url(getattr(c, "source_url", "") or c.chunk.source_url)
    return f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">source</a>' if url else "no link"


def _rests_on(cits: Sequence[Citation], status: str, lang: str) -> str:
    """'This summary rests on: ...' listing the public sources of the quoted sentences (each once)."""
    seen: dict[str, Any] = {}
    for c in cits:
        try:
            refs = c.sources()
        except Exception:  # noqa: BLE001 - a chunk without a readable source register shows no sources
            refs = []
        for r in refs:
            seen.setdefault(r.tag or r.url, r)
    if not seen:
        return ""
    items = []
    for r in seen.values():
        d = r.to_dict()
        url = safe_url(d.get("url", ""))
        title = esc(d.get("title") or d.get("tag"))
        tip = f' title="{esc(d["note"])}"' if d.get("note") else ""
        items.append(f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer"{tip}>{title}</a>' if url
                     else f"<span{tip}>{title}</span>")
    head = ui_text("rests_on_summary", lang) if status == "summary" else ui_text("rests_on", lang)
    return f'<div class="ta-rests">{esc(head)} {"; ".join(items)}</div>'


def render_citation(c: Citation | Sequence[Citation], lang: str = "en") -> str:
    """One passage card: title, section, printed page (when there is one), year, status, link, and the passage
    with every quote of it highlighted. Several citations of the same passage share one card."""
    cits = [c] if not isinstance(c, (list, tuple)) else list(c)
    first = cits[0]
    ch = first.chunk
    parts = [esc(section_label(ch.section, ch.section_title))]
    if page_text(ch):
        parts.append(esc(page_text(ch)))
    parts += [esc(ch.year or "year unknown"), status_badge(ch.status), _source_link(first)]
    meta = " · ".join(parts)
    numbers = "".join(f'<span class="ta-n">[{x.n}]</span>' for x in cits)
    anchors = "".join(f'<span id="source-{x.n}" class="ta-anchor"></span>' for x in cits[1:])
    return (
        f'<div class="ta-source" id="source-{first.n}" data-chunk="{esc(ch.id)}" title="{esc(ch.id)}">{anchors}'
        f'<div class="ta-source-head">{numbers} {esc(ch.title)}</div>'
        f'<div class="ta-meta">{meta}</div>'
        f'<blockquote class="ta-chunk">{highlight(ch.text, [x.quote for x in cits])}</blockquote>'
        f"{_rests_on(cits, ch.status, lang)}</div>"
    )


def group_citations(citations: Sequence[Citation]) -> list[list[Citation]]:
    """Citations grouped by the passage (chunk) they quote, in the order of their first [n]."""
    groups: dict[str, list[Citation]] = {}
    for c in citations:
        groups.setdefault(c.chunk.id, []).append(c)
    return list(groups.values())


def render_sources(answer: Answer | None, *, empty: str | None = None, lang: str = "en",
                   filter_note: str = "") -> str:
    """The sources panel for an answer: its outcome, notices, then one card per passage (or the decline).

    Args:
        answer: the answer, or None before the first question.
        empty: the text shown when there is no answer; trusted markup (an i18n key's marker), not escaped.
        lang: the interface language of the labels.
        filter_note: a sentence saying the document filter caused a decline (shown above the decline).
    """
    if answer is None:
        text = empty if empty is not None else esc(ui_text("sources_empty"))
        return f'<div class="ta-sources"><p class="ta-empty">{text}</p></div>'
    key, label = outcome_label(answer, lang)
    parts = [f'<div><span class="ta-outcome ta-outcome-{key}">{esc(label)}</span></div>']
    parts += [f'<div class="ta-notice">{esc(public_notice(n))}</div>' for n in answer.notices]
    if filter_note and not answer.abstained:
        parts.append(f'<div class="ta-notice ta-filter-decline">{esc(filter_note)}</div>')
    if answer.abstained:
        topics = "".join(f"<li>{esc(t)}</li>" for t in useful_topics(answer))
        head = esc(filter_note) if filter_note else "The materials do not cover this question, so no answer is given."
        parts.append(
            f'<div class="ta-declined"><strong>{head}</strong>'
            + (f"<p>Nearest topics they do cover:</p><ul>{topics}</ul>" if topics else "")
            + "</div>"
        )
    parts += [render_citation(g, lang) for g in group_citations(answer.citations)]
    return '<div class="ta-sources">' + "".join(parts) + "</div>"


def render_error(message: str) -> str:
    """An error box, escaped."""
    return f'<div class="ta-error">{esc(message)}</div>'


def link_markers(md: str) -> str:
    """Escaped [n] markers (\\[n\\]) of a chat message turned into links to their passage (#source-n)."""
    return re.sub(r"\\\[(\d+)\\\]", lambda m: f"[\\[{m.group(1)}\\]](#source-{m.group(1)})", md)


def chat_text(answer: Answer, asked: str, effective: str, lang: str = "en", filter_note: str = "") -> str:
    """The assistant's chat message: its outcome label, answer text (escaped for Markdown, [n] linked to their
    passage), decline, notices."""
    _key, label = outcome_label(answer, lang)
    lines: list[str] = [f"**{md_escape(label)}**"]
    if filter_note:
        lines.append(f"**{md_escape(filter_note)}**")
    if answer.abstained:
        if not filter_note:
            lines.append("**The materials do not cover this question, so no answer is given.**")
        if useful_topics(answer):
            lines.append("Nearest topics they do cover: " + "; ".join(md_escape(t) for t in useful_topics(answer)))
    else:
        lines.append(link_markers(md_escape(answer.text)))
    for notice in answer.notices:
        lines.append(f"_Note: {md_escape(public_notice(notice))}_")
    if effective != asked:
        lines.append(f"_Searched as: {md_escape(effective)}_")
    return "\n\n".join(lines)


def draft_message(draft: str, lang: str = "en") -> str:
    """The chat message for a model's draft while it streams: an 'unverified' marker, then the raw text escaped."""
    return f"_{md_escape(ui_text('draft_marker', lang))}_\n\n{md_escape(draft)}"


def render_checking(lang: str = "en", loading: bool = False) -> str:
    """The sources panel while a draft streams (its sentences are still to be checked), or while serve loads."""
    notice = esc(ui_text("loading_index", lang) if loading else ui_text("sources_checking", lang))
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
            f'<div class="ta-scroll"><table class="ta-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


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
    failing = [c for c in data.get("cases", []) if isinstance(c, dict) and c.get("passed") is False]
    total = len([c for c in data.get("cases", []) if isinstance(c, dict)])
    head = ""
    if gate:
        if not gate.get("passed"):
            head = ('<p><strong>Quality gate: <span class="ta-fail">FAILED</span></strong> (a gated metric '
                    "misses its target)</p>")
        elif failing:
            head = ('<p><strong>Quality gate: <span class="ta-warn">passed, with '
                    f"{len(failing)} failing cases</span></strong></p>"
                    '<p class="ta-notice ta-gate-scope">The gate checks only the metrics marked in its column '
                    "below, against their targets. Cases outside those metrics (for example questions in other "
                    "languages, or categories the gate does not measure) can fail without failing the gate: "
                    f"{len(failing)} of {total} cases failed; they are listed below by category.</p>")
        else:
            head = '<p><strong>Quality gate: <span class="ta-pass">passed</span></strong></p>'
    table = head + (('<table class="ta-table"><thead><tr><th>metric</th><th>score</th><th>counts</th>'
                     f"<th>target</th><th>gate</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
                    if rows else '<p class="ta-empty">No metrics in the result.</p>')
    groups: dict[str, list[dict[str, Any]]] = {}
    for c in failing[:MAX_FAILURES_SHOWN]:
        lang = str(c.get("language") or "")
        key = str(c.get("category", "")) + (f" ({lang})" if lang and lang != "en" else "")
        groups.setdefault(key, []).append(c)
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
        blocks.append(f'<details class="ta-fail-group"><summary><strong>{esc(key)}</strong>: {len(cases)} failing'
                      '</summary><table class="ta-table"><thead><tr><th>id</th><th>question</th>'
                      f"<th>why it failed</th><th>answer</th></tr></thead><tbody>{''.join(items)}</tbody></table>"
                      "</details>")
    more = (f"<p>{len(failing) - MAX_FAILURES_SHOWN} more failing cases are in results.json.</p>"
            if len(failing) > MAX_FAILURES_SHOWN else "")
    fails = (f"<h3>Failing cases ({len(failing)})</h3><p>Open a category to see its cases; a long answer opens "
             f"on a click.</p>{''.join(blocks)}{more}") if blocks else '<p class="ta-pass">No failing cases.</p>'
    return table, fails
