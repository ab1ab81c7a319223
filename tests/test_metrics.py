"""Each eval metric on hand-made cases whose scores are known, including zeros and bad inputs."""

from __future__ import annotations

import math

import pytest

from toolkit_assistant.evals.metrics import (
    AnswerRecord,
    CitationRef,
    MetricResult,
    SupportJudge,
    abstention_precision,
    abstention_recall,
    citation_recall_precision,
    citation_validity,
    coverage_at_k,
    doc_of,
    expected_ranks,
    fact_check,
    false_premise_handling,
    groundedness,
    hallucination_rate,
    injection_resistance,
    key_fact_accuracy,
    mrr,
    recall_at_k,
    section_of,
    strip_markers,
    wrongly_declined_rate,
)
from toolkit_assistant.verify import check_sentence

GUIDE = (
    "The Guidelines say that AI should assist judges and never replace them. "
    "The survey found that 44% of judges use chatbots, and only 9% were trained. "
    "The final text was released on 3 December 2025 by UNESCO in Paris."
)
CHECKS = "Judges must check every citation produced by a chatbot before relying on it."
COUNTS = "In 2023 the Rules recorded 17 cases of invented citations filed by lawyers."
KENYA = "Kenyan judges answered the survey on court technology."
PASSAGES = {"g:1:1": GUIDE, "r:2:1": CHECKS, "r:2:2": COUNTS, "k:1:1": KENYA}

S_ASSIST = "The Guidelines say that AI should assist judges and never replace them."
S_SURVEY = "The survey found that 44% of judges use chatbots, and only 9% were trained."


def cite(n: int, chunk: str, quote: str) -> CitationRef:
    return CitationRef(n, chunk, quote)


def answer(text: str, *cits: CitationRef, abstained: bool = False) -> AnswerRecord:
    return AnswerRecord(text, tuple(cits), abstained)


GOOD = answer("The Guidelines say that AI should assist judges and never replace them [1].", cite(1, "g:1:1", S_ASSIST))
DECLINED = answer("The materials do not cover this question.", abstained=True)


# --------------------------------------------------------------------------- result type and ids


def test_metric_result_is_nan_and_null_when_nothing_qualifies() -> None:
    m = key_fact_accuracy([], [])
    assert m.denominator == 0 and math.isnan(m.score) and not m.defined
    assert m.to_dict()["score"] is None
    assert MetricResult("x", 0.5, 1, 2).to_dict()["score"] == 0.5


def test_section_and_document_of_chunk_ids() -> None:
    assert section_of("guidelines-courts:13:2") == "guidelines-courts:13"
    assert section_of("report:2.1:p4:1") == "report:2.1"  # PDF with an outline
    assert section_of("report:p4:1") == "report:p4"  # PDF without one: the page is the section
    assert doc_of("guidelines-courts:13:2") == "guidelines-courts"
    for bad in ("guidelines-courts", "a:1", "a::1"):
        with pytest.raises(ValueError, match="not a chunk id"):
            section_of(bad)


def test_answer_record_rejects_impossible_citations() -> None:
    with pytest.raises(ValueError, match="twice"):
        answer("x [1].", cite(1, "g:1:1", "x"), cite(1, "g:1:1", "y"))
    with pytest.raises(ValueError, match="positive"):
        answer("x [0].", cite(0, "g:1:1", "x"))
    with pytest.raises(ValueError, match="lacks the field"):
        AnswerRecord.from_json({"abstained": False})
    rec = AnswerRecord.from_json({"answer": "a [1].", "abstained": False, "citations": [{"n": 1, "chunk_id": "g:1:1", "quote": "q"}]})
    assert rec.citations == (CitationRef(1, "g:1:1", "q"),)


# --------------------------------------------------------------------------- retrieval


RETRIEVED = ["a:1:1", "a:1:2", "b:2:1", "a:3:1", "c:9:1", "b:7:1"]


def test_expected_ranks_by_section_and_document() -> None:
    assert expected_ranks(["a:3", "b:2", "c:1"], RETRIEVED) == [4, 3, None]
    assert expected_ranks(["a:1"], RETRIEVED) == [1]  # the first chunk of the section counts
    assert expected_ranks(["b", "c", "z"], RETRIEVED, level="document") == [3, 5, None]


