"""Read documents (Markdown with front matter, PDF, plain text) and cut them into chunks.

Chunk ids are stable across runs and machines: ``<doc_id>:<section>:<n>`` for Markdown and text,
``<doc_id>:<section>:p<page>:<n>`` for PDFs (``<doc_id>:p<page>:<n>`` before the first section), and
``<doc_id>:<section>:p<page>:fn<marker>`` for a PDF's footnotes. Plain text and PDFs are cut into sections
by `structure` (the PDF outline, or numbered headings); PDF text is cleaned by `pdftext`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from toolkit_assistant import sourcetags
from toolkit_assistant.errors import DocumentError
from toolkit_assistant.pdftext import OnPage
from toolkit_assistant.text import normalise, slug, split_sentences
from toolkit_assistant.types import Chunk

# bump when chunking changes, so that the next ingest re-chunks unchanged files (their sentences' vectors
# come from the embedding cache); 5: a PDF's title page is not indexed (pdftext)
CHUNKER_VERSION = 5
SUPPORTED = (".md", ".markdown", ".pdf", ".txt")
FRONT_MATTER_KEYS = (
    "id", "title", "publisher", "year", "status", "kind", "language", "source_url", "note",
)
_SECTION = re.compile(r"^##[ \t]+(?:(\d+(?:\.\d+)*)\.?[ \t]+)?(.+?)[ \t]*#*[ \t]*$")
# reference lists are provenance for readers, not statements to quote as answers
SKIP_SECTIONS = {"sources", "references", "bibliography", "source register"}
_TITLE = re.compile(r"^#[ \t]+(.+?)[ \t]*$")


@dataclass(frozen=True)
class Section:
    """A part of a document that citations can name: a numbered heading, or a PDF page."""

    section: str
    title: str
    text: str
    page: int | None = None
    page_label: str = ""
    pages: tuple[tuple[int, int, str], ...] = ()  # (offset in text, page, printed label) where each page starts
    role: str = ""  # "footnote" for a PDF's footnote
    # source tags taken out of `text`: (position in text, tag)
    tags: tuple[tuple[int, str], ...] = ()


@dataclass
class Document:
    """A parsed document: its metadata and its sections, in reading order."""

    doc_id: str
    title: str
    path: Path
    meta: dict[str, str] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    # source tag -> (url, note), from the document's Sources section
    register: dict[str, tuple[str, str]] = field(default_factory=dict)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files to ingest under the given paths, and files skipped with the reason.

    Hidden files and folders are ignored; README.md files describe folders and are not documents.
    """
    found: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for root in paths:
        if not root.exists():
            skipped.append((root, "no such file or folder"))
            continue
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for p in candidates:
            rel = p.relative_to(root) if root.is_dir() else Path(p.name)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if p.name.lower() == "readme.md" and root.is_dir():
                continue
            if p.suffix.lower() not in SUPPORTED:
                skipped.append((p, f"unsupported file type '{p.suffix or '(none)'}' "
                                   f"(supported: {', '.join(SUPPORTED)})"))
                continue
            found.append(p)
    return found, skipped


def load_document(path: Path, *, max_bytes: int | None = None, on_page: OnPage | None = None) -> Document:
    """Parse one file into a Document; a PDF reports each page read to `on_page(file, page_no, pages_total)`.

    Raises:
        DocumentError: the file is empty, too large, unreadable, encrypted, or of the wrong type.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read ({exc.strerror})") from exc
    if size == 0:
        raise DocumentError(f"{path}: empty file (0 bytes)")
    if max_bytes is not None and size > max_bytes:
        raise DocumentError(
            f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.1f} MB limit "
            "(TOOLKIT_MAX_FILE_MB)"
        )
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _load_pdf(path, on_page=on_page)
    raw = path.read_bytes()
    if raw.startswith(b"%PDF-"):
        raise DocumentError(f"{path}: this is a PDF file with a '{path.suffix}' extension; rename it to .pdf")
    if b"\x00" in raw[:4096]:
        raise DocumentError(f"{path}: binary content, not text (wrong extension?)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{path}: not UTF-8 text (invalid byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError(f"{path}: no text in the file")
    if suffix in (".md", ".markdown"):
        return _parse_markdown(path, neutralise_markers(normalise(text)))
    # plain text keeps its indentation until its paragraphs are found (a centred line is a heading)
    return _parse_text(path, neutralise_markers(unicodedata.normalize("NFC", text)))


def _parse_front_matter(path: Path, text: str) -> tuple[dict[str, str], str]:
    """Split a `---` front-matter block from the body; keys and values as strings."""
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    meta: dict[str, str] = {}
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return meta, "\n".join(lines[i + 1 :])
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*)$", line)
        if not m:
            raise DocumentError(
                f"{path}: broken front matter at line {i + 1}: expected 'key: value', got {line[:60]!r}"
            )
        value = m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        meta[m.group(1).lower()] = value
    raise DocumentError(f"{path}: broken front matter: the opening '---' has no closing '---'")


def neutralise_markers(text: str) -> str:
    """Write numeric reference markers in documents as '(ref 12)', so they never pass for our [n] citations."""
    return re.sub(r"\[(\d+(?:\s*[,;–-]\s*\d+)*)\]", r"(ref \1)", text)


def _clean_markdown(text: str) -> str:
    """Drop emphasis and code markers; keep everything else as written."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"__(.+?)__", r"\1", text)
    text = text.replace("`", "")
    return text


