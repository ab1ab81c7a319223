"""Ingest: files in, a complete new index generation out (or nothing, when nothing changed)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit_assistant.errors import DiskFullError, DocumentError, IndexDamagedError, IndexMismatchError, ToolkitError
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


@dataclass(frozen=True)
class IngestStep:
    """Where a long ingest is: reading file k of n (at page p of m), or embedding the sentences or chunks of an
    index (done of total texts)."""

    stage: str  # "read" | "embed"
    index: str = ""  # the embedding model of the index being built
    file_no: int = 0
    files: int = 0
    file: str = ""
    page: int = 0
    pages: int = 0
    what: str = ""  # embed: "sentences" or "chunks"
    done: int = 0
    total: int = 0

    def message(self) -> str:
        """'file 2/5 report.pdf, page 37/120', or 'all-MiniLM-L6-v2: embedding sentences 2048/15926'."""
        if self.stage == "read":
            where = f"file {self.file_no}/{self.files} {Path(self.file).name}"
            return where + (f", page {self.page}/{self.pages}" if self.pages else "")
        return f"{self.index}: embedding {self.what} {self.done}/{self.total}"

    def fraction(self) -> float:
        """How far this stage is, 0..1."""
        if self.stage == "read":
            part = self.page / self.pages if self.pages else 0.0  # a file starts (its pages follow)
            return min(1.0, (self.file_no - 1 + part) / max(self.files, 1))
        return min(1.0, self.done / max(self.total, 1))


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
    removed_generations: list[str] = field(default_factory=list)
    keep_generations: int = 2
    notices: list[str] = field(default_factory=list)
    pages: int = 0  # PDF pages read
    # seconds of each stage: read (files to chunks), embed_sentences, embed_chunks, vectors_store, files
    timings: dict[str, float] = field(default_factory=dict)
    indexes: list[dict[str, Any]] = field(default_factory=list)  # with TOOLKIT_EMBEDDING=auto: each index's figures

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
            "removed_generations": self.removed_generations,
            "keep_generations": self.keep_generations,
            "notices": self.notices,
            "pages": self.pages,
            "pages_per_s": round(self.pages / self.seconds, 2) if self.pages and self.seconds > 0 else None,
            "timings_s": self.timings,
            "indexes": self.indexes,
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
    keep_generations: int = 2,
    on_page: Callable[[str, int, int], None] | None = None,
    on_step: Callable[[IngestStep], None] | None = None,
    read_cache: dict[tuple[str, str], Any] | None = None,
) -> IngestReport:
    """Bring the index up to date with the files under `paths`.

    Files outside `paths` that an earlier ingest added stay in the index. Unchanged files keep their
    chunks; changed files replace theirs; files gone from under `paths` lose theirs. A file that
    cannot be read is reported in `skipped` (an earlier good version of it stays in the index).
    After a successful ingest, the newest `keep_generations` complete generations are kept (the current
    one and, by default, the previous one) and older ones removed. A full disk removes the partial
    generation and raises DiskFullError; the previous index stays current.
    A PDF reports each page read to `on_page(file, page_no, pages_total)`; `on_step` hears where the ingest is
    (IngestStep: file k/n and page p/m while reading, texts embedded so far while embedding); without either,
    `progress` hears of every 25th page and the last. `read_cache` (shared by the builds of several indexes
    over the same files) keeps each file's chunks by path and SHA-256, so a file is read once.
    """
    if on_page is None and on_step is None and progress is not None:
        on_page = page_progress(progress)
    started = time.perf_counter()
    roots = [Path(p).resolve() for p in paths]
    with ingest_lock(index_dir):
        old, notices = _usable_old(location, embedder.name, rebuild)
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
        report = IngestReport(index=location.describe(), generation=old.generation if old else "",
                              keep_generations=keep_generations, notices=notices)
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
        read_s = 0.0
        for file_no, path in enumerate(files, start=1):
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
            t_read = time.perf_counter()
            try:
                doc_id, title, chunks, pages = _read(path, sha, max_bytes, chunk_size, chunk_overlap,
                                                     _page_events(on_page, on_step, embedder.name, file_no, len(files)),
                                                     read_cache)
            except DocumentError as exc:
                read_s += time.perf_counter() - t_read
                report.skipped.append((str(path), str(exc).removeprefix(f"{path}: ")))
                if prev and same_build:  # keep the last good version
                    new_files[key] = prev
                    reuse_ids.extend(prev["chunk_ids"])
                    doc_owner[prev["doc_id"]] = key
                continue
            if doc_id in doc_owner:
                report.skipped.append(
                    (str(path), f"document id '{doc_id}' is already used by {doc_owner[doc_id]}; "
                                "give this file another id")
                )
                continue
            read_s += time.perf_counter() - t_read
            doc_owner[doc_id] = key
            new_files[key] = {
                "sha256": sha,
                "doc_id": doc_id,
                "title": title,
                "chunk_ids": [c.id for c in chunks],
            }
            fresh.extend(chunks)
            report.pages += pages
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
        cache = None
        try:
            cache = EmbeddingCache(index_dir / "embedding-cache.sqlite", embedder.name)
            on_embed = None if on_step is None else (
                lambda what, done, total: on_step(IngestStep("embed", embedder.name, what=what, done=done, total=total)))
            write_generation(location, manifest, all_chunks, embedder, cache, progress=progress, on_embed=on_embed,
                             timings=report.timings)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
                location.remove_generation(manifest.generation)
                raise
            location.remove_generation(manifest.generation)  # never leave a partial generation behind
            if _disk_full(exc):
                raise DiskFullError(_disk_full_message(location, index_dir, old, all_chunks)) from exc
            if isinstance(exc, ToolkitError):
                raise
            raise ToolkitError(
                f"Ingest failed while writing the new index at {location.describe()} "
                f"({type(exc).__name__}: {str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ''}); "
                "the previous index stays current"
            ) from exc
        finally:
            if cache is not None:
                cache.close()
        report.timings = {"read_s": round(read_s, 3), **report.timings}
        report.removed_generations = prune_generations(location, manifest.generation, keep_generations)
        report.generation = manifest.generation
        report.documents = len(new_files)
        report.chunks = len(all_chunks)
        report.new_chunks = len(fresh)
        report.seconds = time.perf_counter() - started
        return report


def _read(path: Path, sha: str, max_bytes: int | None, size: int, overlap: int, on_page: Any,
          cache: dict[tuple[str, str], Any] | None) -> tuple[str, str, list[Chunk], int]:
    """(doc id, title, chunks, PDF pages) of a file, from `cache` when this content was read already.

    Raises:
        DocumentError: the file cannot be read, or holds no text to index.
    """
    key = (str(path.resolve()), f"{sha}:{size}:{overlap}:{CHUNKER_VERSION}")
    if cache is not None and key in cache:
        got = cache[key]
        if isinstance(got, DocumentError):
            raise got
        return got
    seen = [0]

    def counted(file: str, page: int, pages: int) -> None:
        seen[0] = pages
        if on_page is not None:
            on_page(file, page, pages)

    try:
        doc = load_document(path, max_bytes=max_bytes, on_page=counted)
        chunks = chunk_document(doc, size=size, overlap=overlap)
        if not chunks:
            raise DocumentError(f"{path}: no text to index")
    except DocumentError as exc:
        if cache is not None:
            cache[key] = exc
        raise
    out = (doc.doc_id, doc.title, chunks, seen[0])
    if cache is not None:
        cache[key] = out
    return out


def _page_events(on_page: Any, on_step: Any, index: str, file_no: int, files: int) -> Any:
    """The on_page callback for one file: on_page itself, and on_step told 'file k/n, page p/m'."""
    if on_step is not None:
        on_step(IngestStep("read", index, file_no, files))

    def both(file: str, page: int, pages: int) -> None:
        if on_page is not None:
            on_page(file, page, pages)
        if on_step is not None:
            on_step(IngestStep("read", index, file_no, files, file, page, pages))

    return both if (on_page is not None or on_step is not None) else None


def _usable_old(location: Location, embedding: str, rebuild: bool) -> tuple[Manifest | None, list[str]]:
    """The generation to build on: the current one when whole, else the last complete one (with a notice)."""
    from toolkit_assistant.errors import IndexNotBuiltError
    from toolkit_assistant.store.integrity import usable_generation

    try:
        usable = usable_generation(location, None if rebuild else embedding)
    except IndexNotBuiltError:
        return None, []
    except IndexDamagedError:
        if rebuild:
            return None, ["The damaged index was replaced by a complete rebuild."]
        raise
    if not usable.damaged:
        return usable.manifest, []
    if rebuild:
        return usable.manifest, ["The damaged index was replaced by a complete rebuild."]
    return usable.manifest, [
        f"The current index was damaged ({'; '.join(usable.damaged)}); this ingest built on the previous "
        "complete one (generation " + usable.manifest.generation + ")."
    ]


def prune_generations(location: Location, current: str, keep: int) -> list[str]:
    """Remove published generations beyond the newest `keep` (the current one always stays); their names."""
    from toolkit_assistant.store.integrity import check_files

    published = sorted(location.published_manifests(), key=lambda m: (m.created, m.generation), reverse=True)
    kept = {current}
    for m in published:
        if len(kept) >= max(keep, 1):
            break
        if m.generation != current and check_files(location, m).ok:  # a damaged one is no fallback
            kept.add(m.generation)
    removed = sorted({m.generation for m in published} - kept)
    for gen in removed:
        location.remove_generation(gen)
    location.cleanup(kept)  # and anything unpublished (a crashed ingest's leftovers)
    return removed


def _disk_full(exc: BaseException) -> bool:
    """True when an exception (or one of its causes) says the disk is full."""
    import errno

    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and cur.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(cur).lower()
        if "disk is full" in text or "no space left" in text or "disk full" in text or "database or disk" in text:
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def estimate_generation_bytes(location: Location, old: Manifest | None, chunks: list[Chunk]) -> int:
    """About how much disk a new generation takes: the previous one's size, or an estimate from the chunks."""
    gen_dir = location.gen_dir(old.generation) if old else None
    if gen_dir is not None and gen_dir.exists() and old is not None and old.chunk_count() >= len(chunks) * 0.8:
        return int(_dir_size(gen_dir) * max(1.0, len(chunks) / max(old.chunk_count(), 1)))
    text = sum(len(c.text.encode("utf-8")) for c in chunks)
    # per chunk: its vector and text twice (Chroma, chunks.jsonl); per sentence (~6 a chunk): a vector and
    # metadata; plus Chroma's fixed files (about 1.5 MB)
    return int(1.5e6 + len(chunks) * (384 * 4 * 2 * 7 + 2000) + 3 * text)


def _disk_full_message(location: Location, index_dir: Path, old: Manifest | None, chunks: list[Chunk]) -> str:
    import shutil

    need = estimate_generation_bytes(location, old, chunks)
    try:
        free = shutil.disk_usage(index_dir).free
    except OSError:
        free = 0
    kept = "the previous index stays current and answers as before" if old else "no index was published"
    return (
        f"Not enough disk space in {index_dir}: the new index needs about {need / 1e6:.1f} MB and "
        f"{free / 1e6:.1f} MB are free; the partial index was removed and {kept}. Free some space "
        "(or set TOOLKIT_INDEX_DIR to a larger disk) and run ingest again"
    )


def page_progress(progress: Callable[[str], None], every: int = 25) -> Callable[[str, int, int], None]:
    """An on_page callback that reports 'file: page n/N' through `progress` every `every` pages and at the end."""

    def on_page(file: str, page_no: int, pages_total: int) -> None:
        if page_no == pages_total or page_no % every == 0:
            progress(f"{Path(file).name}: page {page_no}/{pages_total}")

    return on_page


def _published_recently(location: Location, old: Manifest | None) -> set[str]:
    """Generations that were published (have a manifest) and may still be read: keep them."""
    return {m.generation for m in location.published_manifests()}
