"""Hybrid retrieval: dense vectors (Chroma) and BM25, fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from toolkit_assistant.store import IndexReader, bm25_tokens
from toolkit_assistant.text import content_terms
from toolkit_assistant.types import Chunk, Hit

RRF_K = 60
# the hit a foreign question's glossary words may take: the sixth, the last of the six whose sentences the
# extractive answer reads (answer.ExtractiveGenerator.max_chunks); see HybridRetriever._with_glossed
GLOSSED_SLOT = 5


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some documents or kinds (empty: no restriction)."""

    doc_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def allows(self, chunk: Chunk) -> bool:
        """True if the chunk passes the filters."""
        return (not self.doc_ids or chunk.doc_id in self.doc_ids) and (
            not self.kinds or chunk.kind in self.kinds
        )

    def where(self) -> dict[str, Any] | None:
        """The same filters as a Chroma `where` clause."""
        parts: list[dict[str, Any]] = []
        if self.doc_ids:
            parts.append({"doc_id": {"$in": list(self.doc_ids)}})
        if self.kinds:
            parts.append({"kind": {"$in": list(self.kinds)}})
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"$and": parts}


class Retriever(Protocol):
    """Returns at most k hits, best first, each a chunk the filters allow, no two near-identical."""

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        """Hits for a question. The Assistant also passes `qvec=` (the question's vector), and `sentences=True`
        for a question in another language than the passages (see HybridRetriever.retrieve)."""
        ...


