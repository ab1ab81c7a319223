"""The index: Chroma collections (chunks and their sentences, as vectors) plus a BM25 index.

Each ingest writes a complete new *generation* aside and then moves a pointer to it in one atomic
step, so a reader never sees a half-built index and a crash mid-ingest leaves the previous one
answering. Two places can hold generations:

* embedded (default): ``<index_dir>/gens/<gen>/`` with a Chroma PersistentClient folder, the BM25
  files, ``chunks.jsonl`` and ``manifest.json``; the pointer is ``<index_dir>/CURRENT.json``.
* a Chroma server (``TOOLKIT_CHROMA_URL``): collections ``<prefix>_<gen>_chunks`` and
  ``<prefix>_<gen>_sentences``; the pointer and manifest are a record of ``<prefix>_meta``. Every
  process that reads from the server sees a new generation on its next question.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from toolkit_assistant.errors import (
    ConfigError,
    IndexMismatchError,
    IndexNotBuiltError,
    IngestLockedError,
)
from toolkit_assistant.text import content_terms, split_sentences, stem, words
from toolkit_assistant.types import Chunk

_BATCH = 1000


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


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def new_generation_name() -> str:
    """A sortable, unique generation name."""
    return f"g{time.strftime('%Y%m%d%H%M%S', time.gmtime())}{uuid.uuid4().hex[:6]}"


@dataclass
class Manifest:
    """What an index holds: per source file, its hash and chunk ids; and how it was built."""

    generation: str
    embedding: str
    chunk_size: int
    chunk_overlap: int
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    chunker_version: int = 0

    def to_json(self) -> str:
        """Serialise."""
        return json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Manifest:
        """Parse."""
        data = json.loads(raw)
        return cls(**data)

    def chunk_count(self) -> int:
        """Chunks in the index."""
        return sum(len(f.get("chunk_ids", [])) for f in self.files.values())


class Location:
    """Where generations live and how the current one is named. Subclasses: embedded, server."""

    def describe(self) -> str:
        """A human-readable place, for messages."""
        raise NotImplementedError

    def read_manifest(self) -> Manifest | None:
        """The manifest of the current generation, or None when no index exists."""
        raise NotImplementedError

    def pointer_token(self) -> str:
        """A cheap value that changes whenever the current generation changes."""
        raise NotImplementedError

    def collections(self, gen: str, *, create: bool) -> tuple[Any, Any]:
        """The (chunks, sentences) Chroma collections of a generation."""
        raise NotImplementedError

    def gen_dir(self, gen: str) -> Path | None:
        """A local folder for a generation's files (embedded only)."""
        return None

    def publish(self, manifest: Manifest) -> None:
        """Make `manifest.generation` current, atomically."""
        raise NotImplementedError

    def cleanup(self, keep: set[str]) -> None:
        """Delete generations not in `keep`."""
        raise NotImplementedError


class EmbeddedLocation(Location):
    """Generations in folders under the index dir; the pointer is CURRENT.json."""

    def __init__(self, index_dir: Path) -> None:
        """Use this index folder."""
        self.index_dir = index_dir
        self.pointer = index_dir / "CURRENT.json"
        self._clients: dict[str, Any] = {}

    def describe(self) -> str:
        """The index folder."""
        return str(self.index_dir)

    def read_manifest(self) -> Manifest | None:
        """Read the manifest of the generation CURRENT.json names."""
        try:
            raw = self.pointer.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        manifest = Manifest.from_json(raw)
        if not (self.index_dir / "gens" / manifest.generation / "chroma").exists():
            return None
        return manifest

    def pointer_token(self) -> str:
        """CURRENT.json's modification time and size."""
        try:
            st = self.pointer.stat()
        except FileNotFoundError:
            return ""
        return f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"

    def gen_dir(self, gen: str) -> Path:
        """The folder of a generation."""
        return self.index_dir / "gens" / gen

    def collections(self, gen: str, *, create: bool) -> tuple[Any, Any]:
        """Open (or create) the generation's Chroma collections, without Chroma's embedder."""
        import chromadb

        path = self.gen_dir(gen) / "chroma"
        if not create and not path.exists():
            raise IndexNotBuiltError(str(self.index_dir))
        path.mkdir(parents=True, exist_ok=True)
        client = self._clients.get(gen)
        if client is None:
            client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
            self._clients[gen] = client
        return _open_pair(client, "chunks", "sentences", create=create)

    def publish(self, manifest: Manifest) -> None:
        """Write manifest.json into the generation, then swap CURRENT.json atomically."""
        data = manifest.to_json()
        gen_dir = self.gen_dir(manifest.generation)
        (gen_dir / "manifest.json").write_text(data, encoding="utf-8")
        tmp = self.index_dir / f".CURRENT.{os.getpid()}.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.pointer)
        _fsync_dir(self.index_dir)

    def cleanup(self, keep: set[str]) -> None:
        """Remove generation folders not kept (and stray temporary files)."""
        gens = self.index_dir / "gens"
        if gens.exists():
            for d in gens.iterdir():
                if d.name not in keep:
                    self._clients.pop(d.name, None)
                    shutil.rmtree(d, ignore_errors=True)
        for tmp in self.index_dir.glob(".CURRENT.*.tmp"):
            tmp.unlink(missing_ok=True)


