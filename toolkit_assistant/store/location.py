"""Where index generations live and which one is current: a folder of generations, or a Chroma server.

Each ingest writes a complete new generation aside and then `publish`es it: an atomic swap of
CURRENT.json (embedded) or one upsert of the pointer record (server), so a reader never sees a
half-built index.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from toolkit_assistant.errors import ConfigError, IndexNotBuiltError


def chroma_settings() -> Any:
    """Chroma client settings: no telemetry, no reset."""
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
    # size and SHA-256 of the generation's own files, and its vector counts (store/integrity.py checks them)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        """Serialise."""
        return json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Manifest:
        """Parse."""
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("a manifest is a JSON object")
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

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

    def published_manifests(self) -> list[Manifest]:
        """Manifests of every published generation still stored (the current one included)."""
        return []

    def remove_generation(self, gen: str) -> None:
        """Delete one generation (a partial one after a failed ingest, or an old one)."""
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

    def read_pointer(self) -> Manifest | None:
        """The manifest CURRENT.json holds (None when there is none; ValueError when it is garbled)."""
        try:
            raw = self.pointer.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return Manifest.from_json(raw)

    def read_manifest(self) -> Manifest | None:
        """Read the manifest of the generation CURRENT.json names."""
        manifest = self.read_pointer()
        if manifest is None:
            return None
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
            client = chromadb.PersistentClient(path=str(path), settings=chroma_settings())
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

    def published_manifests(self) -> list[Manifest]:
        """The manifest.json of every generation folder that has one."""
        gens = self.index_dir / "gens"
        if not gens.exists():
            return []
        found = (read_manifest_file(d / "manifest.json") for d in sorted(gens.iterdir()))
        return [m for m in found if m is not None]

    def remove_generation(self, gen: str) -> None:
        """Remove a generation folder."""
        self._clients.pop(gen, None)
        shutil.rmtree(self.gen_dir(gen), ignore_errors=True)

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

        def connect() -> Any:
            client = chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=chroma_settings(),
            )
            client.heartbeat()
            return client

        self.client = with_retry(url, connect, any_error=True)

    def heartbeat(self) -> None:
        """Raise IndexServerDown unless the server answers (after short retries)."""
        with_retry(self.url, self.client.heartbeat)

    def describe(self) -> str:
        """The server URL and prefix."""
        return f"{self.url} (collections {self.prefix}_*)"

    def _meta(self) -> Any:
        return with_retry(self.url, lambda: self.client.get_or_create_collection(
            f"{self.prefix}_meta", embedding_function=None, metadata={"hnsw:space": "cosine"}
        ))

    def read_manifest(self) -> Manifest | None:
        """Read the manifest record."""
        meta = self._meta()
        got = with_retry(self.url, lambda: meta.get(ids=["current"], include=["documents"]))
        docs = got.get("documents") or []
        return Manifest.from_json(docs[0]) if docs else None

    def pointer_token(self) -> str:
        """The current generation's name."""
        meta = self._meta()
        got = with_retry(self.url, lambda: meta.get(ids=["current"], include=["metadatas"]))
        metas = got.get("metadatas") or []
        return str(metas[0].get("generation")) if metas else ""

    def collections(self, gen: str, *, create: bool) -> tuple[Any, Any]:
        """The generation's collections on the server (each call retried, a dead server named)."""
        pair = with_retry(self.url, lambda: _open_pair(
            self.client, f"{self.prefix}_{gen}_chunks", f"{self.prefix}_{gen}_sentences", create=create
        ))
        return GuardedCollection(pair[0], self.url), GuardedCollection(pair[1], self.url)

    def publish(self, manifest: Manifest) -> None:
        """Upsert the generation's record, then the pointer record (a single write, atomic on the server)."""
        meta = self._meta()
        for rid in (f"gen:{manifest.generation}", "current"):
            with_retry(self.url, lambda rid=rid: meta.upsert(
                ids=[rid],
                documents=[manifest.to_json()],
                embeddings=[[1.0]],
                metadatas=[{"generation": manifest.generation}],
            ))

    def published_manifests(self) -> list[Manifest]:
        """The generation records of the meta collection."""
        meta = self._meta()
        got = with_retry(self.url, lambda: meta.get(include=["documents"]))
        out = []
        for rid, doc in zip(got.get("ids") or [], got.get("documents") or [], strict=False):
            if rid.startswith("gen:") and doc:
                try:
                    out.append(Manifest.from_json(doc))
                except (ValueError, TypeError):
                    continue
        return out

    def remove_generation(self, gen: str) -> None:
        """Delete a generation's collections and record."""
        for name in (f"{self.prefix}_{gen}_chunks", f"{self.prefix}_{gen}_sentences"):
            try:
                self.client.delete_collection(name)
            except Exception:  # noqa: BLE001 - already gone
                pass
        try:
            self._meta().delete(ids=[f"gen:{gen}"])
        except Exception:  # noqa: BLE001 - already gone
            pass

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
        try:
            meta = self._meta()
            stale = [r for r in meta.get(include=[]).get("ids") or [] if r.startswith("gen:") and r[4:] not in keep]
            if stale:
                meta.delete(ids=stale)
        except Exception:  # noqa: BLE001 - cleanup is best effort
            pass


RETRY_DELAYS_S = (0.2, 0.5, 1.0)  # short backoff before a Chroma server is declared down


def _is_connection_error(exc: BaseException) -> bool:
    """A failure to reach the server (refused, reset, timed out), looking through the exception's causes."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        name = type(cur).__name__
        if isinstance(cur, ConnectionError | TimeoutError) or name in {
            "ConnectError", "ConnectTimeout", "ReadError", "ReadTimeout", "RemoteProtocolError", "WriteError",
            "PoolTimeout", "NetworkError", "TransportError",
        }:
            return True
        text = str(cur)
        if "Connection refused" in text or "Could not connect to a Chroma server" in text:
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def with_retry(url: str, fn: Any, *, any_error: bool = False) -> Any:
    """fn(), retried with a short backoff when the server does not answer; then IndexServerDown.

    any_error: treat every failure as the server not answering (used when connecting).
    """
    from toolkit_assistant.errors import IndexServerDown

    for delay in (*RETRY_DELAYS_S, None):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - sorted below
            if not (any_error or _is_connection_error(exc)):
                raise
            if delay is None:
                raise IndexServerDown(url) from exc
            time.sleep(delay)
    raise AssertionError("unreachable")


class GuardedCollection:
    """A server collection whose calls are retried briefly and fail as IndexServerDown when the server is gone."""

    def __init__(self, col: Any, url: str) -> None:
        """Wrap a collection of the server at url."""
        self._col = col
        self._url = url

    def __getattr__(self, name: str) -> Any:
        """Methods retried; other attributes as they are."""
        attr = getattr(self._col, name)
        if not callable(attr):
            return attr
        return lambda *a, **kw: with_retry(self._url, lambda: attr(*a, **kw))


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


def read_manifest_file(path: Path) -> Manifest | None:
    """A generation's manifest.json, or None when it is missing or unreadable."""
    try:
        return Manifest.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError, json.JSONDecodeError):
        return None