def rrf_fuse(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of several best-first id lists: (id, score), best first."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank + 1)
    return sorted(scores.items(), key=lambda t: (-t[1], t[0]))


@lru_cache(maxsize=8192)
def term_set(text: str) -> frozenset[str]:
    """The content words of a text as a set, cached (chunks are compared again on every question)."""
    return frozenset(content_terms(text))


def near_duplicate(a: str, b: str, threshold: float = 0.9) -> bool:
    """True if two texts share nearly all their content words (Jaccard on word sets)."""
    sa, sb = term_set(a), term_set(b)
    if not sa or not sb:
        return a.strip() == b.strip()
    return len(sa & sb) / len(sa | sb) >= threshold


SENTENCES_PER_CHUNK = 6  # sentences fetched per chunk wanted (a chunk holds about five)


class HybridRetriever:
    """Dense + BM25 over the current index generation, fused with RRF, near-duplicates removed."""

    def __init__(self, reader: IndexReader, *, candidates: int = 24, use_dense: bool = True, use_bm25: bool = True) -> None:
        """Retrieve from this index; `candidates` results are taken from each side before fusion."""
        self.reader = reader
        self.candidates = candidates
        self.use_dense = use_dense
        self.use_bm25 = use_bm25

    def dense_ranking(self, qvec: np.ndarray, n: int, filters: Filters) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first."""
        col = self.reader.col_chunks
        total = len(self.reader.chunks)
        if total == 0:
            return []
        res = col.query(
            query_embeddings=[qvec.tolist()],
            n_results=min(n, total),
            where=filters.where(),
            include=["distances"],
        )
        ids = res["ids"][0]
        dists = res["distances"][0]
        return [(cid, 1.0 - float(d)) for cid, d in zip(ids, dists, strict=True)]

    def sentence_ranking(self, qvec: np.ndarray, n: int, filters: Filters) -> list[str]:
        """Chunk ids by their best sentence's cosine, best first (from the sentence vectors the index holds)."""
        col = getattr(self.reader, "col_sents", None)
        if col is None or not self.reader.chunks:
            return []
        res = col.query(query_embeddings=[qvec.tolist()], n_results=max(1, min(n * SENTENCES_PER_CHUNK, col.count())),
                        include=["metadatas"])
        out: dict[str, None] = {}  # chunk ids in order of their best sentence
        for meta in res["metadatas"][0]:
            cid = meta.get("chunk_id")
            chunk = self.reader.by_id.get(cid)
            if chunk is not None and cid not in out and filters.allows(chunk):
                out[cid] = None
                if len(out) >= n:
                    break
        return list(out)

    def bm25_ranking(self, query: str, n: int, filters: Filters) -> list[tuple[str, float]]:
        """(chunk id, BM25 score), best first; empty when no query word is in the index."""
        bm25 = self.reader.bm25
        if bm25 is None:
            return []
        vocab = bm25.vocab_dict
        from toolkit_assistant.text import expand_terms

        tokens = [t for t in expand_terms(bm25_tokens(query)) if t in vocab]
        if not tokens:
            return []
        chunks = self.reader.chunks
        want = min(len(chunks), n * 4 if (filters.doc_ids or filters.kinds) else n)
        docs, scores = bm25.retrieve([tokens], k=want, show_progress=False, n_threads=1)
        out = []
        for idx, score in zip(docs[0], scores[0], strict=True):
            if score <= 0:
                continue
            chunk = chunks[int(idx)]
            if filters.allows(chunk):
                out.append((chunk.id, float(score)))
        return out[:n]

    def glossed_ranking(
        self, glossed: list[str] | tuple[str, ...], n: int = 3, filters: Filters | None = None,
    ) -> list[str]:
        """The chunk ids BM25 ranks best for a foreign question's English words (gloss.py), best first."""
        return [cid for cid, _ in self.bm25_ranking(" ".join(glossed), n, filters or Filters())] if glossed else []

    def retrieve(
        self, query: str, k: int, filters: Filters | None = None, qvec: np.ndarray | None = None,
        sentences: bool = False, glossed: list[str] | tuple[str, ...] = (),
    ) -> list[Hit]:
        """The k best chunks for a question.

        `sentences`: fuse a third ranking, chunks by their closest sentence, with the chunk-vector and BM25
        rankings (for a question in another language than the passages, whose BM25 ranking rests on a few
        shared names and numbers; see `Assistant.retrieve`).
        `glossed`: the English words the glossary finds in such a question (gloss.py), or an English "what did X
        find?" question's own words (Assistant.retrieve); the chunk BM25 ranks
        first for them, when it is not already among the first GLOSSED_SLOT + 1, becomes hit GLOSSED_SLOT + 1.
        """
        filters = filters or Filters()
        self.reader.refresh()
        if qvec is None:
            qvec = self.reader.embedder.embed_query(query)
        dense = self.dense_ranking(qvec, self.candidates, filters) if self.use_dense else []
        lexical = self.bm25_ranking(query, self.candidates, filters) if self.use_bm25 else []
        rankings = [[i for i, _ in dense], [i for i, _ in lexical]]
        if sentences and self.use_dense:
            rankings.append(self.sentence_ranking(qvec, self.candidates, filters))
        fused = rrf_fuse(rankings)
        dense_score = dict(dense)
        lex_score = dict(lexical)
        # a foreign question's glossary words: the chunks BM25 ranks best for them (one of which may take a hit)
        glossary_ids = self.glossed_ranking(glossed, GLOSSED_SLOT + 2, filters)
        missing = [cid for cid, _ in fused[: k * 2] if cid not in dense_score]
        missing += [cid for cid in glossary_ids if cid not in dense_score and cid not in missing]
        if missing:
            for cid, vec in self.reader.chunk_vectors(missing).items():
                dense_score[cid] = float(vec @ qvec)
        hits: list[Hit] = []
        for cid, score in fused:
            chunk = self.reader.by_id.get(cid)
            if chunk is None:
                continue
            if any(near_duplicate(chunk.text, h.chunk.text) for h in hits):
                continue
            hits.append(
                Hit(chunk=chunk, score=score, dense=dense_score.get(cid), lexical=lex_score.get(cid), rank=len(hits) + 1)
            )
            if len(hits) >= k:
                break
        return self._with_glossed(hits, glossary_ids, dense_score) if glossary_ids else hits

    def _with_glossed(self, hits: list[Hit], glossary_ids: list[str], dense_score: dict[str, float]) -> list[Hit]:
        """The hits with the best BM25 chunk for a foreign question's English words in the last place whose
        sentences the answer reads (put in the fused ranking instead, those words lost two of the blind dev
        split's Spanish questions to chunks that only share "public", "rule" or "system" with them)."""
        have = {h.chunk.id for h in hits[: GLOSSED_SLOT + 1]}
        best = [cid for cid in glossary_ids if cid not in have][:1]
        chunk = self.reader.by_id.get(best[0]) if best else None
        if chunk is None:
            return hits
        added = Hit(chunk=chunk, score=0.0, dense=dense_score.get(chunk.id))
        rest = [h for h in hits if h.chunk.id != chunk.id]
        merged = rest[:GLOSSED_SLOT] + [added] + rest[GLOSSED_SLOT:]
        return [replace(h, rank=i + 1) for i, h in enumerate(merged)][: len(hits)]
