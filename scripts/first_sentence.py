"""Whether an answer starts with the point (counts only, safe on a holdout).

    TOOLKIT_INDEX_DIR=/tmp/idx python scripts/first_sentence.py evals/blind/holdout6.jsonl ...

For each answerable case of two kinds, any language: "finding" (its `hard_kind`: what did X find / decide /
what happened) and "count" (a how-many question, `facts.counted_things`): answered, and its first cited
sentence matches one of the case's key facts.
"""

from __future__ import annotations

import collections
import json
import re
import sys


def main() -> None:
    """Print, per file and kind, how many answers' first sentence holds a key fact."""
    from toolkit_assistant.config import load_settings
    from toolkit_assistant.facts import counted_things
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.text import detect_language

    assistant = Assistant.from_settings(load_settings())
    for path in sys.argv[1:]:
        tally: collections.Counter[str] = collections.Counter()
        for line in open(path, encoding="utf-8"):
            case = json.loads(line)
            if case["category"] != "answerable":
                continue
            q = case["question"]
            kinds = (["finding"] if case.get("hard_kind") == "finding" else []) + (
                ["count"] if counted_things(q, case.get("language") or detect_language(q)) else [])
            if not kinds:
                continue
            d = assistant.ask(q).to_dict()
            first = d["citations"][0]["quote"] if d.get("coverage") == "answered" and d["citations"] else ""
            held = bool(first) and any(re.search(k, first, re.IGNORECASE) for k in case["key_facts"])
            for kind in kinds:
                tally[kind] += 1
                tally[kind + " held"] += held
        print(path.split("/")[-1], "; ".join(f"{k}: first sentence holds a key fact {tally[k + ' held']}/{tally[k]}"
                                             for k in ("finding", "count")))


if __name__ == "__main__":
    main()
