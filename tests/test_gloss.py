"""The glossaries that give a question in another language its English words (toolkit_assistant/gloss.py)."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from toolkit_assistant.gloss import PREFIX_LANGUAGES, build, english_words, glossary, glossed, normalise
from toolkit_assistant.question import analyse_question
from toolkit_assistant.text import STOPWORDS

LANGUAGES = ("fr", "es", "pt", "ru", "ar", "zh")
CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _raw(language: str) -> dict[str, list[str]]:
    path = resources.files("toolkit_assistant.lexicon") / "gloss" / f"{language}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("question", "language", "expected"),
    [
        ("Qui a financé les lignes directrices et combien de juges ont été formés ?", "fr", {"funded", "judges", "trained"}),
        ("¿Cuántos jueces capacitó la UNESCO?", "es", {"judges"}),
        ("Quantos juízes foram capacitados pela UNESCO?", "pt", {"judges", "trained"}),
        ("Quantos juizes foram capacitados?", "pt", {"judges", "trained"}),  # typed without the accent
        ("Сколько судей обучила ЮНЕСКО?", "ru", {"judges", "trained"}),
        ("Какие ИИ-системы применяют суды?", "ru", {"systems"}),  # a hyphenated form is a phrase
        ("كم عدد القُضاةِ الذين درّبتهم اليونسكو؟", "ar", {"judges", "trained"}),  # short vowels and the article
        ("教科文组织培训了多少法官？", "zh", {"judges", "trained"}),
        # an instrument's name written out in full, not only its initials
        ("¿Cuándo entró en vigor el Pacto Internacional de Derechos Civiles y Políticos?", "es", {"ICCPR"}),
        ("Que dit la Déclaration universelle des droits de l'homme sur la vie privée ?", "fr", {"UDHR"}),
        ("¿Qué es la Comisión Europea para la Eficacia de la Justicia?", "es", {"CEPEJ"}),
    ],
)
def test_a_question_in_another_language_gets_the_english_words_of_its_forms(question: str, language: str, expected: set[str]) -> None:
    assert expected <= set(english_words(question, language))


def test_a_whole_word_form_does_not_match_the_start_of_a_longer_word() -> None:
    assert "artificial" in english_words("¿Puede la IA decidir un caso?", "es")
    assert "artificial" not in english_words("Le iambe et la iarovisation", "fr")


def test_how_each_script_matches_a_form() -> None:
    """Word beginnings with accents folded (fr); within a word after the clitics and short vowels (ar), and a
    whole-word form after a clitic too; within the question, but Latin letters only as a whole word (zh); a
    whole-word form shared by two English words gives both."""
    fr = build("fr", {"trained": ["formé"], "court": ["cour "], "courts": ["cour "]})
    assert fr.english("Les juges ont-ils été FORMES ?") == ["trained"]
    assert fr.english("La Cour a statué") == ["court", "courts"]
    assert fr.english("Le cours commence") == []
    ar = build("ar", {"judges": ["قضاة"], "public": ["الجمهور "]})
    assert ar.english("كم عدد القُضاةِ؟") == ["judges"]
    assert ar.english("ماذا يعرف والجمهور؟") == ["public"]
    zh = build("zh", {"judges": ["法官"], "artificial": ["ai"]})
    assert zh.english("用AI的法官") == ["artificial", "judges"]
    assert zh.english("法官的email地址") == ["judges"]


def test_english_and_an_unknown_language_get_no_glossary() -> None:
    assert english_words("How many judges were trained?", "en") == []
    assert english_words("Wie viele Richter?", "de") == []
    assert glossary("en") is None


def test_the_words_come_in_the_order_the_question_names_them() -> None:
    words = english_words("Combien de juges la Commission européenne a-t-elle financés ?", "fr")
    assert words.index("judges") < words.index("funded")


def test_the_glossed_profile_keeps_the_words_the_passages_use_and_adds_the_english_ones() -> None:
    profile = analyse_question("Quantos juízes a UNESCO capacitou em 2023?", "pt")
    known = {"unesco", "2023"}
    out = glossed(profile, "pt", known.__contains__)
    assert {"unesco", "2023", "judge"} <= set(out.terms)
    assert "quanto" not in out.terms and "juíze" not in out.terms  # words of its own no passage uses
    assert all("judge" in part.terms for part in out.parts)


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_glossary_names_corpus_words_with_forms_long_enough_to_mean_something(language: str) -> None:
    """A key the corpus never uses would add a word no passage holds; a form of one or two letters
    (three for a word prefix) would match half the questions of that language."""
    corpus = " ".join(p.read_text(encoding="utf-8") for p in CORPUS.glob("*.md")).lower()
    raw = _raw(language)
    assert len(raw) >= 300
    for english, forms in raw.items():
        assert english.lower() in corpus, english
        assert english.lower() not in STOPWORDS, english
        assert forms, english
        for form in forms:
            text = normalise(form.strip(), language)
            letters = len(re.findall(r"\w", text))
            if language == "zh":
                assert letters >= 2, (english, form)
            elif language in PREFIX_LANGUAGES and not form.endswith(" ") and not re.search(r"\W", text):
                assert letters >= 3, (english, form)
            else:
                assert letters >= 2, (english, form)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("Qui a financé les lignes directrices de l'UNESCO pour les tribunaux ?", "European Commission"),
        ("谁资助了教科文组织的法院人工智能准则？", "European Commission"),
        ("Quantos operadores judiciais a UNESCO capacitou em IA e Estado de direito?", "8,000"),
        ("Combien d'opérateurs judiciaires l'UNESCO a-t-elle formés à l'IA et à l'état de droit ?", "8,000"),
    ],
)
def test_a_question_in_another_language_is_answered_with_the_sentence_its_english_words_point_to(
    corpus_assistant, question: str, fact: str,  # type: ignore[no-untyped-def]
) -> None:
    """Without the glossary (gloss.glossary returning None) none of these four had the fact in its answer:
    "financé" and "capacitou" share nothing with "funded" and "trained", and e5's meaning alone ranked a
    sentence about the Guidelines' title or the survey's launch first."""
    answer = corpus_assistant.ask(question).to_dict()
    assert answer["coverage"] == "answered" and answer["language"] != "en"
    assert fact in answer["answer"]


@pytest.mark.integration
def test_the_explain_view_shows_the_english_words_a_foreign_question_was_read_with(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    from toolkit_assistant.app.eval_tab import render_explain

    trace = corpus_assistant.ask("Qui a financé les lignes directrices de l'UNESCO ?", explain=True).to_dict()["explain"]
    assert {"funded", "guidelines"} <= set(trace["english_words"])
    page = render_explain(trace, "fr")
    assert "mots anglais lus dans la question" in page and "funded" in page
    english = corpus_assistant.ask("Who funded the UNESCO guidelines?", explain=True).to_dict()["explain"]
    assert "english_words" not in english


@pytest.mark.parametrize(
    ("question", "language", "kind", "expected"),
    [
        # the kind of fact ("montant") is read by the answer-type check; the head is what it is of
        ("Quel est le montant des amendes prévues par le règlement ?", "fr", "heads", [("amendes", {"fine"})]),
        ("¿Qué sanción disciplinaria recibió el juez?", "es", "heads", [("sanción", {"sanctions"})]),
        ("¿Qué pasó en 2025 ante el High Court?", "es", "heads", []),  # a verb where a noun would be; a year
        ("Quel est le nom du juge ?", "fr", "heads", [("juge", {"judge"})]),  # "nom" is a kind
        ("COMPAS这个风险评估工具是哪家公司开发的？", "zh", "heads", [("公司", {"companies"})]),
        ("Combien de personnes ont répondu à l'enquête ?", "fr", "count", [("personnes", {"people"})]),
        ("¿Cuántos países han ratificado el Convenio?", "es", "count", [("países", {"countries"})]),
        # a count reads its whole phrase: "policy" is what the materials count ("eleven policy action areas")
        ("Сколько направлений политики выделяет рекомендация?", "ru", "count",
         [("направлений", set()), ("политики", {"policy"})]),
        ("调查中有多少比例的法官呼吁出台强制性的规定？", "zh", "count", []),  # "what share", not "how many"
        ("Какая доля опрошенных считает, что это опасно?", "ru", "heads", [("опрошенных", {"respondents"})]),
        ("Who chaired the group?", "en", "heads", []),  # English reads its own heads (coverage.focus_heads)
        # the verb of a who-question says what the person did: the sentence model's head for it
        ("Кто финансировал массовый онлайн-курс ЮНЕСКО?", "ru", "who", [("финансировал", {"funded"})]),
        ("Quem bancou a elaboração das diretrizes?", "pt", "who", [("bancou", {"funded"})]),
        ("¿Quién financió el curso?", "es", "who", [("financió", {"funded"})]),
        ("Qui a financé les lignes directrices ?", "fr", "who", [("financé", {"funded"})]),
        ("من موّل الدورة؟", "ar", "who", [("موّل", {"funded"})]),
        ("谁资助了这门课程？", "zh", "who", [("资助", {"funded"})]),
        ("Quem é o autor das diretrizes?", "pt", "who", []),  # a copula: the head is the noun after it
        ("Кто из судей ответил?", "ru", "who", []),
    ],
)
def test_what_a_question_in_another_language_asks_for(question: str, language: str, kind: str, expected: list) -> None:  # type: ignore[type-arg]
    """The question's own word, and among its English words the ones named (the glossary may give more)."""
    from toolkit_assistant.gloss import foreign_focus

    found = foreign_focus(question, language, kind)
    assert [surface for surface, _ in found] == [surface for surface, _ in expected]
    for (_, english), (_, needed) in zip(found, expected):
        assert needed <= set(english), english


