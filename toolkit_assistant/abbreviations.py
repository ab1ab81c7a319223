"""Abbreviations the documents define, so both forms of a name count as the same words.

Legal and UN texts define their abbreviations once ("the Universal Declaration of Human Rights (UDHR)")
and then use either form. A question that says "the Universal Declaration" and a passage that says
"Article 12 of the UDHR" share no word, so the passage looked as if it missed what was asked. Here every
definition found in the indexed text is read once; a sentence that holds one form also holds the other's
words (`terms_in`), and the passages given to the coverage decision carry the other form (`other_forms`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from toolkit_assistant.text import content_terms

# a run of capitalised words (with "of", "and", ... between them) and the abbreviation in brackets after it
_DEFINED = re.compile(
    r"((?:[A-Z][\w’'-]*\s+(?:(?:of|on|and|for|the|in|to)\s+)*){1,8}[A-Z][\w’'-]*)\s*\(([A-Z][A-Za-z]{1,9})\)"
)
_WORD = re.compile(r"[\w’'-]+")
_CACHE_LIMIT = 20000


def definitions(texts: Iterable[str]) -> dict[str, str]:
    """Abbreviation -> the name it stands for, where the abbreviation's capitals are the initials of the
    name's last capitalised words ("International Covenant on Civil and Political Rights (ICCPR)")."""
    out: dict[str, str] = {}
    for text in texts:
        for m in _DEFINED.finditer(text):
            name, abbr = m.group(1), m.group(2)
            letters = "".join(ch for ch in abbr if ch.isupper())
            tokens = _WORD.findall(name)
            caps = [i for i, w in enumerate(tokens) if w[:1].isupper()]
            if len(letters) < 2 or len(caps) < len(letters):
                continue
            last = caps[-len(letters):]
            if "".join(tokens[i][0] for i in last).upper() != letters:
                continue
            out.setdefault(abbr, " ".join(tokens[last[0]:]))
    return out


@dataclass
class Abbreviations:
    """The definitions of an index, and the words each form adds to a text that holds the other."""

    names: dict[str, str]
    _name_terms: dict[str, frozenset[str]] = field(init=False, repr=False)
    _cache: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._name_terms = {a: frozenset(content_terms(n)) for a, n in self.names.items()}

    def _uses(self, text: str) -> tuple[list[str], list[str]]:
        """The defined abbreviations a text uses in their short form, and those it uses in their long form."""
        low = text.lower()
        tokens = {w.lower() for w in _WORD.findall(text)}
        short = [a for a in self.names if a.lower() in tokens]
        long = [a for a, n in self.names.items() if n.lower() in low]
        return short, long

    @classmethod
    def of(cls, texts: Iterable[str]) -> Abbreviations:
        """The abbreviations the texts define."""
        return cls(definitions(texts))

    def terms_in(self, text: str) -> frozenset[str]:
        """The words a text holds through the other form of a name it uses ("UDHR": universal, declaration,
        human, right; "Universal Declaration of Human Rights": udhr)."""
        if not self.names:
            return frozenset()
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        short, long = self._uses(text)
        result = frozenset().union(*(self._name_terms[a] for a in short), (a.lower() for a in long))
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[text] = result
        return result

    def other_forms(self, texts: Iterable[str]) -> list[str]:
        """The other form of every defined name the texts use, as text."""
        out: list[str] = []
        for text in texts:
            short, long = self._uses(text)
            out += [self.names[a] for a in short] + long
        return list(dict.fromkeys(out))
