"""Ingest: files in, a complete new index generation out (or nothing, when nothing changed)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit_assistant.errors import DocumentError, IndexMismatchError
from toolkit_assistant.ingest import CHUNKER_VERSION, chunk_document, discover, file_sha256, load_document
from toolkit_assistant.store import (
    EmbeddingCache,
    Location,
    Manifest,
    ingest_lock,
    new_generation_name,
    write_generation,
)
from toolkit_assistant.types import Chunk


@dataclass
class IngestReport:
    """What an ingest did."""

    index: str
    generation: str
    documents: int = 0
    chunks: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    new_chunks: int = 0
    up_to_date: bool = False
    seconds: float = 0.0

    @property
    def chunks_per_s(self) -> float:
        """Chunks written per second of ingest (all chunks of the new generation)."""
        return self.chunks / self.seconds if self.seconds > 0 and not self.up_to_date else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "index": self.index,
            "generation": self.generation,
            "documents": self.documents,
            "chunks": self.chunks,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": len(self.unchanged),
            "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
            "up_to_date": self.up_to_date,
            "seconds": round(self.seconds, 3),
            "chunks_per_s": round(self.chunks_per_s, 1),
        }


def _under(path: str, roots: list[Path]) -> bool:
    p = Path(path)
    return any(p == r or r in p.parents for r in roots)


def _old_chunks(location: Location, manifest: Manifest, ids: list[str]) -> list[Chunk]:
    """Chunks of the current generation, by id, in the given order."""
    if not ids:
        return []
    col, _ = location.collections(manifest.generation, create=False)
    got = col.get(ids=ids, include=["documents", "metadatas"])
    by_id = {
        cid: Chunk.from_metadata(cid, doc, meta)
        for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    }
    return [by_id[i] for i in ids if i in by_id]


def run_ingest(
    paths: Iterable[Path],
    *,
    location: Location,
    embedder: Any,
    index_dir: Path,
    chunk_size: int,
    chunk_overlap: int,
    max_bytes: int | None = None,
    rebuild: bool = False,
    progress: Callable[[str], None] | None = None,
    on_page: Callable[[str, int, int], None] | None = None,
) -> IngestReport:
    """Bring the index up to date with the files under `paths`.

    Files outside `paths` that an earlier ingest added stay in the index. Unchanged files keep their
    chunks; changed files replace theirs; files gone from under `paths` lose theirs. A file that
    cannot be read is reported in `skipped` (an earlier good version of it stays in the index).
    A PDF reports each page read to `on_page(file, page_no, pages_total)`; without it, `progress` hears
    of every 25th page and the last.
    """
    if on_page is None and progress is not None:
        on_page = page_progress(progress)
    started = time.perf_counter()
    roots = [Path(p).resolve() for p in paths]
    with ingest_lock(index_dir):
        old = location.read_manifest()
        # partial generations left by a crashed ingest
        keep = {old.generation} if old else set()
        location.cleanup(keep | _published_recently(location, old))
        if old and old.embedding != embedder.name and not rebuild:
            raise IndexMismatchError(
                f"The index at {location.describe()} was built with {old.embedding}; the configured "
                f"model is {embedder.name}. Run: toolkit-assistant ingest --rebuild"
            )
        same_build = bool(
            old
            and not rebuild
            and old.embedding == embedder.name
            and old.chunk_size == chunk_size
            and old.chunk_overlap == chunk_overlap
            and old.chunker_version == CHUNKER_VERSION
        )
        report = IngestReport(index=location.describe(), generation=old.generation if old else "")
        files, skipped = discover(roots)
        report.skipped.extend((str(p), r) for p, r in skipped)
        new_files: dict[str, dict[str, Any]] = {}
        reuse_ids: list[str] = []
        fresh: list[Chunk] = []
        doc_owner: dict[str, str] = {}
        changed = False
        old_files = old.files if old else {}
        # entries outside the roots stay as they are
        for key, entry in old_files.items():
            if not _under(key, roots) and (same_build or Path(key).exists()):
                if same_build:
                    new_files[key] = entry
                    reuse_ids.extend(entry["chunk_ids"])
                    doc_owner[entry["doc_id"]] = key
                else:
                    files.append(Path(key))
        for path in files:
            key = str(path.resolve())
            if key in new_files:
                continue
            try:
                sha = file_sha256(path)
            except OSError as exc:
                report.skipped.append((str(path), f"cannot read ({exc.strerror})"))
                continue
            prev = old_files.get(key)
            if same_build and prev and prev["sha256"] == sha:
                if prev["doc_id"] in doc_owner:
                    report.skipped.append((str(path), f"document id '{prev['doc_id']}' is already used by {doc_owner[prev['doc_id']]}"))
                    continue
                new_files[key] = prev
                doc_owner[prev["doc_id"]] = key
                reuse_ids.extend(prev["chunk_ids"])
                report.unchanged.append(str(path))
                continue
            try:
                doc = load_document(path, max_bytes=max_bytes, on_page=on_page)
                chunks = chunk_document(doc, size=chunk_size, overlap=chunk_overlap)
                if not chunks:
                    raise DocumentError(f"{path}: no text to index")
            except DocumentError as exc:
                report.skipped.append((str(path), str(exc).removeprefix(f"{path}: ")))
                if prev and same_build:  # keep the last good version
                    new_files[key] = prev
                    reuse_ids.extend(prev["chunk_ids"])
                    doc_owner[prev["doc_id"]] = key
                continue
            if doc.doc_id in doc_owner:
                report.skipped.append(
                    (str(path), f"document id '{doc.doc_id}' is already used by {doc_owner[doc.doc_id]}; "
                                "give this file another id")
                )
                continue
            doc_owner[doc.doc_id] = key
            new_files[key] = {
                "sha256": sha,
                "doc_id": doc.doc_id,
                "title": doc.title,
                "chunk_ids": [c.id for c in chunks],
            }
            fresh.extend(chunks)
            changed = True
            (report.updated if prev else report.added).append(str(path))
        for key, entry in old_files.items():
            if key not in new_files:
                report.removed.append(key)
                changed = True
        if old and not changed and same_build:
            report.up_to_date = True
            report.documents = len(new_files)
            report.chunks = old.chunk_count()
            report.seconds = time.perf_counter() - started
            return report
        all_chunks = (_old_chunks(location, old, reuse_ids) if old and reuse_ids else []) + fresh
        manifest = Manifest(
            generation=new_generation_name(),
            embedding=embedder.name,
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            files=new_files,
            chunker_version=CHUNKER_VERSION,
        )
        cache = EmbeddingCache(index_dir / "embedding-cache.sqlite", embedder.name)
        try:
            write_generation(location, manifest, all_chunks, embedder, cache, progress=progress)
        finally:
            cache.close()
        location.cleanup({manifest.generation} | ({old.generation} if old else set()))
        report.generation = manifest.generation
        report.documents = len(new_files)
        report.chunks = len(all_chunks)
        report.new_chunks = len(fresh)
        report.seconds = time.perf_counter() - started
        return report


def page_progress(progress: Callable[[str], None], every: int = 25) -> Callable[[str, int, int], None]:
    """An on_page callback that reports 'file: page n/N' through `progress` every `every` pages and at the end."""

    def on_page(file: str, page_no: int, pages_total: int) -> None:
        if page_no == pages_total or page_no % every == 0:
            progress(f"{Path(file).name}: page {page_no}/{pages_total}")

    return on_page


def _published_recently(location: Location, old: Manifest | None) -> set[str]:
    """Generations that were published (have a manifest) and may still be read: keep them."""
    gen_root = getattr(location, "index_dir", None)
    if gen_root is None:
        return set()
    gens = Path(gen_root) / "gens"
    if not gens.exists():
        return set()
    return {d.name for d in gens.iterdir() if (d / "manifest.json").exists()}