class ServerLocation(Location):
    """Generations as collections in a Chroma server; the pointer is a record in <prefix>_meta."""

    def __init__(self, url: str, prefix: str) -> None:
        """Connect to the server at `url` (http://host:port)."""
        import chromadb

        parsed = urlparse(url if "://" in url else f"http://{url}")
        if not parsed.hostname:
            raise ConfigError(f"TOOLKIT_CHROMA_URL={url!r} is not a URL like http://127.0.0.1:8000")
        self.url = url
        self.prefix = prefix
        try:
            self.client = chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=_chroma_settings(),
            )
            self.client.heartbeat()
        except Exception as exc:  # noqa: BLE001 - any connection failure
            raise ConfigError(
                f"Cannot reach the Chroma server at {url} ({type(exc).__name__}). Start one with: "
                "chroma run --path DIR --host 127.0.0.1 --port 8000, or unset TOOLKIT_CHROMA_URL"
            ) from exc

    def describe(self) -> str:
        """The server URL and prefix."""
        return f"{self.url} (collections {self.prefix}_*)"

    def _meta(self) -> Any:
        return self.client.get_or_create_collection(
            f"{self.prefix}_meta", embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    def read_manifest(self) -> Manifest | None:
        """Read the manifest record."""
        got = self._meta().get(ids=["current"], include=["documents"])
        docs = got.get("documents") or []
        return Manifest.from_json(docs[0]) if docs else None

    def pointer_token(self) -> str:
        """The current generation's name."""
        got = self._meta().get(ids=["current"], include=["metadatas"])
        metas = got.get("metadatas") or []
        return str(metas[0].get("generation")) if metas else ""

    def collections(self, gen: str, *, create: bool) -> tuple[Any, Any]:
        """The generation's collections on the server."""
        return _open_pair(
            self.client, f"{self.prefix}_{gen}_chunks", f"{self.prefix}_{gen}_sentences", create=create
        )

    def publish(self, manifest: Manifest) -> None:
        """Upsert the pointer record (a single write, atomic on the server)."""
        self._meta().upsert(
            ids=["current"],
            documents=[manifest.to_json()],
            embeddings=[[1.0]],
            metadatas=[{"generation": manifest.generation}],
        )

    def cleanup(self, keep: set[str]) -> None:
        """Delete collections of generations not kept."""
        for col in self.client.list_collections():
            name = col if isinstance(col, str) else col.name
            if not name.startswith(f"{self.prefix}_g"):
                continue
            gen = name[len(self.prefix) + 1 :].rsplit("_", 1)[0]
            if gen not in keep:
                try:
                    self.client.delete_collection(name)
                except Exception:  # noqa: BLE001 - already gone
                    pass


def _open_pair(client: Any, chunks_name: str, sentences_name: str, *, create: bool) -> tuple[Any, Any]:
    """Open two cosine-space collections with no embedding function (never Chroma's default)."""
    meta = {"hnsw:space": "cosine"}
    if create:
        a = client.get_or_create_collection(chunks_name, embedding_function=None, metadata=meta)
        b = client.get_or_create_collection(sentences_name, embedding_function=None, metadata=meta)
    else:
        a = client.get_collection(chunks_name, embedding_function=None)
        b = client.get_collection(sentences_name, embedding_function=None)
    return a, b


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def location_for(index_dir: Path, chroma_url: str | None, prefix: str) -> Location:
    """The location the settings name."""
    if chroma_url:
        return ServerLocation(chroma_url, prefix)
    return EmbeddedLocation(index_dir)


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


def embed_with_cache(texts: list[str], embedder: Any, cache: EmbeddingCache | None) -> np.ndarray:
    """Embed texts, taking what the cache already has."""
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    hashes = [text_hash(t) for t in texts]
    known = cache.get_many(sorted(set(hashes))) if cache else {}
    todo = sorted({h: t for h, t in zip(hashes, texts, strict=True) if h not in known}.items())
    if todo:
        vecs = embedder.embed_documents([t for _, t in todo])
        fresh = {h: v for (h, _), v in zip(todo, vecs, strict=True)}
        if cache:
            cache.put_many(fresh)
        known.update(fresh)
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
) -> None:
    """Build a complete generation (vectors, sentences, BM25, chunk list) aside, then publish it."""
    gen = manifest.generation
    col_chunks, col_sents = location.collections(gen, create=True)
    vecs = embed_with_cache([embed_text(c) for c in chunks], embedder, cache)
    for i in range(0, len(chunks), _BATCH):
        part = chunks[i : i + _BATCH]
        col_chunks.add(
            ids=[c.id for c in part],
            embeddings=vecs[i : i + _BATCH].tolist(),
            documents=[c.text for c in part],
            metadatas=[c.metadata() for c in part],
        )
        if progress:
            progress(f"vectors {min(i + _BATCH, len(chunks))}/{len(chunks)} chunks")
    sent_ids, sent_texts, sent_meta = [], [], []
    for c in chunks:
        for j, span in enumerate(split_sentences(c.text)):
            sent_ids.append(f"{c.id}#{j}")
            sent_texts.append(span.text)
            sent_meta.append({"chunk_id": c.id, "start": span.start, "end": span.end})
    svecs = embed_with_cache(sent_texts, embedder, cache)
    for i in range(0, len(sent_ids), _BATCH):
        col_sents.add(
            ids=sent_ids[i : i + _BATCH],
            embeddings=svecs[i : i + _BATCH].tolist(),
            metadatas=sent_meta[i : i + _BATCH],
        )
    if progress:
        progress(f"sentences {len(sent_ids)} embedded")
    gen_dir = location.gen_dir(gen)
    if gen_dir is not None:
        with (gen_dir / "chunks.jsonl").open("w", encoding="utf-8") as fh:
            for c in chunks:
                fh.write(json.dumps({"id": c.id, "text": c.text, "meta": c.metadata()}, ensure_ascii=False) + "\n")
        bm25 = build_bm25(chunks)
        if bm25 is not None:
            bm25.save(str(gen_dir / "bm25"))
    location.publish(manifest)


