"""How often the key facts sit in the first k sentences, fitted sentence model against the hand-set score.

    TOOLKIT_INDEX_DIR=/tmp/idx python scripts/rank_quality.py evals/gold.jsonl

For each English answerable case: the candidates `ask` would consider, ordered by each score; a case
counts at k when its first k sentences together match every key fact. Counts only (safe on a holdout).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np


def main() -> None:
    """Print, per file, the cases whose key facts are in the first 1..6 sentences under each score."""
    from toolkit_assistant.answer import _context, local_idf, score_candidate
    from toolkit_assistant.config import load_settings
    from toolkit_assistant.coverage import doc_freq
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.question import analyse_question
    from toolkit_assistant.ranker import features, sentence_model, view_of

    assistant = Assistant.from_settings(load_settings())
    model = sentence_model()
    if model is None:
        sys.exit("toolkit_assistant/ranker.json is missing")
    df = lambda t: doc_freq(assistant.reader.bm25, t)  # noqa: E731
    for path in sys.argv[1:]:
        res = {"hand-set": np.zeros(6, int), "fitted": np.zeros(6, int)}
        n = 0
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            if case.get("language", "en") != "en" or case["category"] != "answerable":
                continue
            q = case["question"]
            hits, qvec = assistant.retrieve(q)
            _, cands = assistant.extractive.relevance(q, hits, qvec, "en")
            if not cands:
                continue
            n += 1
            profile = analyse_question(q)
            view = view_of(profile, cands, df)
            weights = local_idf(profile.terms, cands)
            scores = {
                "hand-set": [score_candidate(c, profile.terms, profile.wants, _context(c), weights, q) for c in cands],
                "fitted": [model.probability(features(c, view, _context(c))) for c in cands],
            }
            for name, sc in scores.items():
                order = [cands[i] for i in np.argsort(-np.array(sc), kind="stable")]
                for k in range(1, 7):
                    text = " ".join(c.span.text for c in order[:k])
                    res[name][k - 1] += all(re.search(f, text, re.IGNORECASE) for f in case["key_facts"])
        print(f"{path}: {n} English answerable cases; key facts within the first k sentences, k = 1..6")
        for name, row in res.items():
            print(f"  {name:<9} " + "  ".join(f"{v:>3}" for v in row))


if __name__ == "__main__":
    main()
