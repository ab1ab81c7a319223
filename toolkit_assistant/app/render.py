"""Pure rendering: answers, sources, the library and eval results as HTML or Markdown (packs: pack_view).

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

from toolkit_assistant.app.i18n import RTL_LANGUAGES, ui_text
from toolkit_assistant.app.pages import page_url
from toolkit_assistant.messages import ABSTAIN, NEAREST, PARTIAL, PARTIAL_ABSENT, PARTIAL_KIND, public_notice, say
from toolkit_assistant.session.markdown import md_text
from toolkit_assistant.session.pack import section_label

if TYPE_CHECKING:
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
.ta-source.ta-flash {outline: 3px solid #f59e0b;} .ta-open-page {white-space: nowrap; font-weight: 600;}
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


def status_badge(status: str, lang: str = "en") -> str:
    """A coloured badge for a document's status (draft / final / summary / original), named in the language."""
    named = {"draft": (ui_text("status_draft", lang), ui_text("status_draft_help", lang)),
             "final": (ui_text("status_final", lang), ui_text("status_final_help", lang)),
             "summary": (ui_text("status_summary", lang), ui_text("status_summary_help", lang)),
             "original": (ui_text("status_original", lang), ui_text("status_original_help", lang))}
    label, tip = named.get(status, (status or "unknown", ui_text("status_other_help", lang)))
    key = status if status in ("draft", "final", "summary") else "other"
    return f'<span class="ta-status ta-status-{key}" title="{esc(tip)}">{esc(label)}</span>'


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


def _source_link(c: Citation, lang: str = "en") -> str:
    url = safe_url(getattr(c, "source_url", "") or c.chunk.source_url)
    if not url:
        return esc(ui_text("no_link", lang))
    return f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(ui_text("source_link", lang))}</a>'


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
    parts += [esc(ch.year or ui_text("year_unknown", lang)), status_badge(ch.status, lang), _source_link(first, lang)]
    opened = page_url(ch, [x.quote for x in cits])  # the PDF page itself, the quotes highlighted (app/pages.py)
    if opened:
        parts.append(f'<a class="ta-open-page" href="{esc(opened)}" target="_blank" rel="noopener" title="'
                     f'{esc(ui_text("open_page_help", lang))}">{esc(ui_text("open_page", lang).format(page=page_text(ch)[3:]))}</a>')
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
    if answer.abstained:  # the assistant's own decline and nearest topics (messages.py), in the interface language
        topics = "".join(f"<li>{esc(t)}</li>" for t in useful_topics(answer))
        head = esc(filter_note or say(ABSTAIN, lang))
        parts.append(
            f'<div class="ta-declined"><strong>{head}</strong>'
            + (f"<p>{esc(say(NEAREST, lang))}</p><ul>{topics}</ul>" if topics else "")
            + "</div>"
        )
    parts += [render_citation(g, lang) for g in group_citations(answer.citations)]
    return '<div class="ta-sources">' + "".join(parts) + "</div>"


def render_error(message: str) -> str:
    """An error box, escaped."""
    return f'<div class="ta-error">{esc(message)}</div>'


# a run of left-to-right text (a document's title, a topic, a searched query) inside a right-to-left sentence
_LTR_RUN = re.compile(r"[“\"(\[]*[A-Za-z][^\u0590-\u08ff\ufb1d-\ufefc]*[A-Za-z0-9)\]”\"]")


def md_bidi(text: str, lang: str) -> str:
    """md_escape(text), and in a right-to-left language each left-to-right run isolated in <bdi>, so the
    English names inside an Arabic sentence keep their order and their brackets."""
    if lang not in RTL_LANGUAGES:
        return md_escape(text)
    out, pos = [], 0
    for m in _LTR_RUN.finditer(text):
        out += [md_escape(text[pos:m.start()]), f"<bdi>{md_escape(m.group())}</bdi>"]
        pos = m.end()
    return "".join(out) + md_escape(text[pos:])


def split_lead(text: str, lang: str) -> tuple[str, str]:
    """A partial answer's text as (what the materials do not say, the closest passages cited after it)."""
    templates = [say(PARTIAL, lang), say(PARTIAL_ABSENT, lang), *PARTIAL_KIND.get(lang, PARTIAL_KIND["en"]).values()]
    for template in templates:
        tail = template[template.rfind("}") + 1:]
        at = text.find(tail) if tail.strip() else -1
        if at >= 0:
            return text[:at + len(tail)], text[at + len(tail):].strip()
    return "", text


def link_markers(md: str) -> str:
    """Escaped [n] markers (\\[n\\]) of a chat message turned into links to their passage (#source-n)."""
    return re.sub(r"\\\[(\d+)\\\]", lambda m: f"[\\[{m.group(1)}\\]](#source-{m.group(1)})", md)


