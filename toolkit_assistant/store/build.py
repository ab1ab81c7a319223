"""Building a generation: what is embedded and tokenised for a chunk, the embedding cache, the ingest lock.

`write_generation` fills a generation's Chroma collections (chunk and sentence vectors), writes
its BM25 index and chunk list, then publishes it through its Location.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from toolkit_assistant.errors import IngestLockedError
from toolkit_assistant.store.location import Location, Manifest
from toolkit_assistant.text import split_sentences, stem, words
from toolkit_assistant.types import Chunk

BATCH = 1000  # records per Chroma write or read


def bm25_tokens(text: str) -> list[str]:
    """Tokens for BM25: stemmed words without stopwords (numbers kept)."""
    from toolkit_assistant.text import STOPWORDS

    return [stem(w) for w in words(text) if w not in STOPWORDS]


def embed_text(chunk: Chunk) -> str:
    """What the dense index embeds for a chunk: document and section titles, then the text."""
    return f"{chunk.title}. {chunk.section_title}.\n{chunk.text}"


def text_hash(text: str) -> str:
    """Short stable hash of a text (cache key)."""
    import hashlib

    return hashlib.sha1(text.encode("utf-8")).hexdigest()



class EmbeddingCache:
    """Embeddings of texts already seen, on disk (SQLite), keyed by model and text hash."""

    def __init__(self, path: Path, model: str) -> None:
        """Open or create the cache file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path))
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (model TEXT, h TEXT, v BLOB, PRIMARY KEY (model, h))")
        self.model = model

    def get_many(self, hashes: list[str]) -> dict[str, np.ndarray]:
        """Cached vectors for these hashes."""
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(hashes), 500):
            part = hashes[i : i + 500]
            q = f"SELECT h, v FROM emb WHERE model=? AND h IN ({','.join('?' * len(part))})"
            for h, v in self._db.execute(q, [self.model, *part]):
                out[h] = np.frombuffer(v, dtype=np.float32)
        return out

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        """Store vectors."""
        self._db.executemany(
            "INSERT OR REPLACE INTO emb VALUES (?, ?, ?)",
            [(self.model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()],
        )
        self._db.commit()

    def close(self) -> None:
        """Close the file."""
        self._db.close()


EMBED_BATCH = 256  # texts per call to the model during ingest: progress is reported after each


def embed_with_cache(texts: list[str], embedder: Any, cache: EmbeddingCache | None,
                     on_batch: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Embed texts, taking what the cache already has; `on_batch(done, total)` after each batch embedded.

    The texts still to embed go to the model longest first, EMBED_BATCH at a time, so a batch pads little.
    """
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    hashes = [text_hash(t) for t in texts]
    known = cache.get_many(sorted(set(hashes))) if cache else {}
    todo = sorted({h: t for h, t in zip(hashes, texts, strict=True) if h not in known}.items(),
                  key=lambda item: (-len(item[1]), item[0]))
    for i in range(0, len(todo), EMBED_BATCH):
        part = todo[i : i + EMBED_BATCH]
        vecs = embedder.embed_documents([t for _, t in part])
        fresh = {h: v for (h, _), v in zip(part, vecs, strict=True)}
        if cache:
            cache.put_many(fresh)
        known.update(fresh)
        if on_batch is not None:
            on_batch(min(i + EMBED_BATCH, len(todo)), len(todo))
    return np.stack([known[h] for h in hashes]).astype(np.float32)


@contextmanager
def ingest_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's ingest lock, or refuse at once with the holder's pid."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / "ingest.lock"
    fh = path.open("a+")
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise IngestLockedError(
                f"Another ingest (pid {holder}) is writing the index at {index_dir}; "
                "wait for it to finish, then run ingest again"
            ) from exc
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        finally:
            fh.close()


def write_generation(
    location: Location,
    manifest: Manifest,
    chunks: list[Chunk],
    embedder: Any,
    cache: EmbeddingCache | None,
    *,
    progress: Any = None,
    on_embed: Callable[[str, int, int], None] | None = None,
    timings: dict[str, float] | None = None,
) -> None:
    """Build a complete generation (vectors, sentences, BM25, chunk list) aside, then publish it.

    Args:
        progress: called with a short message after each stage.
        on_embed: called as on_embed(what, done, total) while "sentences" or "chunks" are embedded.
        timings: filled with the seconds of each stage (embed_sentences, embed_chunks, vectors_store, files).
    """
    clock = time.perf_counter()
    spent = timings if timings is not None else {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        spent[name] = round(spent.get(name, 0.0) + now - clock, 3)
        clock = now

    def batches(what: str) -> Callable[[int, int], None] | None:
        return None if on_embed is None else (lambda done, total: on_embed(what, done, total))

    gen = manifest.generation
    col_chunks, col_sents = location.collections(gen, create=True)
    sent_ids, sent_texts, sent_meta, owner = [], [], [], []
    for k, c in enumerate(chunks):
        for j, span in enumerate(split_sentences(c.text)):
            sent_ids.append(f"{c.id}#{j}")
            sent_texts.append(span.text)
            sent_meta.append({"chunk_id": c.id, "start": span.start, "end": span.end})
            owner.append(k)
    svecs = embed_with_cache(sent_texts, embedder, cache, batches("sentences"))
    lap("embed_sentences_s")
    if progress:
        progress(f"sentences {len(sent_ids)} embedded")
    if getattr(embedder, "chunk_vectors_from_sentences", False) and len(svecs):
        # a slow model embeds each sentence once: a chunk's vector is the mean of its sentences' vectors
        vecs = np.zeros((len(chunks), svecs.shape[1]), dtype=np.float32)
        np.add.at(vecs, np.asarray(owner), svecs)
        counts = np.bincount(np.asarray(owner), minlength=len(chunks)).astype(np.float32)
        vecs /= np.maximum(counts, 1.0)[:, None]
        # plus what the chunk is about, as its headings say (one short text per section, embedded once)
        heads = [f"{c.title}: {c.section_title}" for c in chunks]
        unique = list(dict.fromkeys(heads))
        hvecs = dict(zip(unique, embed_with_cache(unique, embedder, cache), strict=True))
        vecs += np.stack([hvecs[h] for h in heads])
        empty = [k for k in range(len(chunks)) if counts[k] == 0]
        if empty:
            vecs[empty] = embed_with_cache([embed_text(chunks[k]) for k in empty], embedder, cache)
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    else:
        vecs = embed_with_cache([embed_text(c) for c in chunks], embedder, cache, batches("chunks"))
    lap("embed_chunks_s")
    for i in range(0, len(chunks), BATCH):
        part = chunks[i : i + BATCH]
        col_chunks.add(
            ids=[c.id for c in part],
            embeddings=vecs[i : i + BATCH].tolist(),
            documents=[c.text for c in part],
            metadatas=[c.metadata() for c in part],
        )
        if progress:
            progress(f"vectors {min(i + BATCH, len(chunks))}/{len(chunks)} chunks")
    for i in range(0, len(sent_ids), BATCH):
        col_sents.add(
            ids=sent_ids[i : i + BATCH],
            embeddings=svecs[i : i + BATCH].tolist(),
            metadatas=sent_meta[i : i + BATCH],
        )
    lap("vectors_store_s")
    gen_dir = location.gen_dir(gen)
    if gen_dir is not None:
        with (gen_dir / "chunks.jsonl").open("w", encoding="utf-8") as fh:
            for c in chunks:
                fh.write(json.dumps({"id": c.id, "text": c.text, "meta": c.metadata()}, ensure_ascii=False) + "\n")
        bm25 = build_bm25(chunks)
        if bm25 is not None:
            bm25.save(str(gen_dir / "bm25"))
        from toolkit_assistant.store.integrity import file_checks

        manifest.checks = file_checks(gen_dir)
    manifest.counts = {"chunks": len(chunks), "sentences": len(sent_ids)}
    location.publish(manifest)
    lap("files_s")


def build_bm25(chunks: list[Chunk]) -> Any:
    """A bm25s index over the chunks' titles and text (None for an empty list)."""
    import bm25s

    if not chunks:
        return None
    retriever = bm25s.BM25()
    retriever.index([bm25_tokens(embed_text(c)) or ["_empty_"] for c in chunks], show_progress=False)
    return retriever

