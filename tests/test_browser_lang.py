"""Issue #14 item 4 in a real browser: the app in French, Spanish and Arabic (Debian's Chromium, headless).

The app runs on the default install (TOOLKIT_EMBEDDING=auto: questions in other languages go to the e5 index);
the browser's locale alone chooses the language. Each test asserts what the page shows: the tab labels, the
question box's placeholder, the example questions of that language (and no other's), an example answered, a
decline word for word as the eval runner gives it, and for Arabic a right-to-left page whose Arabic text is
right-aligned while English passages and their [n] markers keep their left-to-right order.
Screenshots go to test-artifacts/browser/14-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_browser import CHROMIUM, SHOTS, _ask
from test_browser_app import _fresh_page
from test_examples import OFF_TOPIC

from toolkit_assistant.app.i18n import EXAMPLE_TOPICS, EXAMPLES, UI_LANGUAGES, ui_text
from toolkit_assistant.messages import ABSTAIN, say

pytestmark = pytest.mark.slow

LOCALES = [("fr-FR", "fr"), ("es-ES", "es"), ("ar-EG", "ar")]
ENGLISH_TABS = {"Ask", "Prepare a session", "Evaluate", "Library"}

# The line boxes of an element's text (one rect a line), and the element's content box: for alignment checks.
LINES_JS = """(el) => {
  const r = document.createRange(); r.selectNodeContents(el);
  const box = el.getBoundingClientRect(), cs = getComputedStyle(el);
  const lines = [...r.getClientRects()].filter(x => x.width > 1);
  return {left: box.left + parseFloat(cs.paddingLeft), right: box.right - parseFloat(cs.paddingRight),
          lines: lines.map(x => ({left: x.left, right: x.right, top: Math.round(x.top)}))};
}"""

# The x positions of the characters of the last occurrence of a word in an element's text
CHAR_ORDER_JS = """(el, word) => {
  const t = el.firstChild, s = t.textContent, at = s.lastIndexOf(word), r = document.createRange();
  return [...word].map((_, k) => { r.setStart(t, at + k); r.setEnd(t, at + k + 1); return r.getBoundingClientRect().left; });
}"""


@pytest.fixture(scope="module")
def lang_app_url(corpus_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over the corpus index, set up as installed (both indexes, TOOLKIT_EMBEDDING=auto)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install it with `make browser` (apt-get install chromium)")
    from test_ui import start_app, stop_app

    proc, url = start_app(corpus_index_dir, tmp_path_factory.mktemp("lang-app"),
                          extra_env={"TOOLKIT_EMBEDDING": "auto"})
    try:
        yield url
    finally:
        stop_app(proc)


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _paragraph(page: Any, text: str) -> Any:
    """The last answer's paragraph that holds this text."""
    return page.locator("#chat .bot").last.locator("p", has_text=text).first


def _right_aligned(box: dict[str, Any]) -> bool:
    """Every line of the text ends at the right edge of its box (within 3 px)."""
    return bool(box["lines"]) and all(abs(line["right"] - box["right"]) <= 3 for line in box["lines"])


def _starts_left(box: dict[str, Any]) -> bool:
    """The text's first line starts at the left edge of its box (within 3 px): left to right."""
    return bool(box["lines"]) and abs(box["lines"][0]["left"] - box["left"]) <= 3


