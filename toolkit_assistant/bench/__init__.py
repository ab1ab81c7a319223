"""The benchmark: query latency, cold start, ingest, memory, baselines and scale, on this machine.

`toolkit-assistant bench [--json] [--scale 1,10,100] [--repeats N] [--out DIR]`

What it does, in order (every figure is measured in the same run, on the same questions):
  1. ingest the corpus from scratch into a fresh temporary index (a subprocess: time, chunks/s,
     peak RSS), then again with nothing changed (the manifest should make it near zero);
  2. cold start: `toolkit-assistant ask --json` from spawn to exit, and `toolkit-assistant serve`
     from spawn to its first HTTP 200, both against that index (peak RSS of each);
  3. warm query latency in this process: one first pass (caches empty), then `--repeats` passes,
     p50/p95 of each stage (retrieve / answer / verify), the median over the passes;
  4. retrieval baselines on the same questions: a naive LangChain RAG (langchain_chroma +
     HuggingFaceEmbeddings, cosine, top-5 chunks), BM25 only, and ours (hybrid): recall@5 by section;
  5. scale: the corpus replicated xN (distinct ids, lightly perturbed text) with perturbed copies of
     the original vectors, so scale ingest time measures indexing (Chroma + BM25), not embedding.
Then a table (or `--json`), bench.json and bench.png in `--out`.

By concern: `questions`, `processes` (children: wall time, peak RSS), `ingest` (1), `startup` (2),
`latency` (3), `baselines` (4), `scale` (5), `stats`, `report` (targets, table, chart), `command`.
"""

from __future__ import annotations

import click


class BenchError(click.ClickException):
    """A benchmark step could not run; the message names the step and what to do."""
