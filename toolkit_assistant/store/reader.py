"""Reading the current generation: chunks, vectors and BM25, reopened when a newer one is published."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import numpy as np

from toolkit_assistant.errors import IndexDamagedError, IndexMismatchError, IndexNotBuiltError
from toolkit_assistant.store.build import BATCH, build_bm25
from toolkit_assistant.store.location import Location, Manifest
from toolkit_assistant.types import Chunk


class IndexReader:
    """The current generation, opened for reading; reopens itself when a newer one is published."""

    def __init__(self, location: Location, embedder: Any) -> None:
        """Open the current generation.

        Raises:
            IndexNotBuiltError: there is no index yet.
            IndexMismatchError: the index was built with another embedding model.
        """
        self.location = location
        self.embedder = embedder
        self._lock = threading.RLock()
        self._token = ""
        self._checked = 0.0
        self._open()

    def _open(self) -> None:
        from toolkit_assistant.store.integrity import usable_generation

        token = self.location.pointer_token()
        usable = usable_generation(self.location, self.embedder.name)  # falls back past a damaged generation
        manifest = usable.manifest
        col_chunks, col_sents = usable.cols
        chunks = load_chunks(self.location, manifest, col_chunks)
        bm25 = None
        gen_dir = self.location.gen_dir(manifest.generation)
        if gen_dir is not None and (gen_dir / "bm25").exists() and not usable.repairs:
            import bm25s

            bm25 = bm25s.BM25.load(str(gen_dir / "bm25"))
        elif chunks:
            bm25 = build_bm25(chunks)
        self.manifest = manifest
        self.chunks = chunks
        self.by_id = {c.id: c for c in chunks}
        self.col_chunks = col_chunks
        self.col_sents = col_sents
        self.bm25 = bm25
        # said with every answer: the index was damaged and an earlier one answers, or a part was rebuilt
        self.notices: tuple[str, ...] = tuple(usable.notices)
        self._sent_cache: dict[str, tuple[list[tuple[int, int]], np.ndarray]] = {}
        self._token = token
        self._checked = time.monotonic()

    def refresh(self, min_interval_s: float = 0.5) -> bool:
        """Reopen if another process published a newer generation; True if it did."""
        now = time.monotonic()
        if now - self._checked < min_interval_s:
            return False
        with self._lock:
            self._checked = now
            try:
                token = self.location.pointer_token()
            except Exception:  # noqa: BLE001 - keep serving the generation we have
                return False
            if token and token != self._token:
                try:
                    self._open()
                except (IndexDamagedError, IndexNotBuiltError, IndexMismatchError):
                    self._token = token  # keep serving the generation we have; `check` names the damage
                    return False
                return True
        return False

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, tuple[list[tuple[int, int]], np.ndarray]]:
        """For each chunk: its sentence spans and their vectors (fetched once, then cached)."""
        missing = [cid for cid in chunk_ids if cid not in self._sent_cache]
        if missing:
            got = self.col_sents.get(
                where={"chunk_id": {"$in": missing}} if len(missing) > 1 else {"chunk_id": missing[0]},
                include=["embeddings", "metadatas"],
            )
            rows: dict[str, list[tuple[int, int, int, np.ndarray]]] = {cid: [] for cid in missing}
            for sid, meta, emb in zip(got["ids"], got["metadatas"], got["embeddings"], strict=True):
                j = int(sid.rsplit("#", 1)[1])
                rows.setdefault(meta["chunk_id"], []).append(
                    (j, int(meta["start"]), int(meta["end"]), np.asarray(emb, dtype=np.float32))
                )
            for cid, items in rows.items():
                items.sort(key=lambda t: t[0])
                spans = [(a, b) for _, a, b, _ in items]
                mat = np.stack([v for *_, v in items]) if items else np.zeros((0, self.embedder.dim), np.float32)
                self._sent_cache[cid] = (spans, mat)
        return {cid: self._sent_cache[cid] for cid in chunk_ids if cid in self._sent_cache}

    def chunk_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors of some chunks."""
        if not chunk_ids:
            return {}
        got = self.col_chunks.get(ids=chunk_ids, include=["embeddings"])
        return {cid: np.asarray(e, dtype=np.float32) for cid, e in zip(got["ids"], got["embeddings"], strict=True)}

    def documents(self) -> list[dict[str, Any]]:
        """One row per document: id, title, kind, year, status, chunks, source path."""
        return documents_of(self.chunks)


def load_chunks(location: Location, manifest: Manifest, col: Any = None) -> list[Chunk]:
    """All chunks of a generation: from chunks.jsonl when local, else from the Chroma collection."""
    gen_dir = location.gen_dir(manifest.generation)
    out: list[Chunk] = []
    if gen_dir is not None and (gen_dir / "chunks.jsonl").exists():
        with (gen_dir / "chunks.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                out.append(Chunk.from_metadata(rec["id"], rec["text"], rec["meta"]))
        return out
    if col is None:
        col, _ = location.collections(manifest.generation, create=False)
    total = col.count()
    for offset in range(0, total, BATCH):
        got = col.get(include=["documents", "metadatas"], limit=BATCH, offset=offset)
        for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
            out.append(Chunk.from_metadata(cid, doc, meta))
    order = {cid: i for f in manifest.files.values() for i, cid in enumerate(f.get("chunk_ids", []))}
    out.sort(key=lambda c: (c.doc_id, order.get(c.id, 0)))
    return out


def documents_of(chunks: list[Chunk]) -> list[dict[str, Any]]:
    """One row per document: id, title, kind, year, status, chunks, sections, source path."""
    rows: dict[str, dict[str, Any]] = {}
    for c in chunks:
        row = rows.setdefault(
            c.doc_id,
            {"doc_id": c.doc_id, "title": c.title, "kind": c.kind, "year": c.year,
             "status": c.status, "language": c.language, "source_url": c.source_url,
             "path": c.source_path, "chunks": 0, "sections": []},
        )
        row["chunks"] += 1
        label = f"{c.section} {c.section_title}".strip()
        if label not in row["sections"]:
            row["sections"].append(label)
    return sorted(rows.values(), key=lambda r: r["doc_id"])