def chat_text(answer: Answer, asked: str, effective: str, lang: str = "en", filter_note: str = "") -> str:
    """The assistant's chat message: its outcome label, then the answer's text as the assistant gave it (a decline
    or a partial answer in the language it was asked for: the interface's; escaped for Markdown, [n] linked to
    their passage), then its notices."""
    _key, label = outcome_label(answer, lang)
    lines: list[str] = [f"**{md_escape(label)}**"]
    if filter_note:
        lines.append(f"**{md_escape(filter_note)}**")
    decline = say(ABSTAIN, lang)
    if answer.abstained and filter_note:  # the filter, not the materials, declined: say so instead
        if useful_topics(answer):
            lines.append(md_escape(say(NEAREST, lang) + " " + "; ".join(useful_topics(answer))))
    elif answer.abstained and answer.text.startswith(decline):
        lines.append(f"**{md_escape(decline)}**")
        if answer.text[len(decline):].strip():
            lines.append(md_bidi(answer.text[len(decline):].strip(), lang))
    elif answer.outcome == "partial" and split_lead(answer.text, lang)[0]:
        lead, cited = split_lead(answer.text, lang)  # the cited passages in a paragraph of their own
        lines += [md_bidi(lead, lang)] + ([link_markers(md_escape(cited))] if cited else [])
    else:
        lines.append(link_markers(md_escape(answer.text)))
    for notice in answer.notices:
        lines.append(f"_{md_bidi(ui_text('note_prefix', lang) + ' ' + public_notice(notice), lang)}_")
    if effective != asked:
        lines.append(f"_{md_bidi(ui_text('searched_as', lang).format(query=effective), lang)}_")
    return "\n\n".join(lines)


def draft_message(draft: str, lang: str = "en") -> str:
    """The chat message for a model's draft while it streams: an 'unverified' marker, then the raw text escaped."""
    return f"_{md_escape(ui_text('draft_marker', lang))}_\n\n{md_escape(draft)}"


def render_checking(lang: str = "en", loading: bool = False) -> str:
    """The sources panel while a draft streams (its sentences are still to be checked), or while serve loads."""
    notice = esc(ui_text("loading_index", lang) if loading else ui_text("sources_checking", lang))
    return f'<div class="ta-sources"><div class="ta-notice ta-checking">{notice}</div></div>'


def answer_markdown(answer: Answer, asked: str | None = None, lang: str = "en") -> str:
    """An answer with its citations as a Markdown document (for copy and download), headed in the language."""
    out = [f"# {ui_text('md_question', lang)}", "", md_text(asked or answer.question), ""]
    if asked and asked != answer.question:
        out += [f"_{md_text(ui_text('searched_as', lang).format(query=answer.question))}_", ""]
    out += [f"## {ui_text('md_answer', lang)}", ""]
    if answer.abstained:
        out.append(md_text(say(ABSTAIN, lang)))
        if useful_topics(answer):
            out += ["", md_text(say(NEAREST, lang)), ""] + [f"- {md_text(t)}" for t in useful_topics(answer)]
    else:
        out.append(md_text(answer.text))
    out += [f"\n> {md_text(ui_text('note_prefix', lang) + ' ' + public_notice(n))}" for n in answer.notices]
    if answer.citations:
        out += ["", f"## {ui_text('md_sources', lang)}", ""]
    for c in answer.citations:
        ch = c.chunk
        url = safe_url(ch.source_url)
        out.append(
            f"[{c.n}] {md_text(ch.title)}, {md_text(section_label(ch.section, ch.section_title, ch.page))} "
            f"({md_text(ch.year)}, {md_text(ch.status)}); chunk `{ch.id}`" + (f"; <{url}>" if url else "") + "  "
        )
        out += [f"    “{md_text(c.quote)}”", ""]
    when = time.strftime("%Y-%m-%d %H:%M")
    out.append(f"_{md_text(ui_text('md_answered_by', lang).format(backend=answer.backend, when=when))}_")
    return "\n".join(out).rstrip() + "\n"


def render_documents(rows: Iterable[dict[str, Any]], lang: str = "en") -> str:
    """The library table: one row per document, every value escaped, headed in the language."""
    rows = list(rows)
    if not rows:
        return f'<p class="ta-empty">{esc(ui_text("library_empty", lang))}</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in ui_text("library_columns", lang).split("|"))
    body = []
    for r in rows:
        url = safe_url(str(r.get("source_url", "")))
        title = esc(r.get("title", ""))
        title = f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{title}</a>' if url else title
        body.append(
            "<tr>" + "".join(f"<td>{v}</td>" for v in (
                title, f"<code>{esc(r.get('doc_id'))}</code>", esc(r.get("kind")), esc(r.get("year")),
                status_badge(str(r.get("status", "")), lang), esc(r.get("language")), esc(r.get("chunks")),
                esc(len(r.get("sections", []))), esc(Path(str(r.get("path", ""))).name),
            )) + "</tr>"
        )
    total = sum(int(r.get("chunks", 0)) for r in rows)
    return (f"<p>{esc(ui_text('library_counts', lang).format(docs=len(rows), chunks=total))}</p>"
            f'<div class="ta-scroll"><table class="ta-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


