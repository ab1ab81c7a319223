"""Which language the page shows, told to the server and to the stylesheet: a script and its CSS.

Gradio's page picks its language in the browser and writes it to ``<html lang>``. `LANG_JS` (run once on page
load, and again whenever that attribute changes) maps it to one of
the app's languages, writes that to ``<html data-ta-lang>`` and to the `LANG_COOKIE` cookie (read by event
handlers, `request_language`), and sets ``<html dir="rtl">`` for a right-to-left language.

`LANG_CSS` then shows only the examples of the page's language (`examples_id`: one Examples block per
language, all in the page), lays the app out right to left for Arabic (Gradio marks every block
``dir="ltr"``, which the stylesheet overrides; the app's own rules it mirrors are !important because Gradio
adds a copy of each custom rule under its container's classes, which outweighs an html[dir] selector), and
gives each paragraph of an answer, a decline or a passage
the direction of its own first letters, so an Arabic sentence reads right to left and an English passage
or citation quoted beside it keeps its left-to-right order.
"""

from __future__ import annotations

import json

from toolkit_assistant.app.i18n import LANG_COOKIE, RTL_LANGUAGES, UI_LANGUAGES


def examples_id(kind: str, lang: str) -> str:
    """The elem_id of one language's Examples block ('examples-fr', 'topic-examples-ar')."""
    return f"{kind}-{lang}"


def _examples_css(kind: str) -> str:
    """Hide every language's block of `kind`, then show the page's (English when the page has no data-ta-lang).

    The hiding rule sits in :where() (no weight): Gradio adds a copy of every rule under its container's
    classes, and that copy must not outweigh the rule that shows a block (ids and the html attribute).
    """
    every = ", ".join(f"#{examples_id(kind, lang)}" for lang in UI_LANGUAGES)
    shown = ", ".join(f"html[data-ta-lang={lang}] #{examples_id(kind, lang)}" for lang in UI_LANGUAGES)
    return (f":where({every}) {{display: none !important;}}\n"
            f"{shown}, html:not([data-ta-lang]) #{examples_id(kind, 'en')} {{display: block !important;}}\n")


LANG_CSS = (
    _examples_css("examples") + _examples_css("topic-examples") + """
html[dir=rtl] body, html[dir=rtl] .gradio-container, html[dir=rtl] .gradio-container [dir=ltr] {direction: rtl;}
html[dir=rtl] .ta-table th, html[dir=rtl] .ta-table td {text-align: right !important;}
html[dir=rtl] .ta-counter {text-align: left !important;}
html[dir=rtl] .ta-notice {border-left: 0 !important; border-right: 4px solid #b45309 !important;}
html[dir=rtl] .ta-error {border-left: 0 !important; border-right: 4px solid #b91c1c !important;}
html[dir=rtl] #filter-status .ta-filter-on {border-left: 0 !important; border-right: 4px solid #1d4ed8 !important;}
html[dir=rtl] .ta-chunk {border-left: 0 !important; border-right: 3px solid var(--border-color-accent) !important;}
#chat .message p, #chat .message li, .ta-chunk, .ta-source-head, .ta-meta, .ta-rests, .ta-declined strong,
.ta-declined p, .ta-declined li, .ta-notice, .ta-intro, .ta-filter-on {unicode-bidi: plaintext; text-align: start;}
"""
)

LANG_JS = """() => {
  const UI = __UI__, RTL = __RTL__, COOKIE = __COOKIE__;
  const apply = () => {
    const root = document.documentElement;
    const primary = (root.getAttribute('lang') || 'en').toLowerCase().split('-')[0];
    const lang = UI.includes(primary) ? primary : 'en';
    if (root.dataset.taLang !== lang) root.dataset.taLang = lang;
    const dir = RTL.includes(lang) ? 'rtl' : 'ltr';
    if (root.getAttribute('dir') !== dir) root.setAttribute('dir', dir);
    document.cookie = COOKIE + '=' + lang + '; path=/; SameSite=Strict';
  };
  apply();
  new MutationObserver(apply).observe(document.documentElement, {attributes: true, attributeFilter: ['lang']});
}""".replace("__UI__", json.dumps(list(UI_LANGUAGES))).replace("__RTL__", json.dumps(sorted(RTL_LANGUAGES))).replace(
    "__COOKIE__", json.dumps(LANG_COOKIE))


def with_lang_js(js: str) -> str:
    """One page-load script that runs `js` (a JavaScript arrow function, as Blocks.launch takes) and LANG_JS."""
    return f"() => {{ ({js})(); ({LANG_JS})(); }}"
