"""Whether a "what did X find / decide / what happened" answer starts with the point (counts only, safe on a holdout).

    TOOLKIT_INDEX_DIR=/tmp/idx python scripts/first_sentence.py evals/blind/holdout6.jsonl ...

For each answerable case whose `hard_kind` is "finding" (any language): answered, and its first cited sentence
matches one of the case's key facts.
"""
import json, re, sys
from toolkit_assistant.config import load_settings
from toolkit_assistant.pipeline import Assistant
a = Assistant.from_settings(load_settings())
for path in sys.argv[1:]:
    n = hit = 0
    for line in open(path, encoding="utf-8"):
        c = json.loads(line)
        if c["category"] != "answerable" or c.get("hard_kind") != "finding": continue
        d = a.ask(c["question"]).to_dict()
        n += 1
        if d.get("coverage") == "answered" and d["citations"] and any(re.search(k, d["citations"][0]["quote"], re.I) for k in c["key_facts"]):
            hit += 1
    print(path.split("/")[-1], f"first sentence holds a key fact: {hit}/{n}")
