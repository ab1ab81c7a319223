"""Word lists that read a question, as data: one JSON file per language (en.json, fr.json, ...).

Each file holds `wants` (patterns of the kinds of answer a question asks for), `filler` (question words that carry no topic: "actually", "exactly"), `finding`
(patterns of questions that ask what a court decided or a study found), `absence` (phrases with
which a passage says that a fact is missing) and `split` (where a question goes on to ask a second thing:
"..., et combien ...", "...؟ ..."; English splits with question.py's own pattern). A language without its own file uses English.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Lexicon:
    """The word lists of one language."""

    language: str
    filler: frozenset[str]
    finding: re.Pattern[str]
    absence: re.Pattern[str]
    # the kinds of answer a question wants ("number", "date", "person", "list", "yesno", ...), in this
    # language's words (English reads them with answer-type patterns in question.py)
    wants: dict[str, re.Pattern[str]]
    # where a question asks a second thing ("..., et combien ...", "...？包含哪些..."): its parts are read apart
    split: re.Pattern[str] | None = None
    # what a question in this language asks for, group 1 of each pattern (its words are read through the
    # glossary, gloss.py): `heads` the noun of its wh-phrase ("quel est le montant des amendes"), `count`
    # the thing a "how many" counts ("combien de personnes"); English reads them in coverage.py
    heads: tuple[re.Pattern[str], ...] = ()
    count: tuple[re.Pattern[str], ...] = ()
    # the verb of a who-question ("кто финансировал", "quem bancou": group 1), which says what the person did
    who: tuple[re.Pattern[str], ...] = ()
    # never a head: articles, prepositions, auxiliaries (`function`) and the kinds of fact or vague words
    # ("ville", "montant", "exactement": `kinds`, which a "how many" may count: "combien de pays"); nor, in a
    # noun's place, a word with a verb's ending
    function: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    verb_endings: tuple[str, ...] = ()
    verb_endings_sure: tuple[str, ...] = ()  # a verb even when the glossary knows the word ("pasó": not "paso")


@lru_cache(maxsize=16)
def lexicon(language: str) -> Lexicon:
    """The lexicon of a language (English when there is no file for it)."""
    name = f"{language}.json"
    folder = resources.files(__package__)
    if not (folder / name).is_file():
        name = "en.json"
    raw = json.loads((folder / name).read_text(encoding="utf-8"))
    return Lexicon(
        language=language,
        filler=frozenset(raw.get("filler", [])),
        finding=re.compile("|".join(raw.get("finding", [])) or r"(?!x)x", re.IGNORECASE),
        absence=re.compile("|".join(raw.get("absence", [])) or r"(?!x)x", re.IGNORECASE),
        wants={k: re.compile("|".join(v), re.IGNORECASE) for k, v in raw.get("wants", {}).items() if v},
        split=re.compile("|".join(raw["split"]), re.IGNORECASE) if raw.get("split") else None,
        heads=tuple(re.compile(p, re.IGNORECASE) for p in raw.get("heads", [])),
        count=tuple(re.compile(p, re.IGNORECASE) for p in raw.get("count", [])),
        who=tuple(re.compile(p, re.IGNORECASE) for p in raw.get("who", [])),
        function=frozenset(w.lower() for w in raw.get("function", [])),
        kinds=frozenset(w.lower() for w in raw.get("kinds", [])),
        verb_endings=tuple(raw.get("verb_endings", [])),
        verb_endings_sure=tuple(raw.get("verb_endings_sure", [])),
    )
