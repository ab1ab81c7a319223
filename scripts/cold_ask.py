"""One process, one question: the seconds to import, to open the index (`Assistant.from_settings`) and to
answer the first question, apart. The bench's cold start is process start to exit, which the machine's load
moves by half a second; this splits it, so two versions can be compared by alternating them:

    PYTHONPATH=/tmp/before python scripts/cold_ask.py "Combien de principes contiennent les lignes directrices de l'UNESCO ?"
    python scripts/cold_ask.py "Combien de principes contiennent les lignes directrices de l'UNESCO ?"
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    """Print {"import_s", "open_s", "ask_s", "timings_ms"} for the question given (a French one by default)."""
    question = sys.argv[1] if len(sys.argv) > 1 else "Combien de principes contiennent les lignes directrices de l'UNESCO ?"
    t0 = time.perf_counter()
    from toolkit_assistant.config import load_settings
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.text import detect_language

    t1 = time.perf_counter()
    assistant = Assistant.from_settings(load_settings(), language=detect_language(question))
    t2 = time.perf_counter()
    answer = assistant.ask(question)
    t3 = time.perf_counter()
    print(json.dumps({"import_s": round(t1 - t0, 3), "open_s": round(t2 - t1, 3), "ask_s": round(t3 - t2, 3),
                      "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()}}))


if __name__ == "__main__":
    main()
