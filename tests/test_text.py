"""Sentence splitting, terms and fact extraction."""

from __future__ import annotations

from toolkit_assistant.text import content_terms, has_control_chars, numbers, proper_names, split_sentences, years


def test_sentences_are_exact_spans_of_the_text() -> None:
    text = "Mata v. Avianca, Inc. was decided in 2023. Judges e.g. in Colombia used it! Did they? Yes."
    spans = split_sentences(text)
    assert [s.text for s in spans] == [
        "Mata v. Avianca, Inc. was decided in 2023.",
        "Judges e.g. in Colombia used it!",
        "Did they?",
        "Yes.",
    ]
    for s in spans:
        assert text[s.start : s.end] == s.text


def test_list_items_are_sentences_without_their_markers() -> None:
    text = "The Charter names two values:\n\n- Human dignity comes first.\n- Fairness protects every party."
    got = [s.text for s in split_sentences(text)]
    assert got == ["The Charter names two values:", "Human dignity comes first.", "Fairness protects every party."]


def test_source_tags_stay_with_their_sentence() -> None:
    got = [s.text for s in split_sentences("It ran in 2023. [S5][S6] Results came in 2024. [S15]")]
    assert got == ["It ran in 2023. [S5][S6]", "Results came in 2024. [S15]"]


def test_numbers_are_normalised() -> None:
    assert numbers("36,000 judges, 44% of them, and 9 %") == {"36000", "44%", "9%"}
    assert years("from 2019 to 2024, not 1234") == {"2019", "2024"}


def test_terms_drop_stopwords_and_stem() -> None:
    assert content_terms("What are the principles for judges?") == ["principle", "judge"]


def test_proper_names_skip_the_first_word() -> None:
    assert proper_names("The survey was presented by Guilherme Canela in Geneva.") == {"guilherme", "canela", "geneva"}


def test_control_characters_are_detected() -> None:
    assert has_control_chars("bad\x00question")
    assert not has_control_chars("fine\tquestion\n")