@pytest.mark.parametrize(("locale", "lang"), LOCALES)
def test_the_whole_app_speaks_the_browsers_language(lang_app_url: str, corpus_assistant: Any, locale: str,
                                                     lang: str) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser, pg = _fresh_page(p, lang_app_url, locale=locale)
        try:
            assert pg.evaluate("document.documentElement.dataset.taLang") == lang
            tabs = [t.strip() for t in pg.get_by_role("tab").all_inner_texts() if t.strip()]
            assert tabs[:4] == [ui_text(k, lang) for k in ("tab_ask", "tab_prepare", "tab_evaluate", "tab_library")]
            assert not ENGLISH_TABS & set(tabs), tabs
            assert pg.get_attribute("#question textarea", "placeholder") == ui_text("question_placeholder", lang)
            assert pg.inner_text("#ask-btn").strip() == ui_text("ask_button", lang)
            # the example questions of this language, and no other language's
            examples = pg.locator(f"#examples-{lang}")
            assert examples.is_visible() and ui_text("examples_label", lang) in examples.inner_text()
            for other in UI_LANGUAGES:
                if other != lang:
                    assert not pg.locator(f"#examples-{other}").is_visible(), other
            labels = [b.strip() for b in examples.locator("button").all_inner_texts() if b.strip()]
            assert len(labels) == len(EXAMPLES[lang])
            for label, example in zip(labels, EXAMPLES[lang], strict=True):  # Gradio cuts a long one with "..."
                assert example.question.startswith(label.removesuffix("...").rstrip()), (label, example.question)

            # an example question, clicked, is asked and answered
            examples.locator("button").first.click()
            pg.wait_for_function(f"document.querySelector('#question textarea').value === {EXAMPLES[lang][0].question!r}")
            _ask(pg, EXAMPLES[lang][0].question)
            pg.wait_for_selector("#sources-panel .ta-source")
            answered = pg.locator("#chat .bot").last.inner_text().strip()
            assert answered.splitlines()[0].strip() == ui_text("outcome_answered", lang), answered[:200]
            assert "[1]" in answered
            if lang == "ar":
                _assert_arabic_answer_layout(pg)
            pg.screenshot(path=str(SHOTS / f"14-lang-{locale}-answer.png"), full_page=True)

            # a decline: in this language, word for word what the eval runner records for the question
            question = OFF_TOPIC[lang]
            expected = corpus_assistant.ask(question)
            assert expected.outcome == "none" and expected.text.startswith(say(ABSTAIN, lang))
            _ask(pg, question)
            declined = pg.locator("#chat .bot").last.inner_text().strip()
            label = ui_text("outcome_none", lang)
            assert declined.splitlines()[0].strip() == label
            assert _words(declined) == _words(f"{label} {expected.text}"), (declined, expected.text)
            panel = pg.inner_text("#sources-panel")
            assert pg.locator("#sources-panel .ta-outcome").inner_text().strip() == label
            assert say(ABSTAIN, lang) in panel and "do not cover" not in panel
            if lang == "ar":
                decline = _paragraph(pg, say(ABSTAIN, lang)).evaluate(LINES_JS)
                assert _right_aligned(decline), decline
                assert _right_aligned(pg.locator("#sources-panel .ta-declined strong").evaluate(LINES_JS))
                # the English topics after the Arabic lead-in keep their order and brackets: "summary)" left to right
                topics = pg.locator("#chat .bot").last.locator("bdi").first
                order = topics.evaluate(CHAR_ORDER_JS, "summary)")
                assert order == sorted(order), order
            pg.screenshot(path=str(SHOTS / f"14-lang-{locale}-decline.png"), full_page=True)

            # the Prepare tab's example topics and the Library's table are in the language too
            pg.get_by_role("tab", name=ui_text("tab_prepare", lang), exact=True).click()
            topics = pg.locator(f"#topic-examples-{lang}")
            topics.wait_for(state="visible")
            assert EXAMPLE_TOPICS[lang][0].topic in topics.inner_text()
            assert pg.get_attribute("#topic textarea", "placeholder") == ui_text("topic_placeholder", lang)
            pg.screenshot(path=str(SHOTS / f"14-lang-{locale}-prepare.png"), full_page=True)
            pg.get_by_role("tab", name=ui_text("tab_library", lang), exact=True).click()
            pg.wait_for_selector("#library-table table")
            head = pg.locator("#library-table th").all_inner_texts()
            assert [h.strip() for h in head] == ui_text("library_columns", lang).split("|")
        finally:
            browser.close()


def _assert_arabic_answer_layout(pg: Any) -> None:
    """The page runs right to left; Arabic lines are right-aligned; English passages stay left to right."""
    assert pg.evaluate("document.documentElement.getAttribute('dir')") == "rtl"
    assert pg.evaluate("getComputedStyle(document.querySelector('.gradio-container')).direction") == "rtl"
    assert pg.evaluate("getComputedStyle(document.querySelector('#chat')).direction") == "rtl"
    bot = pg.locator("#chat .bot").last
    # the outcome label and the notice (Arabic) end at the right edge of the answer
    assert _right_aligned(_paragraph(pg, ui_text("outcome_answered", "ar")).evaluate(LINES_JS))
    assert _right_aligned(_paragraph(pg, ui_text("note_prefix", "ar")).evaluate(LINES_JS))
    # the cited English sentences read left to right, their [n] markers after the words they follow
    english = bot.locator("p", has=pg.locator("a[href^='#source-']")).first
    box = english.evaluate(LINES_JS)
    assert _starts_left(box), box
    marker = english.locator("a[href^='#source-']").first.bounding_box()
    assert marker and marker["x"] > box["lines"][0]["left"] + 50, (marker, box["lines"][0])
    passage = pg.locator("#sources-panel .ta-chunk").first.evaluate(LINES_JS)
    assert _starts_left(passage), passage
    # the Sources panel sits on the left of the chat, as a right-to-left reader expects
    chat, panel = pg.locator("#chat").bounding_box(), pg.locator("#sources-panel").bounding_box()
    assert chat and panel and panel["x"] < chat["x"], (chat, panel)


def test_a_french_case_added_in_evaluate_shows_the_english_words_it_was_read_with(lang_app_url: str) -> None:
    """The Evaluate tab in French: a case asked in French passes, and its explain view names, in French, the
    English words the glossary read in the question (gloss.py)."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser, pg = _fresh_page(p, lang_app_url, locale="fr-FR")
        try:
            pg.get_by_role("tab", name=ui_text("tab_evaluate", "fr"), exact=True).click()
            pg.fill("#new-case-question textarea", "Qui a financé les lignes directrices de l'UNESCO pour les tribunaux ?")
            pg.fill("#new-case-facts textarea", "European Commission")
            pg.click("#add-case")
            pg.wait_for_function("document.querySelector('#new-case-result').innerText.includes('financé')",
                                 timeout=120_000)
            result = pg.inner_text("#new-case-result")
            assert result.startswith("PASS") and "European Commission" in result
            words = pg.locator("#new-case-result .ta-english-words")
            assert words.is_visible()
            assert ui_text("explain_english_words", "fr") in words.inner_text() and "funded" in words.inner_text()
            decision = pg.locator("#new-case-result .ta-explain .ta-decision")
            assert decision.get_attribute("data-coverage") == "answered"
            box, top = words.bounding_box(), decision.bounding_box()
            assert box is not None and top is not None and box["y"] > top["y"]  # under the decision
            assert '"language": "fr"' in result  # the saved case says which language it was asked in
            pg.screenshot(path=str(SHOTS / "14-20-evaluate-french-case.png"), full_page=True)
        finally:
            browser.close()