def build_bm25(chunks: list[Chunk]) -> Any:
    """A bm25s index over the chunks' titles and text (None for an empty list)."""
    import bm25s

    if not chunks:
        return None
    retriever = bm25s.BM25()
    retriever.index([bm25_tokens(embed_text(c)) or ["_empty_"] for c in chunks], show_progress=False)
    return retriever


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
        token = self.location.pointer_token()
        manifest = self.location.read_manifest()
        if manifest is None:
            raise IndexNotBuiltError(self.location.describe())
        if manifest.embedding != self.embedder.name:
            raise IndexMismatchError(
                f"The index at {self.location.describe()} was built with {manifest.embedding}, but "
                f"the configured embedding model is {self.embedder.name}. Rebuild it with: "
                "toolkit-assistant ingest --rebuild (or set TOOLKIT_EMBEDDING back)"
            )
        col_chunks, col_sents = self.location.collections(manifest.generation, create=False)
        chunks = load_chunks(self.location, manifest, col_chunks)
        bm25 = None
        gen_dir = self.location.gen_dir(manifest.generation)
        if gen_dir is not None and (gen_dir / "bm25").exists():
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
                self._open()
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
    for offset in range(0, total, _BATCH):
        got = col.get(include=["documents", "metadatas"], limit=_BATCH, offset=offset)
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


__all__ = [
    "EmbeddedLocation",
    "EmbeddingCache",
    "IndexReader",
    "Location",
    "Manifest",
    "ServerLocation",
    "bm25_tokens",
    "build_bm25",
    "content_terms",
    "embed_text",
    "ingest_lock",
    "location_for",
    "new_generation_name",
    "write_generation",
]
