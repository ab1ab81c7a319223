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
                settings=chroma_settings(),
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

