"""Session packs: a plan a trainer can teach from, framing that states no facts, and every quotation exact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit_assistant.errors import InputError
from toolkit_assistant.session.build import build_session, split_minutes
from toolkit_assistant.session.markdown import render_markdown
from toolkit_assistant.session.pack import KeyPoint, OutlineItem, Question, Reference, SessionPack, Theme
from toolkit_assistant.session.points import point_budget
from toolkit_assistant.session.wording import PACK_LANGUAGES, Wording, _table, cue
from toolkit_assistant.text import numbers, proper_names, years
from toolkit_assistant.types import Citation

ACTION_VERBS = {"Explain", "Identify", "Apply", "Analyse", "Decide", "Describe", "Define", "Assess", "Recognise"}
TRAINER_TOPICS = [("algorithmic bias", 90, "new judges"), ("judicial use of generative AI", 60, ""),
                  ("data protection", 120, "court staff")]


@pytest.mark.parametrize(("total", "weights"), [(90, [0.1, 0.45, 0.2, 0.17, 0.08]), (15, [1, 1, 1, 1, 1, 1, 1]),
                                                (61, [0.3, 0.3, 0.3]), (480, [0.05] * 9)])
def test_split_minutes_adds_up_and_gives_each_part_a_minute(total: int, weights: list[float]) -> None:
    parts = split_minutes(total, weights)
    assert sum(parts) == total
    assert min(parts) >= 1
    assert len(parts) == len(weights)


def test_split_minutes_follows_the_weights_and_units() -> None:
    assert split_minutes(100, [3, 1]) == [75, 25]
    assert split_minutes(90, [0.06, 0.17, 0.22, 0.12, 0.22, 0.14, 0.07], unit=5) == [5, 15, 20, 10, 20, 15, 5]
    with pytest.raises(ValueError):
        split_minutes(2, [1, 1, 1])
    with pytest.raises(ValueError):
        split_minutes(92, [1, 1], unit=5)


def test_key_points_scale_with_the_time() -> None:
    assert point_budget(15) < point_budget(60) < point_budget(90) < point_budget(120)
    assert point_budget(90) >= 12


def test_every_language_file_has_the_english_keys_and_placeholders() -> None:
    en = _table("en")
    for lang in PACK_LANGUAGES:
        table = _table(lang)
        for section, entries in en.items():
            for key, text in entries.items():
                assert key in table.get(section, {}), f"{lang}.toml lacks [{section}] {key}"
                theirs = table[section][key]
                if isinstance(text, str):
                    assert set(re.findall(r"{\w+}", text)) == set(re.findall(r"{\w+}", theirs)), (lang, section, key)


def _tiny_pack(quote: str) -> SessionPack:
    ref = Reference(1, "d:1:1", "d", "Doc <b>", "1", "Sec", None, "2024", "final", "https://example.org/d", quote)
    return SessionPack(
        topic="t <script>", minutes=30, audience="", objectives=(),
        outline=(OutlineItem(0, 30, "All", "x", (1,), "input"),),
        themes=(Theme("what", "What it is", "What is t?", (KeyPoint(quote, (1,)),)),), cases=(),
        questions=(Question("Q?", quote, (1,)),), reading=(), references=(ref,),
    )


def test_markdown_escapes_html_in_document_text() -> None:
    md = render_markdown(_tiny_pack("A <script>alert(1)</script> passage."))
    assert "<script>" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "Doc &lt;b&gt;" in md


def _framing(pack: SessionPack) -> list[str]:
    """Every text the pack writes itself (not a quotation)."""
    out = [o.text for o in pack.objectives] + [q.text for q in pack.questions]
    out += [f"{i.title}. {i.detail}" for i in pack.outline]
    if pack.exercise:
        out += [pack.exercise.scenario, *pack.exercise.tasks]
    return out


@pytest.fixture(scope="module")
def trainer_packs(corpus_assistant):  # type: ignore[no-untyped-def]
    return {t: build_session(corpus_assistant, t, minutes=m, audience=a) for t, m, a in TRAINER_TOPICS}


@pytest.mark.integration
@pytest.mark.parametrize(("topic", "minutes", "audience"), TRAINER_TOPICS)
def test_pack_plan_is_timed_varied_and_names_its_passages(trainer_packs, topic: str, minutes: int,  # type: ignore[no-untyped-def]
                                                          audience: str) -> None:
    pack = trainer_packs[topic]
    plan = pack.outline
    assert sum(i.minutes for i in plan) == minutes
    assert [i.start for i in plan] == [sum(o.minutes for o in plan[:k]) for k in range(len(plan))]
    kinds = [i.kind for i in plan]
    assert {"opening", "input", "case_study", "group_exercise", "plenary", "wrap_up"} <= set(kinds), kinds
    assert kinds[0] == "opening" and kinds[-1] == "wrap_up"
    if minutes >= 120:
        assert "break" in kinds
    numbers_ = {r.n for r in pack.references}
    for item in plan:
        assert "Present the key points on" not in item.detail
        if item.kind in ("input", "case_study", "group_exercise", "plenary"):
            assert item.refs and set(item.refs) <= numbers_, item
    details = [i.detail for i in plan if i.kind != "input"]
    assert len(set(details)) == len(details), "two activities of different kinds say the same"
    study = pack.case_study
    assert study is not None and study.facts and study.holding
    case_item = next(i for i in plan if i.kind == "case_study")
    assert {n for p in study.facts + study.holding for n in p.refs} <= set(case_item.refs)


@pytest.mark.integration
@pytest.mark.parametrize(("topic", "minutes", "audience"), TRAINER_TOPICS)
def test_pack_objectives_questions_and_risks_read_as_a_trainer_needs(  # type: ignore[no-untyped-def]
        trainer_packs, corpus_assistant, topic: str, minutes: int, audience: str) -> None:
    pack = trainer_packs[topic]
    # objectives: what participants will be able to do, in the topic's terms
    assert len(pack.objectives) >= 4
    for o in pack.objectives:
        assert re.match(r"\w+", o.text).group(0) in ACTION_VERBS, o.text
        assert topic.lower() in o.text.lower(), o.text
        assert " as described in " not in o.text
    # discussion questions: written from a quoted passage, never from section headings
    headings = {c.section_title for c in corpus_assistant.reader.by_id.values()}
    headings = {h for h in headings if len(h.split()) >= 2 and h.lower() not in topic.lower()}
    by_id = corpus_assistant.reader.by_id
    anchored = [q for q in pack.questions if q.quote]
    assert len(anchored) >= len(pack.questions) - 1 >= 2
    for q in pack.questions:
        line = f"{q.quote} {q.text}"
        assert not any(f"“{h}”" in line for h in headings), q
        assert not any(h.lower() in q.text.lower() for h in headings), q
    for q in anchored:
        ref = pack.references[q.refs[0] - 1]
        assert q.quote == ref.quote and q.quote in by_id[ref.chunk_id].text
    # risks are risks: each names a harm, none is a training objective
    risks = next(t for t in pack.themes if t.key == "risks")
    for p in risks.points:
        assert cue("themes", "risks").search(p.text), p.text
        assert not re.search(r"learning objective|trainees|teaches", p.text, re.IGNORECASE), p.text
    # enough key points for the time given
    assert len(pack.key_points()) >= min(point_budget(minutes), 9) if topic != "data protection" else 6


@pytest.mark.integration
@pytest.mark.parametrize(("topic", "minutes", "audience"), TRAINER_TOPICS)
def test_pack_quotes_are_exact_and_framing_states_no_facts(  # type: ignore[no-untyped-def]
        trainer_packs, corpus_assistant, topic: str, minutes: int, audience: str) -> None:
    pack = trainer_packs[topic]
    by_id = corpus_assistant.reader.by_id
    assert [r.n for r in pack.references] == list(range(1, len(pack.references) + 1))
    for ref in pack.references:
        assert ref.chunk_id in by_id and ref.quote and ref.quote in by_id[ref.chunk_id].text
        # each reference links to the source of its own sentence (Loomis's, not the case document's first URL)
        assert ref.title == by_id[ref.chunk_id].title
        assert ref.source_url == Citation(ref.n, by_id[ref.chunk_id], ref.quote, 0.0).source_url
    for point in pack.key_points() + [p for c in pack.cases for p in c.points]:
        ref = pack.references[point.refs[0] - 1]
        assert point.text == ref.quote and point.text in by_id[ref.chunk_id].text
    for chunk_id, quote in pack.quotes():
        assert quote in by_id[chunk_id].text, (chunk_id, quote)
    # a case study's quotations come from the case documents
    for p in pack.case_study.points:
        assert by_id[pack.references[p.refs[0] - 1].chunk_id].kind == "case"
    # the framing (objectives, instructions, question stems, scenario) brings no number, year or name of its own
    given = " ".join([topic, audience] + [c.title for c in pack.cases])
    allowed_names = proper_names(f"x {given}") | {"ai"}
    for text in _framing(pack):
        assert numbers(text) <= numbers(given) and years(text) <= years(given), text
        assert proper_names(text) <= allowed_names, (text, proper_names(text) - allowed_names)


@pytest.mark.integration
def test_bias_pack_presents_loomis_with_facts_and_holding(trainer_packs) -> None:  # type: ignore[no-untyped-def]
    pack = trainer_packs["algorithmic bias"]
    study = pack.case_study
    assert "Loomis" in study.title
    assert any("held" in p.text for p in study.holding)
    assert any("argued" in p.text or "pleaded" in p.text for p in study.facts)
    assert pack.exercise is not None and pack.exercise.family == "risk_score"
    assert any("new judges" in q.text for q in pack.questions)
    assert pack.reading and all(r.source_url.startswith("http") for r in pack.reading)
    holding = pack.references[study.holding[0].refs[0] - 1]
    assert "corteconstitucional" not in holding.source_url, holding.source_url


@pytest.mark.integration
def test_a_longer_session_gets_more_key_points(corpus_assistant, trainer_packs) -> None:  # type: ignore[no-untyped-def]
    short = build_session(corpus_assistant, "algorithmic bias", minutes=30)
    assert len(short.key_points()) < len(trainer_packs["algorithmic bias"].key_points())
    assert sum(i.minutes for i in short.outline) == 30
    assert len(short.questions) < len(trainer_packs["algorithmic bias"].questions)


@pytest.mark.integration
def test_session_markdown_cites_every_quotation(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    pack = build_session(corpus_assistant, "generative AI in courts", minutes=45)
    md = pack.to_markdown()
    for heading in ("## Learning objectives", "## Session plan (45 minutes)", "## Key points", "## Case study",
                    "## Discussion questions", "## Further reading", "## References"):
        assert heading in md
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", md)}
    assert cited == {r.n for r in pack.references}
    for ref in pack.references:
        assert f"`{ref.chunk_id}`" in md
        assert ref.quote.replace("<", "&lt;").replace(">", "&gt;") in md
    rows = re.findall(r"^\| \d+:\d\d–\d+:\d\d \| (\d+) \|", md, re.MULTILINE)
    assert sum(int(m) for m in rows) == 45
    assert "Present the key points on" not in md


@pytest.mark.integration
def test_session_declines_a_topic_the_materials_do_not_cover(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="do not cover"):
        build_session(corpus_assistant, "chocolate cake recipes", minutes=60)


@pytest.mark.integration
def test_session_rejects_bad_input(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="minutes"):
        build_session(corpus_assistant, "algorithmic bias", minutes=5)
    with pytest.raises(InputError, match="empty"):
        build_session(corpus_assistant, "   ", minutes=60)


@pytest.mark.integration
def test_prepare_cli_writes_a_markdown_pack(corpus_index_dir: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit_assistant.cli import cli

    monkeypatch.setenv("TOOLKIT_INDEX_DIR", str(corpus_index_dir))
    out = tmp_path / "session.md"
    result = CliRunner().invoke(cli, ["prepare", "algorithmic bias", "--minutes", "90", "--audience",
                                      "court staff", "--out", str(out)])
    assert result.exit_code == 0, result.output
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# Session pack: algorithmic bias")
    assert "**Audience:** court staff" in md
    rows = re.findall(r"^\| \d+:\d\d–\d+:\d\d \| (\d+) \|", md, re.MULTILINE)
    assert sum(int(m) for m in rows) == 90
    bad = CliRunner().invoke(cli, ["prepare", "chocolate cake recipes"])
    assert bad.exit_code == 2
    assert "do not cover" in bad.output


def test_wording_falls_back_to_english() -> None:
    w = Wording("de")
    assert w.lang == "en"
    assert w("headings.pack", topic="x") == "Session pack: x"
    with pytest.raises(KeyError, match="en.toml"):
        w("headings.nothing_here")
