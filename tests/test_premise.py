"""A count the question takes for granted that the materials contradict leads the answer, with a notice."""

from __future__ import annotations

import re

import pytest

from toolkit_assistant.answer import Candidate
from toolkit_assistant.premise import contradiction, stated_counts
from toolkit_assistant.text import Span
from toolkit_assistant.types import Chunk


def _cand(text: str, score: float) -> Candidate:
    chunk = Chunk(id=f"d:1:{score}", doc_id="d", text=text, title="T", section="1", section_title="S")
    return Candidate(chunk=chunk, span=Span(0, len(text), text), hit_rank=1, hit_dense=0.5, sim=0.5,
                     terms=frozenset(), index=0, score=score)


def test_stated_counts_are_the_ones_taken_as_given() -> None:
    assert [(s.value, s.thing, s.ordinal) for s in stated_counts("The guidelines have 12 principles. What are they?")] == [
        (12, "principle", False)]
    assert [(s.value, s.thing, s.ordinal) for s in stated_counts("What does the eighth module cover?")] == [
        (8, "module", True)]
    assert stated_counts("How many principles do the guidelines have?") == []  # asked, not stated
    assert stated_counts("What did the 2024 draft say about principles?") == []  # a year counts nothing
    assert stated_counts("What did the two lawyers in Mata v. Avianca do?") == []  # people are not parts of a text
    only = stated_counts("Why was the course only offered in English?")
    assert [(s.value, s.thing, s.surface) for s in only] == [(1, "language", "only offered in English")]


def test_a_contradicting_total_is_found_and_a_confirmed_premise_is_left_alone() -> None:
    final = _cand("The final text sets out 15 principles.", 0.4)
    draft = _cand("The 2024 draft contained 13 principles.", 0.6)
    other = _cand("Principle 1 is the protection of human rights.", 0.9)
    found = contradiction("The final guidelines have 12 principles. What are they?", [other, draft, final])
    assert found is not None and found.sentence is draft and found.found == "13 principles"
    # the question's own figure is in a passage: the premise stands, whatever the draft counted
    assert contradiction("What are the 15 principles of the final text?", [other, draft, final]) is None
    six = _cand("The course is organised in six modules.", 0.3)
    found = contradiction("What does the eighth module cover?", [other, six])
    assert found is not None and found.found == "six modules"
    assert contradiction("What does the second module cover?", [other, six]) is None  # six modules hold a second
    assert contradiction("How many modules does the course have?", [six]) is None


@pytest.mark.integration
def test_a_wrong_count_in_the_question_is_corrected_first(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    d = corpus_assistant.ask("The final UNESCO court guidelines have 12 principles. What are they?").to_dict()
    assert d["coverage"] == "answered"
    assert "15 principles" in d["citations"][0]["quote"]
    assert any("12 principles" in n and "15 principles" in n for n in d["notices"]), d["notices"]
    # "the 15 principles ... are the following" brings all fifteen, in order, across the chunk boundary
    numbers = [int(n) for n in re.findall(r"Principle (\d+) of the final", d["answer"])]
    assert numbers == list(range(1, 16)), numbers
    right = corpus_assistant.ask("What are the 15 principles of the final UNESCO Guidelines?").to_dict()
    assert not any("The question says" in n for n in right["notices"])
    # the materials never say "only in English": without the premise check this was "partly covered"
    english = corpus_assistant.ask("Why was UNESCO's MOOC on AI and the Rule of Law only offered in English?",
                                   explain=True).to_dict()
    assert english["coverage"] == "answered" and "seven languages" in english["citations"][0]["quote"]
    assert english["explain"]["premise"]["found"] == "seven languages"
