"""The index: Chroma collections (chunks and their sentences, as vectors) plus a BM25 index.

Each ingest writes a complete new *generation* aside and then moves a pointer to it in one atomic
step, so a reader never sees a half-built index and a crash mid-ingest leaves the previous one
answering. Two places can hold generations:

* embedded (default): ``<index_dir>/gens/<gen>/`` with a Chroma PersistentClient folder, the BM25
  files, ``chunks.jsonl`` and ``manifest.json``; the pointer is ``<index_dir>/CURRENT.json``.
* a Chroma server (``TOOLKIT_CHROMA_URL``): collections ``<prefix>_<gen>_chunks`` and
  ``<prefix>_<gen>_sentences``; the pointer and manifest are a record of ``<prefix>_meta``. Every
  process that reads from the server sees a new generation on its next question.

The package, by concern: `location` (where generations live, the manifest, publishing),
`build` (embedding cache, BM25, the ingest lock, writing a generation), `reader` (the current
generation, opened for reading). The names below are the ones the pipeline stages import.
"""

from toolkit_assistant.store.build import (
    EmbeddingCache,
    bm25_tokens,
    build_bm25,
    embed_text,
    embed_with_cache,
    ingest_lock,
    text_hash,
    write_generation,
)
from toolkit_assistant.store.location import (
    EmbeddedLocation,
    Location,
    Manifest,
    ServerLocation,
    chroma_settings,
    location_for,
    new_generation_name,
)
from toolkit_assistant.store.reader import IndexReader, documents_of, load_chunks

__all__ = [
    "EmbeddedLocation",
    "EmbeddingCache",
    "IndexReader",
    "Location",
    "Manifest",
    "ServerLocation",
    "bm25_tokens",
    "build_bm25",
    "chroma_settings",
    "documents_of",
    "embed_text",
    "embed_with_cache",
    "ingest_lock",
    "load_chunks",
    "location_for",
    "new_generation_name",
    "text_hash",
    "write_generation",
]
