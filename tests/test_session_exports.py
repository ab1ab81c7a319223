"""A session pack's files: the handout and the slides (Markdown; Word and PowerPoint with the office extra),
the CLI that writes them, and packs whose own words are in French or Spanish."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit_assistant.errors import InputError
from toolkit_assistant.session.build import build_session
from toolkit_assistant.session.exports import write_export
from toolkit_assistant.session.handout import handout_markdown
from toolkit_assistant.session.slides import build_slides, slides_markdown


@pytest.fixture(scope="module")
def bias_pack(corpus_assistant):  # type: ignore[no-untyped-def]
    return build_session(corpus_assistant, "algorithmic bias", minutes=90, audience="new judges")


def _cited_numbers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


@pytest.mark.integration
def test_handout_is_for_participants_and_every_quote_is_cited(bias_pack) -> None:  # type: ignore[no-untyped-def]
    md = handout_markdown(bias_pack)
    assert md.startswith("# Handout: algorithmic bias")
    for heading in ("## Learning objectives", "## Key points", "## Case study", "## Small-group exercise",
                    "## Discussion questions", "## Further reading", "## References"):
        assert heading in md, heading
    # no trainer's timings or instructions
    assert not re.search(r"\b\d:\d\d–\d:\d\d\b", md)
    assert "Present the passages one at a time" not in md and "Read out the facts" not in md
    # the groups get the text of their passages, the scenario says it is invented
    ex = bias_pack.exercise
    by_n = {r.n: r for r in bias_pack.references}
    for n in ex.refs:
        assert f"“{by_n[n].quote}” [{n}]" in md
    assert "Invented for this exercise" in md
    # every quotation of the pack is there, cited, and every [n] has its reference
    for p in bias_pack.key_points() + list(bias_pack.case_study.points):
        assert f"“{p.text}” [{p.refs[0]}]" in md
    assert _cited_numbers(md) <= set(by_n)


@pytest.mark.integration
def test_slides_follow_the_plan_and_keep_sources_in_the_notes(bias_pack) -> None:  # type: ignore[no-untyped-def]
    slides = build_slides(bias_pack)
    titles = [s.title for s in slides]
    assert titles[0] == "algorithmic bias" and titles[1] == "Learning objectives" and titles[2] == "Plan"
    assert "What should the court decide?" in titles
    facts = titles.index(next(t for t in titles if t.endswith(": the facts")))
    assert titles[facts + 1] == "What should the court decide?"  # the room answers before the decision
    assert any(t.startswith("Small-group exercise") for t in titles)
    assert titles[-1].startswith("References")
    by_n = {r.n: r for r in bias_pack.references}
    for s in slides:
        assert len(s.bullets) <= 8, s.title
        for n in _cited_numbers(" ".join(s.bullets)):
            assert n in by_n
            if s.title not in ("Discussion questions", "Discussion questions (continued)"):
                assert f"[{n}]" in s.notes, (s.title, n)  # the source of each [n] is in the speaker's notes
    md = slides_markdown(bias_pack)
    assert md.startswith("# Slides: algorithmic bias")
    assert len(re.findall(r"^## \d+\. ", md, re.MULTILINE)) == len(slides)


@pytest.mark.integration
def test_word_and_powerpoint_files_hold_the_same_text(bias_pack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    docx = pytest.importorskip("docx", reason="the office extra: pip install 'toolkit-assistant[office]'")
    pptx = pytest.importorskip("pptx", reason="the office extra: pip install 'toolkit-assistant[office]'")
    handout = write_export(bias_pack, "handout", tmp_path / "handout.docx")
    text = "\n".join(p.text for p in docx.Document(str(handout)).paragraphs)
    assert text.startswith("Handout: algorithmic bias")
    for p in bias_pack.key_points():
        assert f"“{p.text}” [{p.refs[0]}]" in text
    assert re.search(r"^1\. Which of the passages handed out apply", text, re.MULTILINE), "each list numbered from 1"
    deck = pptx.Presentation(str(write_export(bias_pack, "slides", tmp_path / "slides.pptx")))
    slides = build_slides(bias_pack)
    assert len(deck.slides) == len(slides)
    for page, slide in zip(deck.slides, slides, strict=True):
        assert page.shapes.title.text == slide.title
        body = next(sh for sh in page.placeholders if sh.placeholder_format.idx == 1)
        assert body.text_frame.text == "\n".join(slide.bullets)
        if slide.notes:
            assert page.notes_slide.notes_text_frame.text == slide.notes


def test_a_file_format_that_does_not_fit_is_refused(tmp_path: Path) -> None:
    from test_session import _tiny_pack

    with pytest.raises(InputError, match="slides can be written as .md, .pptx"):
        write_export(_tiny_pack("A passage."), "slides", tmp_path / "slides.docx")
    path = write_export(_tiny_pack("A <b>passage</b>."), "handout", tmp_path / "h.md")
    assert "&lt;b&gt;passage&lt;/b&gt;" in path.read_text(encoding="utf-8")


@pytest.mark.integration
def test_prepare_cli_writes_handout_and_slides(corpus_index_dir: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit_assistant.cli import cli
    from toolkit_assistant.session.office import office_formats

    monkeypatch.setenv("TOOLKIT_INDEX_DIR", str(corpus_index_dir))
    office = set(office_formats()) == {"docx", "pptx"}
    handout = tmp_path / ("handout.docx" if office else "handout.md")
    slides = tmp_path / ("slides.pptx" if office else "slides.md")
    result = CliRunner().invoke(cli, ["prepare", "judicial use of generative AI", "--minutes", "60",
                                      "--out", str(tmp_path / "pack.md"), "--handout", str(handout),
                                      "--slides", str(slides)])
    assert result.exit_code == 0, result.output
    assert handout.stat().st_size > 1000 and slides.stat().st_size > 1000
    assert (tmp_path / "pack.md").read_text(encoding="utf-8").startswith("# Session pack: judicial use of generative AI")
    bad = CliRunner().invoke(cli, ["prepare", "algorithmic bias", "--slides", str(tmp_path / "s.docx")])
    assert bad.exit_code == 2 and "pptx" in bad.output


@pytest.mark.integration
def test_french_pack_frames_in_french_and_finds_the_english_term(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    pack = build_session(corpus_assistant, "biais algorithmique", minutes=90, audience="nouveaux juges", lang="fr")
    assert pack.language == "fr"
    assert any("« Algorithmic bias »" in n for n in pack.notices), pack.notices
    assert all(re.match(r"(Expliquer|Identifier|Appliquer|Analyser|Décider)\b", o.text) for o in pack.objectives)
    assert all("biais algorithmique" in o.text for o in pack.objectives)
    assert "Loomis" in pack.case_study.title
    md = pack.to_markdown()
    for heading in ("# Dossier de session : biais algorithmique", "## Objectifs pédagogiques",
                    "## Déroulé de la session (90 minutes)", "## Étude de cas", "## Questions de discussion"):
        assert heading in md, heading
    assert "| étude de cas |" in md and "| exercice en groupes |" in md
    by_id = corpus_assistant.reader.by_id
    for chunk_id, quote in pack.quotes():  # the quotations stay in the documents' language, exact
        assert quote in by_id[chunk_id].text
    assert handout_markdown(pack).startswith("# Document pour les participants : biais algorithmique")


def test_the_app_offers_word_and_powerpoint_only_when_the_extra_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    import toolkit_assistant.session.office as office
    from toolkit_assistant.app.exports import pack_file_keys
    from toolkit_assistant.errors import BackendUnavailable

    monkeypatch.setattr(office, "office_formats", lambda: ())
    assert pack_file_keys() == ["pack", "handout", "slides"]
    with pytest.raises(BackendUnavailable, match=r"toolkit-assistant\[office\]"):
        office.write_handout_docx(None, Path("x.docx"))  # type: ignore[arg-type]
    monkeypatch.setattr(office, "office_formats", lambda: ("docx", "pptx"))
    assert pack_file_keys() == ["pack", "handout", "slides", "handout_docx", "slides_pptx"]