def _parse_markdown(path: Path, text: str) -> Document:
    """Markdown: front matter, an optional `# Title`, and `## N. Title` sections."""
    meta, body = _parse_front_matter(path, text)
    doc_id = slug(meta.get("id") or path.stem)
    title = meta.get("title", "")
    sections: list[Section] = []
    current_no, current_title, buf = "0", "", []
    used: set[str] = set()
    register: dict[str, tuple[str, str]] = {}

    def flush() -> None:
        body_text = _clean_markdown("\n".join(buf)).strip()
        if current_title.strip().lower() in SKIP_SECTIONS:
            register.update(sourcetags.parse_register(body_text))
            return
        # the corpus's source tags are metadata of their sentence, not text to quote
        body_text, tags = sourcetags.strip_tags(body_text)
        if body_text.strip():
            sections.append(Section(current_no, current_title or title, body_text, tags=tuple(tags)))

    for line in body.split("\n"):
        m_title = _TITLE.match(line)
        if m_title and not title:
            title = m_title.group(1).strip()
            continue
        if m_title:
            continue
        m = _SECTION.match(line)
        if m:
            flush()
            number, heading = m.group(1), _clean_markdown(m.group(2)).strip()
            section_id = number or slug(heading)[:40]
            while section_id in used:
                section_id += "-2"
            used.add(section_id)
            current_no, current_title, buf = section_id, heading, []
            continue
        buf.append(line)
    flush()
    if not sections:
        raise DocumentError(f"{path}: no text found after the front matter")
    meta.setdefault("title", title or path.stem)
    return Document(
        doc_id=doc_id, title=title or path.stem, path=path, meta=meta, sections=sections, register=register
    )


def _parse_text(path: Path, text: str) -> Document:
    """Plain text: paragraphs rejoined, sections at numbered headings; the first short line is the title."""
    from toolkit_assistant.paragraphs import text_blocks
    from toolkit_assistant.structure import build_sections

    first = text.strip().split("\n", 1)[0].strip()
    title = first if 0 < len(first) <= 120 else path.stem
    meta = {"title": title, "status": "original"}
    specs = build_sections(text_blocks(text), doc_title=title)
    sections = [Section(s.number, s.title or title, s.text) for s in specs if s.title.strip().lower() not in SKIP_SECTIONS]
    if not sections:
        raise DocumentError(f"{path}: no text in the file")
    return Document(slug(path.stem), title, path, meta, sections)


def _load_pdf(path: Path, *, on_page: OnPage | None = None) -> Document:
    """A PDF: cleaned text (pdftext), cut into sections by its outline or its numbered headings (structure)."""
    from toolkit_assistant.pdftext import extract_document
    from toolkit_assistant.structure import build_sections

    extracted = extract_document(path, on_page=on_page)
    title = extracted.title
    specs = build_sections(extracted.blocks(), doc_title=title, outline=extracted.outline)
    sections: list[Section] = []
    for spec in specs:
        if spec.title.strip().lower() in SKIP_SECTIONS:
            continue
        text = neutralise_markers(spec.text)
        if len(text) != len(spec.text):  # markers rewritten: page offsets move; keep each page's start
            pages = tuple(_shift_pages(spec.text, text, spec.pages))
        else:
            pages = tuple(spec.pages)
        first = pages[0] if pages else (0, None, "")
        section_id = "" if spec.number == "front" else spec.number
        sections.append(Section(section_id, spec.title or title, text, page=first[1], page_label=first[2], pages=pages))
    # footnotes: their own sections, under the section that holds their page
    for note in extracted.footnotes():
        holder = next((s for s in reversed(sections) if s.page is not None and any(p == note.page for _, p, _ in s.pages)), None)
        holder = holder or next((s for s in reversed(sections) if s.page is not None and s.page <= note.page), None)
        sections.append(Section(
            holder.section if holder else "", f"Footnote {note.marker}", neutralise_markers(note.text),
            page=note.page, page_label=note.label, pages=((0, note.page, note.label),), role="footnote",
        ))
    if not sections:
        raise DocumentError(f"{path}: no text to index outside its contents and index pages")
    # a PDF a court adds is the document itself, not one of the project's study summaries
    meta = {"title": title, "kind": "pdf", "status": "original", "source_url": ""}
    return Document(slug(path.stem), title, path, meta, sections)