def test_a_foreign_head_word_the_sentences_do_not_carry_makes_the_answer_partial() -> None:
    """A head word the glossary does not know is asked of the chosen sentences in meaning; a cognate of a
    passage word ("sanción": "sanction") is there without asking."""
    from toolkit_assistant.coverage import FOREIGN_CARRY_MARGIN, assess

    asked: list[tuple[str, float]] = []

    def decide(question: str, carried: bool, passage: str = "The court ordered the lawyers to write to the judges.") -> object:
        def carries(word: str, margin: float) -> bool:
            asked.append((word, margin))
            return carried

        return assess(
            question, language="es", best_sim=0.60, top_dense=0.6, agree=True, multilingual=True,
            passage_texts=[passage], title_texts=[],
            wants_missing="", absence=False, df=lambda t: 0.01, foreign_min_sim=0.45, carries=carries,
        )

    fines = decide("¿Qué multas prevé el reglamento europeo?", carried=False)
    assert fines.coverage == "partial" and fines.missing == ("multas",) and asked == [("multas", FOREIGN_CARRY_MARGIN)]
    assert decide("¿Qué multas prevé el reglamento europeo?", carried=True).coverage == "answered"
    asked.clear()
    sanction = "The court imposed a sanction of US$5,000 on the lawyers."
    assert decide("¿Qué sanción recibieron los abogados?", carried=False, passage=sanction).coverage == "answered"
    # "multas" is "fine" in the glossary, and a fine is a sanction or a penalty (text.SYNONYMS)
    assert decide("¿Qué multas recibieron los abogados?", carried=False, passage=sanction).coverage == "answered"
    assert asked == []


