"""A session pack as Markdown: objectives, outline, key points, cases, questions, reading, references."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toolkit_assistant.session.pack import SessionPack


def md_text(text: str) -> str:
    """Document text made safe for Markdown viewers: no raw HTML tags, one line."""
    return re.sub(r"\s+", " ", text.replace("<", "&lt;").replace(">", "&gt;")).strip()


def _cell(text: str) -> str:
    return md_text(text).replace("|", "\\|")


def _marks(refs: tuple[int, ...]) -> str:
    return "".join(f"[{n}]" for n in refs)


def clock(minute: int) -> str:
    """Minutes from the start as H:MM."""
    return f"{minute // 60}:{minute % 60:02d}"


def render_markdown(pack: SessionPack) -> str:
    """The pack as Markdown: objectives, outline, key points, cases, questions, reading, references."""
    out = [f"# Session pack: {md_text(pack.topic)}", ""]
    meta = f"**Duration:** {pack.minutes} minutes"
    if pack.audience:
        meta += f" · **Audience:** {md_text(pack.audience)}"
    out += [meta, "",
            "_Every factual statement below is a quotation from the indexed materials, with its [n] "
            "citation; the References list gives document, section, chunk id and source URL._", ""]
    out += [f"> Note: {md_text(n)}" for n in pack.notices]
    out += ["## Learning objectives", "", "By the end of the session, participants can:", ""]
    out += [f"{i}. {md_text(o.text)} {_marks(o.refs)}" for i, o in enumerate(pack.objectives, 1)]
    out += ["", f"## Outline ({pack.minutes} minutes)", "", "| Time | Minutes | Part | What happens | Sources |",
            "|---|---:|---|---|---|"]
    for item in pack.outline:
        span = f"{clock(item.start)}–{clock(item.start + item.minutes)}"
        out.append(f"| {span} | {item.minutes} | {_cell(item.title)} | {_cell(item.detail)} | {_marks(item.refs)} |")
    out += ["", "## Key points", ""]
    for theme in pack.themes:
        out += [f"### {md_text(theme.heading)}", ""]
        out += [f"- “{md_text(p.text)}” {_marks(p.refs)}" for p in theme.points]
        out.append("")
    out += ["## Cases to present", ""]
    if not pack.cases:
        out += ["_No case document in the index matches this topic._", ""]
    for case in pack.cases:
        out += [f"### {md_text(case.title)}", "", f"_From: {md_text(case.doc_title)}_", ""]
        out += [f"- “{md_text(p.text)}” {_marks(p.refs)}" for p in case.points]
        out.append("")
    out += ["## Discussion questions", ""]
    out += [f"{i}. {md_text(q)}" for i, q in enumerate(pack.questions, 1)]
    out += ["", "## Further reading", ""]
    for r in pack.reading:
        url = f" — <{r.source_url}>" if r.source_url.startswith(("http://", "https://")) else ""
        out.append(f"- {md_text(r.title)} ({md_text(r.year)}, {md_text(r.status)}), {md_text(r.where)}{url}")
    out += ["", "## References", ""]
    for ref in pack.references:
        url = f", <{ref.source_url}>" if ref.source_url.startswith(("http://", "https://")) else ""
        out.append(f"[{ref.n}] {md_text(ref.title)}, {md_text(ref.where)} (chunk `{ref.chunk_id}`){url}  ")
        out.append(f"    “{md_text(ref.quote)}”")
        out.append("")
    if pack.created:
        out.append(f"_Built by toolkit-assistant on {pack.created} from the indexed corpus._")
    return "\n".join(out).rstrip() + "\n"