def _shift_pages(old: str, new: str, pages: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Page offsets of `old` mapped onto `new` (the same text with reference markers rewritten)."""
    out = []
    for offset, page, label in pages:
        out.append((len(neutralise_markers(old[:offset])), page, label))
    return out


def _page_at(section: Section, offset: int) -> tuple[int | None, str]:
    """The page (and its printed label) on which the text at `offset` of a section was printed."""
    page, label = section.page, section.page_label
    for start, p, lab in section.pages:
        if start > offset:
            break
        page, label = p, lab
    return page, label


def _id_part(section: str) -> str:
    """A section number as it goes into chunk ids: 'Article 5' -> 'Article-5'."""
    return re.sub(r"\s+", "-", section.strip())


def chunk_document(doc: Document, *, size: int, overlap: int) -> list[Chunk]:
    """Cut a document's sections into chunks of whole sentences, at most `size` characters.

    Consecutive chunks of a section share trailing sentences up to `overlap` characters. A sentence
    that introduces a list (ending with ':') is never left at the end of a chunk without its items.
    In a PDF, a chunk holds the sentences that start on one page, so its page (and printed page label)
    is where each of its quotes starts.
    """
    meta = doc.meta
    chunks: list[Chunk] = []
    counters: dict[str, int] = {}
    for section in doc.sections:
        spans = split_sentences(section.text)
        if not spans:
            continue
        pages = [_page_at(section, sp.start) for sp in spans]
        groups: list[tuple[int, int]] = []
        i = 0
        while i < len(spans):
            j = i
            while j + 1 < len(spans) and spans[j + 1].end - spans[i].start <= size and pages[j + 1] == pages[i]:
                j += 1
            # don't end on a list's lead-in sentence when more follows
            while j > i and spans[j].text.rstrip().endswith(":") and j + 1 < len(spans) and pages[j + 1] == pages[i]:
                j -= 1
            groups.append((i, j))
            if j + 1 >= len(spans):
                break
            k = j + 1
            if pages[k] == pages[i]:  # overlap within a page only
                while k - 1 > i and spans[j].end - spans[k - 1].start <= overlap:
                    k -= 1
            i = k
        for a, b in groups:
            start, end = spans[a].start, spans[b].end
            text = section.text[start:end]
            refs = [
                sourcetags.SourceRef(pos - start, tag, *doc.register.get(tag, ("", "")))
                for pos, tag in section.tags
                if start < pos <= end
            ] + sourcetags.section_refs(section.title, doc.register)
            page, label = pages[a]
            part = _id_part(section.section)
            if page is not None:
                prefix = f"{doc.doc_id}:{part}:" if part else f"{doc.doc_id}:"
                base = f"{prefix}p{page}:"
                if section.role == "footnote":  # <doc>:<section>:p<page>:fn<marker>
                    base += "fn" + re.sub(r"\W", "", section.title.removeprefix("Footnote "))
            else:
                base = f"{doc.doc_id}:{part}:"
            # numbering goes on where a section comes back (its text after a list of (a)-items)
            counters[base] = n = counters.get(base, 0) + 1
            if section.role == "footnote":
                chunk_id = base if n == 1 else f"{base}-{n}"
            else:
                chunk_id = f"{base}{n}"
            chunks.append(
                Chunk(
                    id=chunk_id,
                    doc_id=doc.doc_id,
                    text=text,
                    title=doc.title,
                    section=section.section,
                    section_title=section.title,
                    page=page,
                    page_label=label,
                    role=section.role,
                    kind=meta.get("kind", ""),
                    year=str(meta.get("year", "")),
                    status=meta.get("status", ""),
                    language=meta.get("language", "en") or "en",
                    source_url=meta.get("source_url", ""),
                    source_path=str(doc.path),
                    source_refs=sourcetags.encode(refs),
                )
            )
    return chunks
