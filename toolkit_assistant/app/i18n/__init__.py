"""The app's interface text in seven languages: one TOML file a language, beside this module.

`UI_TEXT` holds every text by key and language ({key: {"en": ..., "fr": ..., ...}}), read from the language
files (en.toml, fr.toml, es.toml, ar.toml, zh.toml, ru.toml, pt.toml) when this module is imported; each file
also lists the example questions and session topics offered in its language (`EXAMPLES`, `EXAMPLE_TOPICS`).
build_ui passes the texts to Gradio's I18n (`ui_i18n()`), and Gradio's page picks the language itself: the
browser's (navigator.language, or its primary subtag), English when the app has no text in it. The page writes
the language it chose into a cookie (`LANG_COOKIE`, see direction.py), so an event handler knows it too
(`request_language`); before that cookie exists the request's Accept-Language stands in. Documents and the
passages quoted from them are never translated.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from importlib.resources import files
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import gradio as gr

UI_LANGUAGES = ("en", "fr", "es", "ar", "zh", "ru", "pt")
RTL_LANGUAGES = frozenset({"ar"})  # laid out right to left (direction.py)
LANG_COOKIE = "toolkit_lang"  # the language Gradio's page chose, written by the page's own script


@dataclass(frozen=True)
class Example:
    """An example question shown in one language, with a regex its answer must hold (tests ask each one)."""

    question: str
    expect: str


@dataclass(frozen=True)
class ExampleTopic:
    """An example session topic of the Prepare tab: topic, minutes, audience."""

    topic: str
    minutes: int
    audience: str


def _load() -> tuple[dict[str, dict[str, str]], dict[str, list[Example]], dict[str, list[ExampleTopic]]]:
    """The texts ({key: {lang: text}}, keys in the order of the English file), examples and topics by language."""
    table: dict[str, dict[str, str]] = {}
    examples: dict[str, list[Example]] = {}
    topics: dict[str, list[ExampleTopic]] = {}
    for lang in UI_LANGUAGES:
        data = tomllib.loads(files(__name__).joinpath(f"{lang}.toml").read_text(encoding="utf-8"))
        for key, text in data.items():
            if isinstance(text, str):
                table.setdefault(key, {})[lang] = text
        examples[lang] = [Example(str(e["question"]), str(e["expect"])) for e in data.get("example", [])]
        topics[lang] = [ExampleTopic(str(t["topic"]), int(t["minutes"]), str(t.get("audience", "")))
                        for t in data.get("topic", [])]
    return table, examples, topics


UI_TEXT, EXAMPLES, EXAMPLE_TOPICS = _load()


def ui_translations() -> dict[str, dict[str, str]]:
    """UI_TEXT by language, the shape gr.I18n takes: {"en": {key: text}, "fr": {...}, ...}."""
    return {lang: {key: texts[lang] for key, texts in UI_TEXT.items() if lang in texts} for lang in UI_LANGUAGES}


def ui_text(key: str, lang: str = "en") -> str:
    """One interface text in a language (English when that language has none).

    Raises:
        KeyError: no interface text has this key (add it to the language files).
    """
    texts = UI_TEXT[key]
    return texts.get(lang) or texts["en"]


def topic_label(topic: ExampleTopic, lang: str) -> str:
    """How an example topic reads on its button: 'algorithmic bias · 90 min · first-instance judges' (Gradio cuts
    a label past 60 characters, so the language files keep them shorter)."""
    label = f"{topic.topic} · {topic.minutes} {ui_text('minutes_short', lang)}"
    return f"{label} · {topic.audience}" if topic.audience else label


def ui_language(tag: str | None) -> str:
    """The interface language for a language tag ('fr-FR', 'zh-CN', 'ar'): its primary subtag when the app
    has texts in it, else English (what Gradio's page shows for that tag)."""
    primary = (tag or "").strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in UI_LANGUAGES else "en"


def browser_language(accept_language: str | None) -> str:
    """The interface language for an Accept-Language header: the browser's first choice (the highest weight,
    the earliest among equals) when the app has texts in it, else English. Gradio's page decides the same way
    from navigator.language, which browsers send first, so a later choice never counts (de-DE,es;q=0.5
    shows English)."""
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
        if tag.strip() and tag.strip() != "*" and quality > 0:
            ranked.append((-quality, i, tag.strip()))
    return ui_language(min(ranked)[2]) if ranked else "en"


def _request_header(request: Any, name: str) -> str:
    """A request header ('' without a request, e.g. when a test calls a handler directly)."""
    headers = getattr(request, "headers", None)
    try:
        return str(headers.get(name, "")) if headers is not None else ""
    except Exception:  # noqa: BLE001 - a rebuilt queue request may hold headers in another shape
        return ""


def request_language(request: Any) -> str:
    """The interface language of the page that sent this request (a gr.Request): the language Gradio's page
    chose (the LANG_COOKIE it writes), else the browser's first choice in Accept-Language, else English."""
    cookie = SimpleCookie()
    try:
        cookie.load(_request_header(request, "cookie"))
    except CookieError:
        pass
    chosen = cookie.get(LANG_COOKIE)
    if chosen is not None and chosen.value:
        return ui_language(chosen.value)
    return browser_language(_request_header(request, "accept-language"))


def ui_i18n() -> gr.I18n:
    """Gradio's I18n holding UI_TEXT in every interface language (pass it to Blocks.launch)."""
    import gradio as gr

    return gr.I18n(**ui_translations())
