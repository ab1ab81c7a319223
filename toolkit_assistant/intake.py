"""What comes in with a question: checking it, reading a follow-up with the question before it, the query log."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

from toolkit_assistant.errors import InputError
from toolkit_assistant.text import has_control_chars
from toolkit_assistant.types import Answer


def validate_question(question: str, max_chars: int) -> str:
    """The question, stripped; or InputError naming what is wrong with it."""
    if not isinstance(question, str):
        raise InputError("The question must be text")
    q = question.strip()
    if not q:
        raise InputError("The question is empty: ask something about the materials")
    if len(q) > max_chars:
        raise InputError(
            f"The question is {len(q):,} characters long; the limit is {max_chars:,} "
            "(TOOLKIT_MAX_QUESTION_CHARS)"
        )
    if has_control_chars(q):
        raise InputError("The question contains control characters; remove them and ask again")
    return q


_FOLLOWUP_START = re.compile(
    r"^\s*(and|also|but|then|so|what about|how about|and what|and who|and how|and when|et|y|e|و|还有|а|и)\b",
    re.IGNORECASE,
)
_REFERS_BACK = re.compile(
    r"\b(it|its|they|them|their|he|she|his|her|this|that|these|those|the same|the court|the case|the judge|"
    r"the survey|the guidelines|the lawyers|the toolkit)\b",
    re.IGNORECASE,
)


def resolve_followup(question: str, previous: str | None) -> str:
    """The text to retrieve with: a follow-up ("And what did the Solicitor General argue?") is read with
    the question before it, so that it finds the passages of the same case or document."""
    if not previous or not previous.strip():
        return question
    n_words = len(question.split())
    if _FOLLOWUP_START.search(question) or (n_words <= 12 and _REFERS_BACK.search(question)):
        return f"{question} {previous.strip()}"
    return question


class QueryLog:
    """An opt-in local JSONL log of questions (or only their SHA-256, by setting)."""

    def __init__(self, path: Path, *, hash_only: bool) -> None:
        """Append to this file."""
        self.path = path
        self.hash_only = hash_only
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, answer: Answer) -> None:
        """Append one line for an answered question."""
        rec: dict[str, Any] = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if self.hash_only:
            rec["question_sha256"] = hashlib.sha256(answer.question.encode()).hexdigest()
        else:
            rec["question"] = answer.question
        rec.update(
            abstained=answer.abstained,
            backend=answer.backend,
            chunk_ids=[c.chunk.id for c in answer.citations],
            total_ms=round(answer.timings_ms.get("total", 0.0), 1),
        )
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
