"""The values the metrics take and return, and the regex matching they share.

`MetricResult` is a score in [0, 1] (NaN when undefined) with the counts behind it; `AnswerRecord`
is an answer as the metrics see it (text with [n] markers, citations, whether it declined). Key
facts and forbidden patterns are case-insensitive regexes, matched with the [n] markers removed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")  # an answer's [n] (or [n, m]) citation marker


@dataclass(frozen=True)
class MetricResult:
    """A metric's score in [0, 1] (NaN when undefined), the counts behind it, and details."""

    name: str
    score: float
    numerator: float
    denominator: int
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def defined(self) -> bool:
        """False when no case qualified for this metric (score NaN)."""
        return self.denominator > 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (an undefined score becomes null)."""
        return {
            "name": self.name,
            "score": round(self.score, 4) if self.defined else None,
            "numerator": round(self.numerator, 4) if isinstance(self.numerator, float) else self.numerator,
            "denominator": self.denominator,
            "details": self.details,
        }


@dataclass(frozen=True)
class CitationRef:
    """A citation as the metrics see it: its number, the chunk it points to, its quote."""

    n: int
    chunk_id: str
    quote: str


@dataclass(frozen=True)
class AnswerRecord:
    """An answer as the metrics see it: text with [n] markers, its citations, whether it declined."""

    text: str
    citations: tuple[CitationRef, ...] = ()
    abstained: bool = False

    def __post_init__(self) -> None:
        """Reject values that no answer can have."""
        if not isinstance(self.text, str):
            raise ValueError(f"answer text must be a string, got {type(self.text).__name__}")
        seen: set[int] = set()
        for c in self.citations:
            if not isinstance(c.n, int) or c.n < 1:
                raise ValueError(f"citation number must be a positive integer, got {c.n!r}")
            if c.n in seen:
                raise ValueError(f"citation [{c.n}] appears twice in one answer")
            seen.add(c.n)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AnswerRecord:
        """Build from the Answer JSON (`answer`, `abstained`, `citations[].n/chunk_id/quote`)."""
        try:
            cits = tuple(CitationRef(int(c["n"]), str(c["chunk_id"]), str(c["quote"])) for c in data.get("citations", []))
            # an answer counts as given only when it claims to answer: "partly covered" is a decline
            declined = bool(data.get("abstained", False)) or data.get("coverage", "answered") != "answered"
            return cls(str(data["answer"]), cits, declined)
        except KeyError as exc:
            raise ValueError(f"Answer JSON lacks the field {exc}") from exc

    def by_n(self) -> dict[int, CitationRef]:
        """Citations keyed by their number."""
        return {c.n: c for c in self.citations}


# --------------------------------------------------------------------------- patterns


def compile_patterns(patterns: Sequence[str], *, what: str = "pattern") -> list[re.Pattern[str]]:
    """Compile regexes case-insensitively; ValueError naming the pattern that does not compile."""
    if isinstance(patterns, str):
        raise ValueError(f"{what}s must be a list of regexes, not one string: {patterns!r}")
    out = []
    for p in patterns:
        if not isinstance(p, str) or not p:
            raise ValueError(f"{what} must be a non-empty string, got {p!r}")
        try:
            out.append(re.compile(p, re.IGNORECASE))
        except re.error as exc:
            raise ValueError(f"{what} {p!r} is not a valid regex: {exc}") from exc
    return out


def strip_markers(text: str) -> str:
    """The answer text without its [n] citation markers."""
    return MARKER.sub("", text)


def missing_patterns(text: str, patterns: Sequence[str]) -> list[str]:
    """The regexes (case-insensitive) that do not match the text, markers removed."""
    plain = strip_markers(text)
    return [p for p, rx in zip(patterns, compile_patterns(patterns), strict=True) if not rx.search(plain)]


def matching_patterns(text: str, patterns: Sequence[str]) -> list[str]:
    """The regexes (case-insensitive) that match the text, markers removed."""
    plain = strip_markers(text)
    return [p for p, rx in zip(patterns, compile_patterns(patterns), strict=True) if rx.search(plain)]
