"""Accuracy of the hand-written language detector and of lingua on the questions of the eval sets.

    python scripts/compare_language_detectors.py evals/gold.jsonl evals/blind/dev.jsonl evals/blind/holdout.jsonl

Prints, for each detector, correct/total per language and the time per question (no question is printed).
"""

from __future__ import annotations

import collections
import json
import sys
import time


def main() -> None:
    """Compare the detectors on every question of the given files."""
    from lingua import Language, LanguageDetectorBuilder

    from toolkit_assistant.text import detect_language

    langs = {Language.ENGLISH: "en", Language.FRENCH: "fr", Language.SPANISH: "es", Language.PORTUGUESE: "pt",
             Language.ARABIC: "ar", Language.CHINESE: "zh", Language.RUSSIAN: "ru"}
    lingua = LanguageDetectorBuilder.from_languages(*langs).build()

    def by_lingua(q: str) -> str:
        found = lingua.detect_language_of(q)
        return langs.get(found, "en") if found else "en"

    cases = [json.loads(line) for path in sys.argv[1:] for line in open(path, encoding="utf-8") if line.strip()]
    for name, fn in (("hand-written", detect_language), ("lingua", by_lingua)):
        tally: collections.Counter[tuple[str, bool]] = collections.Counter()
        t0 = time.perf_counter()
        for c in cases:
            tally[(c.get("language", "en"), fn(c["question"]) == c.get("language", "en"))] += 1
        ms = (time.perf_counter() - t0) * 1000 / max(1, len(cases))
        per = {lang: f"{tally[(lang, True)]}/{tally[(lang, True)] + tally[(lang, False)]}"
               for lang in sorted({k for k, _ in tally})}
        right = sum(v for (lang, ok), v in tally.items() if ok)
        print(f"{name:13} {right}/{len(cases)} correct, {ms:.2f} ms a question; " + ", ".join(f"{k} {v}" for k, v in per.items()))


if __name__ == "__main__":
    main()
