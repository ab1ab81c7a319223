"""Warm `ask` timings of English and other-language questions, apart (medians, milliseconds).

Every question of the given JSONL files (default evals/gold.jsonl) is asked twice in one process, after 20
warm-up questions; the medians of the stage timings are printed per language group. To compare two
versions, run it alternately with each on PYTHONPATH (the machine's load moves these figures by 10-20%):

    PYTHONPATH=/tmp/before python scripts/latency_by_language.py
    python scripts/latency_by_language.py
"""

from __future__ import annotations

import json
import statistics
import sys


def main() -> None:
    """Print {"en": {...}, "other": {...}} medians of retrieve, answer and total."""
    from toolkit_assistant.config import load_settings
    from toolkit_assistant.pipeline import Assistant

    assistant = Assistant.from_settings(load_settings())
    cases = []
    for path in sys.argv[1:] or ["evals/gold.jsonl"]:
        with open(path, encoding="utf-8") as fh:
            cases += [json.loads(line) for line in fh if line.strip()]
    for case in cases[:20]:
        assistant.ask(case["question"])
    out: dict[str, dict[str, list[float]]] = {g: {"retrieve": [], "answer": [], "total": []} for g in ("en", "other")}
    for _ in range(2):
        for case in cases:
            timings = assistant.ask(case["question"]).timings_ms
            group = "en" if case.get("language", "en") == "en" else "other"
            for key, values in out[group].items():
                values.append(timings.get(key, 0.0))
    print(json.dumps({g: {k: round(statistics.median(v), 2) for k, v in d.items() if v} for g, d in out.items()}))


if __name__ == "__main__":
    main()
