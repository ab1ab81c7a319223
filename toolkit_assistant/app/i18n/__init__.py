"""The app's interface text in English, French and Spanish: one TOML file a language, beside this module.

`UI_TEXT` holds every text by key and language ({key: {"en": ..., "fr": ..., "es": ...}}), read from
en.toml, fr.toml and es.toml when this module is imported. build_ui passes the table to Gradio's
I18n (`ui_i18n()`), so the browser shows the language it prefers (English when it prefers another).
Document text and answers are never translated.
"""

from __future__ import annotations

import re
import tomllib
from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import gradio as gr

UI_LANGUAGES = ("en", "fr", "es")


def _load() -> dict[str, dict[str, str]]:
    """{key: {lang: text}} from the language files, keys in the order of the English file."""
    table: dict[str, dict[str, str]] = {}
    for lang in UI_LANGUAGES:
        texts = tomllib.loads(files(__name__).joinpath(f"{lang}.toml").read_text(encoding="utf-8"))
        for key, text in texts.items():
            table.setdefault(key, {})[lang] = str(text)
    return table


UI_TEXT: dict[str, dict[str, str]] = _load()


def ui_translations() -> dict[str, dict[str, str]]:
    """UI_TEXT by language, the shape gr.I18n takes: {"en": {key: text}, "fr": {...}, "es": {...}}."""
    return {lang: {key: texts[lang] for key, texts in UI_TEXT.items() if lang in texts} for lang in UI_LANGUAGES}


def ui_text(key: str, lang: str = "en") -> str:
    """One interface text in a language (English when that language has none).

    Raises:
        KeyError: no interface text has this key (add it to the language files).
    """
    texts = UI_TEXT[key]
    return texts.get(lang) or texts["en"]


def browser_language(accept_language: str | None) -> str:
    """The interface language for a browser's Accept-Language header: its most preferred of en/fr/es, else en."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        m = re.search(r"q\s*=\s*([0-9.]+)", params)
        if m:
            try:
                quality = float(m.group(1))
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in UI_LANGUAGES and quality > 0:
            ranked.append((-quality, i, primary))
    return min(ranked)[2] if ranked else "en"


def ui_i18n() -> gr.I18n:
    """Gradio's I18n holding UI_TEXT in every interface language (pass it to Blocks.launch)."""
    import gradio as gr

    return gr.I18n(**ui_translations())