@pytest.mark.integration
@pytest.mark.parametrize(
    ("question", "coverage"),
    [
        ("¿Qué sanción disciplinaria recibió el juez de Cartagena por usar ChatGPT?", "partial"),
        ("¿Qué sanción les impusieron a los abogados en el caso Mata contra Avianca?", "answered"),
        ("Quel est le montant des amendes prévues par le règlement européen sur l'IA en cas de manquement aux "
         "obligations pour les systèmes à haut risque ?", "partial"),
        ("COMPAS这个风险评估工具是哪家公司开发的？", "partial"),
    ],
)
def test_a_question_in_another_language_asking_for_a_fact_the_materials_lack_is_partly_covered(
    corpus_assistant, question: str, coverage: str,  # type: ignore[no-untyped-def]
) -> None:
    """Before the glossary read what a foreign question asks for, all four were answered as if covered: the
    Cartagena judge's sanction, the AI Act's fines and COMPAS's maker are nowhere in the materials."""
    answer = corpus_assistant.ask(question).to_dict()
    assert answer["coverage"] == coverage, answer["answer"][:300]


def test_the_sentence_model_counts_the_thing_a_foreign_how_many_asks_for() -> None:
    """The fitted model's count feature reads the glossary's English for a foreign "how many" ("cuántos
    Estados": "state"), so "adopted by all 193 Member States" ranks above a sentence without the count."""
    from toolkit_assistant.question import analyse_question
    from toolkit_assistant.ranker import view_of

    question = "¿Cuándo se aprobó la Recomendación y cuántos Estados la respaldaron?"
    assert view_of(analyse_question(question, "es"), [], lambda t: 0.01, "es").counted == "state"
    assert view_of(analyse_question(question, "es"), [], lambda t: 0.01).counted == ""  # read as English: none
