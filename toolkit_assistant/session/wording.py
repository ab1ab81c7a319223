"""The words a pack writes itself (text/<lang>.toml) and the cues that read corpus sentences (text/cues.toml).

A pack's own words are framing only: headings, objectives, activity instructions, question stems, the invented
exercise scenario. They are data, one file a language; a key missing from a language falls back to English.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from importlib.resources import files
from typing import Any

PACK_LANGUAGES = ("en", "fr", "es")


@lru_cache(maxsize=8)
def _table(name: str) -> dict[str, Any]:
    return tomllib.loads(files("toolkit_assistant.session").joinpath("text", f"{name}.toml").read_text(encoding="utf-8"))


def pack_language(lang: str | None) -> str:
    """The pack language for a requested one ('fr-CA' -> 'fr'; unknown -> 'en')."""
    primary = (lang or "en").strip().lower().split("-")[0]
    return primary if primary in PACK_LANGUAGES else "en"


class Wording:
    """The framing text of one language: `w("objectives.what", topic=...)`."""

    def __init__(self, lang: str = "en") -> None:
        """Read the language's file (and English, for keys it lacks)."""
        self.lang = pack_language(lang)
        self._own = _table(self.lang)
        self._en = _table("en")

    def raw(self, key: str) -> Any:
        """The value under 'section.name', from this language or else English.

        Raises:
            KeyError: no language file has the key.
        """
        section, _, name = key.partition(".")
        for table in (self._own, self._en):
            value = table.get(section, {}).get(name)
            if value is not None:
                return value
        raise KeyError(f"No pack text {key!r}: add it to toolkit_assistant/session/text/en.toml")

    def __call__(self, key: str, **values: Any) -> str:
        """The text under `key`, with {placeholders} filled in."""
        text = str(self.raw(key))
        return text.format(**values) if values else text


@lru_cache(maxsize=1)
def cues() -> dict[str, dict[str, Any]]:
    """cues.toml, with every pattern compiled (case-insensitive)."""
    out: dict[str, dict[str, Any]] = {}
    for section, entries in _table("cues").items():
        out[section] = {k: re.compile(v, re.IGNORECASE) if isinstance(v, str) else v for k, v in entries.items()}
    return out


def cue(section: str, name: str) -> re.Pattern[str]:
    """One compiled cue pattern."""
    pattern = cues()[section][name]
    assert isinstance(pattern, re.Pattern), f"cues.toml [{section}] {name} is not a pattern"
    return pattern
