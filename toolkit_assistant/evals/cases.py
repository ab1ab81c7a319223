"""The gold cases: one JSON object a line, each a question and what a good answer to it looks like.

`load_cases(path)` reads and checks a cases file; `parse_case(record, where)` checks one record and
names the line and the field that are wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit_assistant.config import REPO_ROOT
from toolkit_assistant.evals.records import compile_patterns

EVALS_DIR = REPO_ROOT / "evals"
GOLD_CASES = EVALS_DIR / "gold.jsonl"
POISONED_CASES = EVALS_DIR / "poisoned_cases.jsonl"
POISONED_DIR = EVALS_DIR / "poisoned"

CATEGORIES = ("answerable", "out_of_scope", "near_miss", "false_premise", "adversarial", "multilingual", "poisoned")
# the gold set's splits, and the blind sets' (questions written by helpers who saw only the corpus)
SPLITS = ("calibration", "holdout", "blind-dev", "blind-holdout")
BLIND_DEV = EVALS_DIR / "blind" / "dev.jsonl"
BLIND_HOLDOUT = EVALS_DIR / "blind" / "holdout.jsonl"
ANSWER_WANTED = ("answerable", "multilingual")  # categories whose cases must be answered


@dataclass(frozen=True)
class EvalCase:
    """One gold question and what a good answer to it looks like."""

    id: str
    category: str
    question: str
    language: str = "en"
    expected_docs: tuple[str, ...] = ()
    expected_sections: tuple[str, ...] = ()
    key_facts: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    reference: str = ""
    must_refuse: bool = False
    split: str = "holdout"
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The case in its JSONL shape."""
        return {
            "id": self.id, "category": self.category, "language": self.language, "question": self.question,
            "expected_docs": list(self.expected_docs), "expected_sections": list(self.expected_sections),
            "key_facts": list(self.key_facts), "forbidden": list(self.forbidden), "reference": self.reference,
            "must_refuse": self.must_refuse, "split": self.split,
        }


def _str_list(rec: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = rec.get(key, [])
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{where}: '{key}' must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def parse_case(rec: Any, where: str) -> EvalCase:
    """Check one case record and build the EvalCase; ValueError naming the line and the field."""
    if not isinstance(rec, dict):
        raise ValueError(f"{where}: a case must be a JSON object")
    for key in ("id", "category", "question"):
        if not isinstance(rec.get(key), str) or not rec[key].strip():
            raise ValueError(f"{where}: '{key}' is missing or empty")
    if rec["category"] not in CATEGORIES:
        raise ValueError(f"{where}: category {rec['category']!r} is not one of {', '.join(CATEGORIES)}")
    split = rec.get("split", "holdout")
    if split not in SPLITS:
        raise ValueError(f"{where}: split {split!r} is not one of {', '.join(SPLITS)}")
    must_refuse = rec.get("must_refuse", rec["category"] in ("out_of_scope", "near_miss"))
    if not isinstance(must_refuse, bool):
        raise ValueError(f"{where}: 'must_refuse' must be true or false, got {must_refuse!r}")
    sections = _str_list(rec, "expected_sections", where)
    for s in sections:
        if s.count(":") < 1 or not all(s.split(":")):
            raise ValueError(f"{where}: expected section {s!r} is not of the form <doc_id>:<section>")
    docs = _str_list(rec, "expected_docs", where)
    if any(":" in d for d in docs):
        raise ValueError(f"{where}: expected_docs holds a section id; use document ids there: {docs!r}")
    if not docs and sections:  # documents follow from the sections
        docs = tuple(dict.fromkeys(s.split(":", 1)[0] for s in sections))
    key_facts = _str_list(rec, "key_facts", where)
    forbidden = _str_list(rec, "forbidden", where)
    try:
        compile_patterns(key_facts, what="key fact")
        compile_patterns(forbidden, what="forbidden pattern")
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    category = rec["category"]
    language = str(rec.get("language") or "en")
    if language != "en" and category in ("answerable", "out_of_scope", "near_miss"):
        category = "multilingual"  # reported beside the English figures, language by language
    return EvalCase(
        id=rec["id"].strip(), category=category, question=rec["question"],
        language=language, expected_docs=docs, expected_sections=sections,
        key_facts=key_facts, forbidden=forbidden, reference=str(rec.get("reference") or ""),
        must_refuse=must_refuse, split=split, source=where,
    )


def load_cases(path: Path) -> list[EvalCase]:
    """Read a cases file (one JSON object a line; blank lines and lines starting with # are skipped).

    Raises:
        ValueError: the file is missing, a line is not valid JSON, a field is wrong, or an id repeats.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"No cases file at {path}")
    cases: list[EvalCase] = []
    seen: dict[str, str] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path.name}:{lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: not valid JSON ({exc.msg})") from exc
        case = parse_case(rec, where)
        if case.id in seen:
            raise ValueError(f"{where}: id {case.id!r} is already used at {seen[case.id]}")
        seen[case.id] = where
        cases.append(case)
    if not cases:
        raise ValueError(f"{path} holds no cases")
    return cases
