"""Read documents (Markdown with front matter, PDF, plain text) and cut them into chunks.

Chunk ids are stable across runs and machines: ``<doc_id>:<section>:<n>`` for Markdown and text,
``<doc_id>:p<page>:<n>`` for PDFs (``<doc_id>:<section>:p<page>:<n>`` when the PDF has an outline).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from toolkit_assistant import sourcetags
from toolkit_assistant.errors import DocumentError
from toolkit_assistant.text import normalise, slug, split_sentences
from toolkit_assistant.types import Chunk

# bump when chunking changes, so that the next ingest re-chunks unchanged files
CHUNKER_VERSION = 3
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


def load_document(path: Path, *, max_bytes: int | None = None) -> Document:
    """Parse one file into a Document.

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
        return _load_pdf(path)
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
    text = normalise(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise DocumentError(f"{path}: no text in the file")
    text = neutralise_markers(text)
    if suffix in (".md", ".markdown"):
        return _parse_markdown(path, text)
    return _parse_text(path, text)


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
    """Plain text: one section; the first short line is taken as the title."""
    first = text.strip().split("\n", 1)[0].strip()
    title = first if 0 < len(first) <= 120 else path.stem
    meta = {"title": title}
    return Document(slug(path.stem), title, path, meta, [Section("1", title, text.strip())])


def _pdf_outline(reader: object) -> list[tuple[int, str]]:
    """(page index, title) of a PDF's outline entries, flattened, in page order."""
    out: list[tuple[int, str]] = []

    def walk(items: object) -> None:
        for item in items:  # type: ignore[attr-defined]
            if isinstance(item, list):
                walk(item)
                continue
            try:
                page = reader.get_destination_page_number(item)  # type: ignore[attr-defined]
                out.append((int(page), str(item.title).strip()))
            except Exception:  # noqa: BLE001 - a broken outline entry is skipped
                continue

    try:
        walk(reader.outline)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - no usable outline
        return []
    return sorted(out, key=lambda t: t[0])


def _load_pdf(path: Path) -> Document:
    """A PDF: one section per page, named after the outline entry that covers the page."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise DocumentError(f"{path}: not a PDF (no %PDF- header; wrong extension?)")
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # noqa: BLE001
                raise DocumentError(f"{path}: encrypted PDF; cannot decrypt ({exc})") from exc
            if not ok:
                raise DocumentError(f"{path}: encrypted PDF (a password is needed); save an unencrypted copy")
        pages = [neutralise_markers(normalise(page.extract_text() or "")) for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AssertionError) as exc:
        raise DocumentError(f"{path}: corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on damaged files
        raise DocumentError(f"{path}: corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from exc
    if not any(p.strip() for p in pages):
        raise DocumentError(
            f"{path}: no extractable text ({len(pages)} pages; a scanned PDF? run OCR on it first)"
        )
    meta_title = ""
    try:
        meta_title = (reader.metadata.title or "").strip() if reader.metadata else ""
    except Exception:  # noqa: BLE001
        meta_title = ""
    title = meta_title or path.stem.replace("_", " ")
    outline = _pdf_outline(reader)
    sections: list[Section] = []
    for index, page_text in enumerate(pages):
        if not page_text.strip():
            continue
        covering = [t for p, t in outline if p <= index]
        if covering:
            heading = covering[-1]
            m = re.match(r"^(\d+(?:\.\d+)*)\.?\s+(.*)$", heading)
            section_id = m.group(1) if m else slug(heading)[:40]
            section_title = heading
        else:
            section_id, section_title = "", f"Page {index + 1}"
        sections.append(Section(section_id, section_title, page_text.strip(), page=index + 1))
    meta = {"title": title, "kind": "pdf", "status": "", "source_url": ""}
    return Document(slug(path.stem), title, path, meta, sections)


def chunk_document(doc: Document, *, size: int, overlap: int) -> list[Chunk]:
    """Cut a document's sections into chunks of whole sentences, at most `size` characters.

    Consecutive chunks of a section share trailing sentences up to `overlap` characters. A sentence
    that introduces a list (ending with ':') is never left at the end of a chunk without its items.
    """
    meta = doc.meta
    chunks: list[Chunk] = []
    for section in doc.sections:
        spans = split_sentences(section.text)
        if not spans:
            continue
        groups: list[tuple[int, int]] = []
        i = 0
        while i < len(spans):
            j = i
            while j + 1 < len(spans) and spans[j + 1].end - spans[i].start <= size:
                j += 1
            # don't end on a list's lead-in sentence when more follows
            while j > i and spans[j].text.rstrip().endswith(":") and j + 1 < len(spans):
                j -= 1
            groups.append((i, j))
            if j + 1 >= len(spans):
                break
            k = j + 1
            while k - 1 > i and spans[j].end - spans[k - 1].start <= overlap:
                k -= 1
            i = k
        for n, (a, b) in enumerate(groups, start=1):
            start, end = spans[a].start, spans[b].end
            text = section.text[start:end]
            refs = [
                sourcetags.SourceRef(pos - start, tag, *doc.register.get(tag, ("", "")))
                for pos, tag in section.tags
                if start < pos <= end
            ] + sourcetags.section_refs(section.title, doc.register)
            if section.page is not None:
                prefix = f"{doc.doc_id}:{section.section}:" if section.section else f"{doc.doc_id}:"
                chunk_id = f"{prefix}p{section.page}:{n}"
            else:
                chunk_id = f"{doc.doc_id}:{section.section}:{n}"
            chunks.append(
                Chunk(
                    id=chunk_id,
                    doc_id=doc.doc_id,
                    text=text,
                    title=doc.title,
                    section=section.section,
                    section_title=section.title,
                    page=section.page,
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