def test_expected_ranks_validates() -> None:
    with pytest.raises(ValueError, match="<doc_id>:<section>"):
        expected_ranks(["a"], RETRIEVED)
    with pytest.raises(ValueError, match="not a document id"):
        expected_ranks(["a:1"], RETRIEVED, level="document")
    with pytest.raises(ValueError, match="level"):
        expected_ranks(["a:1"], RETRIEVED, level="chunk")
    with pytest.raises(ValueError, match="lists of ids"):
        expected_ranks("a:1", RETRIEVED)  # type: ignore[arg-type]


def test_recall_at_k_counts_cases_with_any_expected_item_in_time() -> None:
    ranks = [[1, None], [None, 6], [None]]
    assert recall_at_k(ranks, 5).score == pytest.approx(1 / 3)
    r10 = recall_at_k(ranks, 10)
    assert (r10.numerator, r10.denominator) == (2, 3)
    assert r10.details["missed"] == [2]
    assert recall_at_k([[None], [7]], 5).score == 0.0


def test_coverage_counts_every_expected_item() -> None:
    m = coverage_at_k([[1, None], [None, 6]], 5)
    assert (m.numerator, m.denominator, m.score) == (1, 4, 0.25)


def test_mrr() -> None:
    m = mrr([[2], [None, 4], [None]])
    assert m.score == pytest.approx((0.5 + 0.25 + 0) / 3)
    assert mrr([[None], [None, None]]).score == 0.0
    assert mrr([[3, 1]]).score == 1.0  # the best-ranked expected item counts


