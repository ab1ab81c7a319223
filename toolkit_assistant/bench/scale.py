"""5. Scale: the corpus replicated xN (distinct ids, lightly perturbed text, perturbed copies of its vectors).

Scale builds reuse vectors, so their ingest time measures indexing (Chroma + BM25), not embedding.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit_assistant.bench import BenchError
from toolkit_assistant.bench.baselines import RECALL_K, measure_retrieval
from toolkit_assistant.bench.latency import measure_latency
from toolkit_assistant.bench.questions import BenchCase

SCALE_NOTE = (
    "scale replicas reuse perturbed vectors; ingest time at scale measures indexing (Chroma+BM25), not embedding"
)
NOISE_SIGMA = 0.01  # per-dimension noise on replica vectors: cosine to the original about 0.98


def original_chunk_id(chunk_id: str) -> str:
    """The id of the chunk a scale replica was copied from (replica doc ids end in --x<N>)."""
    return re.sub(r"--x\d+(?=:)", "", chunk_id, count=1)


_SWAP = re.compile(r"(?<=\s)([a-z]{3,}) ([a-z]{3,})(?=\s)")
_SYNONYMS = {
    "court": "tribunal", "courts": "tribunals", "judges": "magistrates", "judge": "magistrate",
    "systems": "tools", "system": "tool", "important": "significant", "states": "countries",
    "guidance": "advice", "training": "instruction", "rights": "entitlements", "public": "open",
    "use": "employ", "risks": "dangers", "human": "personal", "data": "information",
}


def perturb_sentence(sentence: str, rng: Any) -> str:
    """A light variant of a sentence: two inner words swapped, and maybe a word replaced by a synonym."""
    padded = f" {sentence} "
    pairs = list(_SWAP.finditer(padded))
    if pairs:
        m = pairs[rng.randrange(len(pairs))]
        padded = padded[: m.start()] + f"{m.group(2)} {m.group(1)}" + padded[m.end() :]
    words = [w for w in _SYNONYMS if re.search(rf"(?<=\s){w}(?=\s)", padded)]
    if words:
        w = words[rng.randrange(len(words))]
        padded = re.sub(rf"(?<=\s){w}(?=\s)", _SYNONYMS[w], padded, count=1)
    return padded[1:-1]


def perturb_text(text: str, seed: str) -> tuple[str, list[str]] | None:
    """The text with each sentence lightly changed, and its sentences; None if the split would change."""
    import random

    from toolkit_assistant.text import split_sentences

    rng = random.Random(seed)
    spans = split_sentences(text)
    pieces, pos, new_sents = [], 0, []
    for span in spans:
        new = perturb_sentence(span.text, rng)
        pieces.append(text[pos : span.start])
        pieces.append(new)
        new_sents.append(new)
        pos = span.end
    pieces.append(text[pos:])
    out = "".join(pieces)
    if [s.text for s in split_sentences(out)] != new_sents:
        return None
    return out, new_sents


def _noisy(vec: Any, rng: Any) -> Any:
    import numpy as np

    v = vec + rng.normal(0.0, NOISE_SIGMA, size=vec.shape).astype(np.float32)
    return (v / np.linalg.norm(v)).astype(np.float32)


@dataclass
class Replicas:
    """A replicated collection: its chunks, and a vector for every text write_generation will embed."""

    chunks: list[Any]
    vectors: dict[str, Any]  # text hash -> vector
    sentences: int
    unperturbed_chunks: int


def make_replicas(reader: Any, factor: int) -> Replicas:
    """The collection `factor` times: copy 0 is the original; copies r>=1 get doc ids `<doc>--x<r>`."""
    import dataclasses

    import numpy as np

    from toolkit_assistant.store import embed_text, text_hash

    chunks = list(reader.chunks)
    ids = [c.id for c in chunks]
    chunk_vecs = reader.chunk_vectors(ids)
    sent_vecs = reader.sentence_vectors(ids)
    vectors: dict[str, Any] = {}
    out: list[Any] = []
    sentences = 0
    unperturbed = 0
    rng = np.random.default_rng(12345)
    for c in chunks:  # the original
        spans, mat = sent_vecs.get(c.id, ([], np.zeros((0, reader.embedder.dim), np.float32)))
        vectors[text_hash(embed_text(c))] = chunk_vecs[c.id]
        for (a, b), v in zip(spans, mat, strict=True):
            vectors[text_hash(c.text[a:b])] = v
        sentences += len(spans)
        out.append(c)
    for r in range(1, factor):
        for c in chunks:
            if not c.id.startswith(c.doc_id + ":"):
                raise BenchError(f"chunk id {c.id} does not start with its document id {c.doc_id}")
            spans, mat = sent_vecs.get(c.id, ([], np.zeros((0, reader.embedder.dim), np.float32)))
            got = perturb_text(c.text, f"{r}:{c.id}")
            if got is None or len(got[1]) != len(spans):
                text, sents = c.text, [c.text[a:b] for a, b in spans]
                unperturbed += 1
            else:
                text, sents = got
            doc_id = f"{c.doc_id}--x{r}"
            rep = dataclasses.replace(
                c, id=doc_id + c.id[len(c.doc_id) :], doc_id=doc_id, text=text, title=f"{c.title} (copy {r})",
                source_path=f"{c.source_path}#copy{r}",
            )
            vectors[text_hash(embed_text(rep))] = _noisy(chunk_vecs[c.id], rng)
            for s, v in zip(sents, mat, strict=True):
                vectors.setdefault(text_hash(s), _noisy(v, rng))
            sentences += len(sents)
            out.append(rep)
    return Replicas(out, vectors, sentences, unperturbed)


class CountingEmbedder:
    """Wraps the real embedder and counts what it is asked to embed (scale builds expect zero)."""

    def __init__(self, inner: Any) -> None:
        """Wrap this embedder."""
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> Any:
        """Embed (and count) passages."""
        self.embedded += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> Any:
        """Embed a question."""
        return self.inner.embed_query(text)


def dir_size_mb(path: Path) -> float:
    """Bytes of every file under a folder, in MB."""
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return round(total / 1e6, 2)


def measure_scale(assistant: Any, settings: Any, cases: Sequence[BenchCase], factor: int, repeats: int,
                  work: Path) -> dict[str, Any]:
    """Build the xN collection into a fresh index (vectors from the cache) and measure it."""
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.store import (
        EmbeddedLocation,
        EmbeddingCache,
        Manifest,
        new_generation_name,
        write_generation,
    )

    t0 = time.perf_counter()
    reps = make_replicas(assistant.reader, factor)
    index_dir = work / f"scale-x{factor}"
    location = EmbeddedLocation(index_dir)
    cache = EmbeddingCache(index_dir / "embedding-cache.sqlite", assistant.embedder.name)
    cache.put_many(reps.vectors)
    prepare_s = time.perf_counter() - t0
    files: dict[str, dict[str, Any]] = {}
    for c in reps.chunks:
        entry = files.setdefault(c.source_path or c.doc_id, {"sha256": "", "doc_id": c.doc_id, "title": c.title,
                                                              "chunk_ids": []})
        entry["chunk_ids"].append(c.id)
    manifest = Manifest(generation=new_generation_name(), embedding=assistant.embedder.name,
                        chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap, files=files)
    counting = CountingEmbedder(assistant.embedder)
    t1 = time.perf_counter()
    try:
        write_generation(location, manifest, reps.chunks, counting, cache)
    finally:
        cache.close()
    ingest_s = time.perf_counter() - t1
    scaled = Assistant.from_settings(settings.model_copy(update={"index_dir": index_dir}))
    lat = measure_latency(scaled, cases, repeats, first_pass=False)
    rec = measure_retrieval(lambda q: [h.chunk.id for h in scaled.retrieve(q, k=RECALL_K)[0]], cases, 1,
                            map_id=original_chunk_id)
    row = {
        "factor": factor,
        "chunks": len(reps.chunks),
        "sentences": reps.sentences,
        "ingest_s": round(ingest_s, 3),
        "chunks_per_s": round(len(reps.chunks) / ingest_s, 1) if ingest_s > 0 else None,
        "prepare_vectors_s": round(prepare_s, 3),
        "index_mb": dir_size_mb(index_dir / "gens"),
        "latency_ms": {"p50": lat["p50"], "p95": lat["p95"], "retrieve": lat["retrieve"],
                       "answer": lat["answer"], "verify": lat["verify"]},
        "recall_at_5": rec["recall_at_5"],
        "texts_embedded_at_build": counting.embedded,
        "unperturbed_chunks": reps.unperturbed_chunks,
    }
    shutil.rmtree(index_dir, ignore_errors=True)
    return row
