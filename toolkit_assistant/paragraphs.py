"""Paragraphs of plain text: wrapped lines joined, end-of-line hyphenation undone, headings marked.

Shared by plain-text documents (text_blocks) and PDFs (join_paragraph, dehyphenate, vocabulary).
"""

from __future__ import annotations

import re

from toolkit_assistant.structure import Block, plain_heading
from toolkit_assistant.text import normalise


def text_blocks(text: str) -> list[Block]:
    """Blocks of a plain-text document: paragraphs split at blank lines, their lines joined.

    A hard-wrapped paragraph becomes one line of text; centred or all-capital short lines are marked as
    headings; a numbered line that opens a paragraph ("5. Conveying Modified Source Versions.") starts one.
    """
    blocks: list[Block] = []
    vocab = vocabulary(text)
    # text inside a box of asterisks is text; the box's own lines are blank
    text = re.sub(r"(?m)^\*(?:\s(.*?))?\s*\*[ \t]*$", lambda m: m.group(1) or "", text)
    text = re.sub(r"(?m)^\*{3,}[ \t]*$", "", text)
    for para in re.split(r"\n[ \t]*\n+", text):
        lines = []
        underlined = False
        for ln in para.split("\n"):
            if re.fullmatch(r"\s*([-=_*~#])\1{2,}\s*", ln):
                underlined = underlined or bool(lines)  # a setext underline, or a rule
                continue
            if ln.strip():
                lines.append(ln)
        if not lines:
            continue
        if underlined and len(lines) == 1:
            blocks.append(Block(lines[0].strip(), heading=True))
            continue
        indents = [len(ln) - len(ln.lstrip()) for ln in lines]
        if len(lines) == 1:
            line = lines[0]
            centered = indents[0] >= 8 and len(line.strip()) < 70
            blocks.append(Block(line.strip(), heading=bool(plain_heading(line, centered=centered))))
            continue
        if all(i >= 8 for i in indents) and all(len(ln.strip()) < 70 for ln in lines) and len(lines) <= 3 and all(
            plain_heading(ln, centered=True) or re.match(r"^\s*(version|\d)", ln, re.IGNORECASE) for ln in lines
        ):
            blocks.append(Block(" ".join(ln.strip() for ln in lines), heading=True))
            continue
        blocks.append(Block(join_paragraph([ln.strip() for ln in lines], vocab)))
    return [Block(normalise(b.text), heading=b.heading) for b in blocks]


def dehyphenate(left: str, right: str, vocab: set[str]) -> str:
    """Join a line ending in 'word-' with the next line: drop the hyphen unless the document spells it with one."""
    if left.endswith("\ufffe"):
        return left[:-1] + right
    if left.endswith("\u00ad"):
        return left[:-1] + right
    m = re.search(r"([^\W\d_]+)-$", left)
    n = re.match(r"([^\W\d_]+)", right)
    if m and n and right[:1].islower():
        joined = (m.group(1) + n.group(1)).lower()
        hyphened = f"{m.group(1)}-{n.group(1)}".lower()
        if hyphened in vocab and joined not in vocab:
            return left + right
        return left[:-1] + right
    return f"{left} {right}"


def join_paragraph(lines: list[str], vocab: set[str]) -> str:
    """One paragraph's lines as one line of text."""
    out = ""
    for ln in lines:
        ln = ln.strip()
        if not ln:
            continue
        out = ln if not out else dehyphenate(out, ln, vocab)
    # a word broken at the paragraph's last line goes on in the next column or page: keep its hyphen
    out = re.sub(r"[\ufffe\u00ad]$", "-", out)
    return out.replace("\ufffe", "").replace("\u00ad", "")


def vocabulary(text: str) -> set[str]:
    """The words of a text, hyphenated compounds kept whole, lower-cased."""
    return {w.lower() for w in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", text)}