@pytest.mark.parametrize(
    ("ranks", "k", "message"),
    [([[1]], 0, "k must be"), ([[]], 5, "no expected items"), ([[0]], 5, "positive integer"),
     ([[True]], 5, "positive integer"), ([3], 5, "must be a list"), ([[1.5]], 5, "positive integer")],
)
def test_rank_metrics_validate(ranks: list, k: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        recall_at_k(ranks, k)


# --------------------------------------------------------------------------- key facts


def test_key_fact_accuracy() -> None:
    answers = [
        answer("The Guidelines contain 15 principles [1].", cite(1, "g:1:1", S_ASSIST)),
        answer("The final text came out in December [1] 2025.", cite(1, "g:1:1", S_ASSIST)),  # markers removed first
        answer("The nearest topic is: 15 principles.", abstained=True),  # a decline never holds the fact
        answer("The Guidelines contain many principles [1].", cite(1, "g:1:1", S_ASSIST)),
    ]
    facts = [["15 principles"], ["december 2025"], ["15 principles"], ["\\b15\\b", "principles"]]
    m = key_fact_accuracy(answers, facts)
    assert (m.numerator, m.denominator) == (2, 4)
    assert [f["case"] for f in m.details["failures"]] == [2, 3]
    assert m.details["failures"][1]["missing"] == ["\\b15\\b"]
    assert key_fact_accuracy(answers[3:], [["\\b15\\b"]]).score == 0.0


def test_key_fact_accuracy_validates() -> None:
    with pytest.raises(ValueError, match="no key facts"):
        key_fact_accuracy([GOOD], [[]])
    with pytest.raises(ValueError, match="not a valid regex"):
        key_fact_accuracy([GOOD], [["(unclosed"]])
    with pytest.raises(ValueError, match="same length"):
        key_fact_accuracy([GOOD, GOOD], [["x"]])
    with pytest.raises(ValueError, match="not one string"):
        key_fact_accuracy([GOOD], ["judges"])  # type: ignore[list-item]


def test_strip_markers() -> None:
    assert strip_markers("A [1] b [2, 3] c [S4].") == "A b c [S4]."


# --------------------------------------------------------------------------- citations


def test_citation_validity() -> None:
    answers = [
        GOOD,
        answer("AI should assist judges [1].", cite(1, "g:1:1", "AI should assist judges and always replace them.")),
        answer("AI should assist judges [1][2].", cite(1, "g:1:1", S_ASSIST)),  # [2] resolves to nothing
        answer("AI should assist judges."),  # no citation at all
        answer("AI should assist judges [1].", cite(1, "zz:1:1", S_ASSIST)),  # unknown chunk
        answer("AI should assist judges [1].", cite(1, "g:1:1", "  ")),  # empty quote
        DECLINED,  # not counted
    ]
    m = citation_validity(answers, PASSAGES)
    assert (m.numerator, m.denominator) == (1, 6)
    problems = {f["case"]: f["problems"] for f in m.details["failures"]}
    assert problems[1] == ["[1] quote is not in chunk g:1:1"]
    assert problems[2] == ["marker [2] has no citation"]
    assert problems[3] == ["answer has no citations"]
    assert problems[4] == ["[1] cites unknown chunk zz:1:1"]
    assert problems[5] == ["[1] has an empty quote"]
    assert citation_validity(answers[1:3], PASSAGES).score == 0.0


# --------------------------------------------------------------------------- groundedness


def test_fact_check_is_independent_of_the_verifier() -> None:
    sentence = "Judges in Kenya answered the survey on court technology."
    ok, *_ = check_sentence(sentence, KENYA, sentence_vec=None, passage_vecs=None)
    assert ok  # the verifier accepts "Kenya" inside "Kenyan" ...
    assert fact_check(sentence, KENYA) == ["Kenya"]  # ... the second check does not
    assert fact_check("In 2023 the Rules recorded 17 cases.", COUNTS) == []
    assert fact_check("In 2024 the Rules recorded 1,700 cases.", COUNTS) == ["1700", "2024"]


def test_groundedness() -> None:
    judge = SupportJudge(PASSAGES)
    answers = [
        answer(f"{S_ASSIST[:-1]} [1]. {S_SURVEY[:-1]} [1].", cite(1, "g:1:1", S_ASSIST)),  # 2 supported
        answer("The survey found that 45% of judges use chatbots [1].", cite(1, "g:1:1", S_SURVEY)),  # wrong figure
        answer("Judges in Kenya answered the survey on court technology [1].", cite(1, "k:1:1", KENYA)),  # name
        answer("AI should assist judges and never replace them."),  # no citation
        answer("Judges must check every citation produced by a chatbot [2].", cite(1, "r:2:1", CHECKS)),  # dangling
        DECLINED,
    ]
    m = groundedness(answers, judge)
    assert (m.numerator, m.denominator) == (2, 6)
    reasons = {f["case"]: f["reason"] for f in m.details["failures"]}
    assert "45%" in reasons[1]
    assert "fact check" in reasons[2] and "Kenya" in reasons[2]
    assert reasons[3] == "no citation"
    assert "[2] has no citation" in reasons[4]
    assert groundedness(answers[1:3], judge).score == 0.0


# --------------------------------------------------------------------------- ALCE citation recall / precision

JOINT = "Judges must check every citation produced by a chatbot before relying on it, since in 2023 the Rules recorded 17 cases"


def test_citation_recall_and_precision_alce() -> None:
    judge = SupportJudge(PASSAGES)
    answers = [
        # supported by [1] alone; [2] neither supports alone nor is needed: irrelevant
        answer(f"{CHECKS[:-1]} [1][2].", cite(1, "r:2:1", CHECKS), cite(2, "r:2:2", COUNTS)),
        # supported only jointly: both citations are needed, both precise
        answer(f"{JOINT} [1][2].", cite(1, "r:2:1", CHECKS), cite(2, "r:2:2", COUNTS)),
        # not supported: counts against recall, its citation against precision
        answer("Judges may freely rely on chatbot citations in Paris [1].", cite(1, "r:2:1", CHECKS)),
        DECLINED,
    ]
    assert judge.supports(JOINT, ["r:2:1", "r:2:2"])[0]
    assert not judge.supports(JOINT, ["r:2:1"])[0] and not judge.supports(JOINT, ["r:2:2"])[0]
    recall, precision = citation_recall_precision(answers, judge)
    assert (recall.numerator, recall.denominator) == (2, 3)
    assert (precision.numerator, precision.denominator) == (3, 5)
    assert any("[2] is irrelevant" in f["problem"] for f in precision.details["failures"])
    r0, p0 = citation_recall_precision(answers[2:3], judge)
    assert r0.score == 0.0 and p0.score == 0.0


# --------------------------------------------------------------------------- abstention


def test_abstention_precision_recall_and_wrong_declines() -> None:
    must = [True, True, False, False, False]
    declined = [True, False, True, False, False]
    p = abstention_precision(must, declined)
    r = abstention_recall(must, declined)
    w = wrongly_declined_rate(must, declined)
    assert (p.numerator, p.denominator) == (1, 2)
    assert (r.numerator, r.denominator) == (1, 2)
    assert (w.numerator, w.denominator) == (1, 3)
    assert r.details["answered_but_must_refuse"] == [1] and w.details["declined"] == [2]
    none_declined = [False] * 5
    assert abstention_recall(must, none_declined).score == 0.0
    assert math.isnan(abstention_precision(must, none_declined).score)
    assert wrongly_declined_rate([False, False], [False, False]).score == 0.0


def test_abstention_validates() -> None:
    with pytest.raises(ValueError, match="True or False"):
        abstention_recall([True], ["yes"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="same length"):
        abstention_precision([True, False], [True])


# --------------------------------------------------------------------------- false premise, injection


def test_false_premise_handling() -> None:
    fifteen = answer("The final Guidelines contain 15 principles [1].", cite(1, "g:1:1", S_ASSIST))
    twelve = answer("The 12 principles are these [1].", cite(1, "g:1:1", S_ASSIST))
    vague = answer("The Guidelines contain principles [1].", cite(1, "g:1:1", S_ASSIST))
    answers = [fifteen, twelve, DECLINED, DECLINED, vague, fifteen]
    must = [False, False, False, True, False, True]
    facts = [["\\b15\\b"]] * 6
    bad = [["\\b12 principles"]] * 6
    m = false_premise_handling(answers, must, facts, bad)
    assert (m.numerator, m.denominator) == (2, 6)  # case 0 (corrected) and case 3 (declined as asked)
    reasons = {f["case"]: f["reasons"] for f in m.details["failures"]}
    assert any("forbidden" in x for x in reasons[1])
    assert reasons[2] == ["declined instead of correcting the premise"]
    assert reasons[4] == ["correction missing: '\\\\b15\\\\b'"]
    assert reasons[5] == ["answered, but the case must be refused"]
    assert false_premise_handling([twelve], [False], [["15"]], [["12"]]).score == 0.0
    with pytest.raises(ValueError, match="needs key facts"):
        false_premise_handling([fifteen], [False], [[]], [[]])


def test_injection_resistance() -> None:
    answers = [answer("HACKED [1].", cite(1, "g:1:1", S_ASSIST)), GOOD, answer("I was hacked.", abstained=True)]
    m = injection_resistance(answers, [["HACKED"], ["HACKED"], ["hacked"]])
    assert (m.numerator, m.denominator) == (1, 3)  # case-insensitive, declines included
    assert injection_resistance(answers[:1], [["hacked"]]).score == 0.0
    with pytest.raises(ValueError, match="no forbidden"):
        injection_resistance([GOOD], [[]])


# --------------------------------------------------------------------------- hallucination


def test_hallucination_rate_counts_incorrect_and_misgrounded_answers() -> None:
    judge = SupportJudge(PASSAGES)
    survey = answer(f"{S_SURVEY[:-1]} [1].", cite(1, "g:1:1", S_SURVEY))
    answers = [
        survey,  # correct and grounded
        survey,  # a key fact is missing: incomplete, not hallucinated
        survey,  # a forbidden pattern is present: incorrect
        answer(f"{S_SURVEY[:-1]} [1].", cite(1, "g:1:1", "44% of all judges use chatbots.")),  # quote not in chunk
        answer("The survey found that 45% of judges use chatbots [1].", cite(1, "g:1:1", S_SURVEY)),  # unsupported
        DECLINED,  # not an answer: not counted
    ]
    facts = [["44%"], ["90%"], [], [], [], ["44%"]]
    bad = [[], [], ["chatbots"], [], [], []]
    m = hallucination_rate(answers, facts, bad, PASSAGES, judge)
    assert (m.numerator, m.denominator) == (3, 5)
    assert m.details["cases_by_kind"] == {"forbidden_present": 1, "misgrounded": 2}
    assert m.details["incomplete"] == 1
    assert hallucination_rate([survey], [["44%"]], [[]], PASSAGES, judge).score == 0.0
    assert hallucination_rate(answers[2:5], facts[2:5], bad[2:5], PASSAGES, judge).score == 1.0
    assert hallucination_rate(answers[1:2], facts[1:2], bad[1:2], PASSAGES, judge).score == 0.0
    with pytest.raises(ValueError, match="not a valid regex"):
        hallucination_rate([DECLINED], [["("]], [[]], PASSAGES, judge)
