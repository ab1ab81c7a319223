"""Score a question set with whatever version of the assistant is on PYTHONPATH (aggregates only).

Works with any commit that has `Assistant.from_settings(...).ask(q).to_dict()`: an answer counts as
given when `coverage` is "answered" (or, before that field existed, when `abstained` is false). Used to
measure main before and after a change on the same blind questions, in the same run:

    git worktree add /tmp/before <commit>
    PYTHONPATH=/tmp/before TOOLKIT_INDEX_DIR=/tmp/before-index toolkit-assistant ingest
    PYTHONPATH=/tmp/before TOOLKIT_INDEX_DIR=/tmp/before-index python scripts/score_blind.py evals/blind/holdout.jsonl

Prints counts per (category, language group) and never a question, so it can be run on the holdout.
"""

from __future__ import annotations

import collections
import json
import re
import sys


def main() -> None:
    """Ask every case of the given files; print answered / key fact / declined counts."""
    from toolkit_assistant.config import load_settings
    from toolkit_assistant.pipeline import Assistant

    assistant = Assistant.from_settings(load_settings())
    for path in sys.argv[1:]:
        tally: collections.Counter[tuple[str, str, str]] = collections.Counter()
        for line in open(path, encoding="utf-8"):
            case = json.loads(line)
            d = assistant.ask(case["question"]).to_dict()
            answered = d.get("coverage", "none" if d["abstained"] else "answered") == "answered"
            cat = case["category"]
            group = "en" if case.get("language", "en") == "en" else "other"
            key = (cat, group)
            tally[key + ("n",)] += 1
            if cat in ("answerable", "false_premise"):
                text = re.sub(r"\[\d+\]", "", d["answer"])
                facts = all(re.search(k, text, re.IGNORECASE) for k in case["key_facts"])
                tally[key + ("key fact",)] += answered and facts
                tally[key + ("declined",)] += not answered
            else:
                tally[key + ("answered as covered",)] += answered
        print(path)
        for key in sorted({k[:2] for k in tally}):
            n = tally[key + ("n",)]
            parts = [f"{m} {tally[key + (m,)]}/{n}" for m in ("key fact", "declined", "answered as covered") if key + (m,) in tally]
            print(f"  {key[0]:<14} {key[1]:<6} " + ", ".join(parts))


if __name__ == "__main__":
    main()
