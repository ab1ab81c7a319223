"""The app in the user's language, against the real Assistant on the default install (TOOLKIT_EMBEDDING=auto).

Every example question the app offers, in every language, is answered (coverage "answered", the expected fact
in the answer); every example topic builds a session pack; and the Ask tab's declines and partial answers are
in the interface's language and word for word what the eval runner records for a question in that language.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from toolkit_assistant.app.i18n import EXAMPLE_TOPICS, EXAMPLES, UI_LANGUAGES, ui_text
from toolkit_assistant.messages import ABSTAIN, NEAREST, PARTIAL, SOURCES_IN_ENGLISH, say

pytestmark = pytest.mark.integration

QUESTIONS = [(lang, e.question, e.expect) for lang in UI_LANGUAGES for e in EXAMPLES[lang]]
TOPICS = [(lang, t.topic) for lang in UI_LANGUAGES for t in EXAMPLE_TOPICS[lang]]
# questions in each language that the materials do not cover (declined by the eval runner as well)
OFF_TOPIC = {
    "en": "What is the recipe for a chocolate cake?",
    "fr": "Quelle est la recette d'un gâteau au chocolat ?",
    "es": "¿Cuál es la receta de un pastel de chocolate?",
    "ar": "ما هي وصفة كعكة الشوكولاتة؟",
    "zh": "巧克力蛋糕怎么做？",
    "ru": "Какой рецепт у шоколадного торта?",
    "pt": "Qual é a receita de um bolo de chocolate?",
}
NEAR_MISS = "What share of judges in Brazil use ChatGPT?"  # partly covered: the survey, but no Brazilian figure


def _plain(markdown: str) -> str:
    """A chat message as its reader sees the words: [n] links, Markdown escapes, emphasis and bidi isolates
    gone, entities decoded, spaces collapsed."""
    text = re.sub(r"\[\\\[(\d+)\\\]\]\(#source-\d+\)", r"[\1]", markdown)
    text = re.sub(r"\*\*|(?<!\\)_|</?bdi>", "", text)
    return _words(html.unescape(re.sub(r"\\(.)", r"\1", text)))


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize(("lang", "question", "expect"), QUESTIONS, ids=[f"{q[0]}-{i}" for i, q in enumerate(QUESTIONS)])
def test_every_example_question_is_answered_with_its_fact(corpus_assistant: Any, lang: str, question: str,
                                                           expect: str) -> None:
    answer = corpus_assistant.ask(question)
    text = re.sub(r"\s*\[\d+\]", "", answer.text)
    assert answer.outcome == "answered", (lang, question, answer.text[:300])
    assert re.search(expect, text, re.IGNORECASE), (lang, question, expect, text[:600])
    assert answer.citations and all(c.quote in c.chunk.text for c in answer.citations)
    if lang != "en":  # other languages are answered from the multilingual index, with the notice in that language
        assert answer.language == lang and say(SOURCES_IN_ENGLISH, lang) in answer.notices


@pytest.mark.parametrize(("lang", "topic"), TOPICS, ids=[f"{t[0]}-{i}" for i, t in enumerate(TOPICS)])
def test_every_example_topic_builds_a_session_pack(corpus_assistant: Any, lang: str, topic: str) -> None:
    from toolkit_assistant.session.build import build_session

    pack = build_session(corpus_assistant, topic, minutes=60)
    assert pack.themes and pack.references, (lang, topic)


def _chat_message(corpus_assistant: Any, question: str, lang: str) -> tuple[str, str]:
    """(the Ask tab's chat message for the question, its sources panel), with the interface in `lang`."""
    from toolkit_assistant.app.actions import AppActions
    from toolkit_assistant.app.chat import chat_steps
    from toolkit_assistant.config import Settings

    actions = AppActions(corpus_assistant, Settings())
    *_, last = chat_steps(actions, question, [], [], "extractive", [], [], lang)
    messages, _hist, panel = last[0], last[1], last[2]
    return messages[-1]["content"], panel


@pytest.mark.parametrize("lang", UI_LANGUAGES)
def test_the_ask_tab_declines_in_its_language_as_the_eval_runner_does(corpus_assistant: Any, lang: str) -> None:
    from toolkit_assistant.evals.cases import parse_case
    from toolkit_assistant.evals.runner import run_eval

    question = OFF_TOPIC[lang]
    case = parse_case({"id": f"off-{lang}", "category": "out_of_scope", "question": question, "language": lang,
                       "must_refuse": True}, "test")
    recorded = run_eval(corpus_assistant, [case]).cases[0].answer
    assert recorded is not None and recorded["coverage"] == "none" and recorded["language"] == lang
    assert recorded["answer"].startswith(say(ABSTAIN, lang)) and say(NEAREST, lang) in recorded["answer"]
    message, panel = _chat_message(corpus_assistant, question, lang)
    shown = _plain(message)
    assert shown.startswith(ui_text("outcome_none", lang))
    assert shown[len(ui_text("outcome_none", lang)):].strip() == _words(recorded["answer"]), (shown, recorded["answer"])
    assert html.escape(say(ABSTAIN, lang), quote=True) in panel and html.escape(say(NEAREST, lang), quote=True) in panel


@pytest.mark.parametrize("lang", UI_LANGUAGES)
def test_a_partial_answer_is_led_in_the_interface_language(corpus_assistant: Any, lang: str) -> None:
    reply = corpus_assistant.ask(NEAR_MISS, reply_language=lang)
    assert reply.outcome == "partial" and reply.language == "en"  # the question's language is still recorded
    assert reply.text.startswith(say(PARTIAL, lang).split("{topic}")[0]), reply.text[:200]
    assert reply.citations  # the closest passages are cited, in English as written
    message, _panel = _chat_message(corpus_assistant, NEAR_MISS, lang)
    shown = _plain(message)
    assert shown.startswith(ui_text("outcome_partial", lang))
    assert _words(reply.text) in shown
    # English asked in an English interface: the words the eval runner records, no language notice
    if lang == "en":
        assert corpus_assistant.ask(NEAR_MISS).text == reply.text and not reply.notices
    else:
        assert say(SOURCES_IN_ENGLISH, lang) in reply.notices
