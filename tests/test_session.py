"""Session packs: structure, timings, and that every quotation is exact text of its cited chunk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit_assistant.errors import InputError
from toolkit_assistant.session.build import build_session, split_minutes
from toolkit_assistant.session.markdown import render_markdown
from toolkit_assistant.session.pack import KeyPoint, OutlineItem, Reference, SessionPack, Theme


@pytest.mark.parametrize(("total", "weights"), [(90, [0.1, 0.45, 0.2, 0.17, 0.08]), (15, [1, 1, 1, 1, 1, 1, 1]),
                                                (61, [0.3, 0.3, 0.3]), (480, [0.05] * 9)])
def test_split_minutes_adds_up_and_gives_each_part_a_minute(total: int, weights: list[float]) -> None:
    parts = split_minutes(total, weights)
    assert sum(parts) == total
    assert min(parts) >= 1
    assert len(parts) == len(weights)


def test_split_minutes_follows_the_weights() -> None:
    assert split_minutes(100, [3, 1]) == [75, 25]
    with pytest.raises(ValueError):
        split_minutes(2, [1, 1, 1])


def _tiny_pack(quote: str) -> SessionPack:
    ref = Reference(1, "d:1:1", "d", "Doc <b>", "1", "Sec", None, "2024", "final", "https://example.org/d", quote)
    return SessionPack(
        topic="t <script>", minutes=30, audience="", objectives=(), outline=(OutlineItem(0, 30, "All", "x", (1,)),),
        themes=(Theme("what", "What it is", "What is t?", (KeyPoint(quote, (1,)),)),), cases=(), questions=("Q?",),
        reading=(), references=(ref,),
    )


def test_markdown_escapes_html_in_document_text() -> None:
    md = render_markdown(_tiny_pack("A <script>alert(1)</script> passage."))
    assert "<script>" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "Doc &lt;b&gt;" in md


@pytest.mark.integration
def test_session_pack_structure_and_exact_quotes(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    pack = build_session(corpus_assistant, "algorithmic bias", minutes=90, audience="first-instance judges")
    by_id = corpus_assistant.reader.by_id
    # outline: consecutive parts whose timings add up to the duration
    assert sum(item.minutes for item in pack.outline) == 90
    assert [i.start for i in pack.outline] == [sum(o.minutes for o in pack.outline[:k]) for k in range(len(pack.outline))]
    assert pack.outline[0].start == 0 and all(i.minutes >= 1 for i in pack.outline)
    # every part of a pack is present
    assert len(pack.objectives) >= 2 and len(pack.themes) >= 2 and len(pack.questions) >= 3
    assert pack.reading and all(r.source_url.startswith("http") for r in pack.reading)
    # references are numbered 1..n and point to real chunks; every quote is exact text of its chunk
    assert [r.n for r in pack.references] == list(range(1, len(pack.references) + 1))
    for ref in pack.references:
        assert ref.chunk_id in by_id, ref.chunk_id
        assert ref.quote and ref.quote in by_id[ref.chunk_id].text
        assert ref.title == by_id[ref.chunk_id].title and ref.source_url == by_id[ref.chunk_id].source_url
    quotes = pack.quotes()
    assert len(quotes) > len(pack.references)  # key points and cases are quotations too
    for chunk_id, quote in quotes:
        assert quote in by_id[chunk_id].text, (chunk_id, quote)
    # every key point, case point and objective carries a citation that resolves
    numbers = {r.n for r in pack.references}
    for point in [p for t in pack.themes for p in t.points] + [p for c in pack.cases for p in c.points]:
        assert point.refs and set(point.refs) <= numbers
        assert point.text == pack.references[point.refs[0] - 1].quote
    assert all(o.refs and set(o.refs) <= numbers for o in pack.objectives)
    # cases come from the cases document (kind "case"); a bias session gets State v. Loomis
    assert pack.cases
    for case in pack.cases:
        for p in case.points:
            assert by_id[pack.references[p.refs[0] - 1].chunk_id].kind == "case"
    assert any("Loomis" in c.title for c in pack.cases)
    assert any("first-instance judges" in q for q in pack.questions)


@pytest.mark.integration
def test_session_markdown_cites_every_quotation(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    pack = build_session(corpus_assistant, "generative AI in courts", minutes=45)
    md = pack.to_markdown()
    for heading in ("## Learning objectives", "## Outline (45 minutes)", "## Key points", "## Cases to present",
                    "## Discussion questions", "## Further reading", "## References"):
        assert heading in md
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", md)}
    assert cited == {r.n for r in pack.references}
    for ref in pack.references:
        assert f"`{ref.chunk_id}`" in md
        assert ref.quote.replace("<", "&lt;").replace(">", "&gt;") in md
    # the outline table's minutes add up to the duration
    rows = re.findall(r"^\| \d+:\d\d–\d+:\d\d \| (\d+) \|", md, re.MULTILINE)
    assert sum(int(m) for m in rows) == 45


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
