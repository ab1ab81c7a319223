"""Numbered headings and paragraphs, in made-up lines and in the real licence texts Debian installs."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit_assistant.ingest import chunk_document, load_document
from toolkit_assistant.paragraphs import text_blocks
from toolkit_assistant.structure import Block, build_sections, parse_heading, split_number

LICENSES = Path("/usr/share/common-licenses")  # installed by Debian's base-files package


@pytest.mark.parametrize(
    ("line", "number", "title", "style"),
    [
        ("2.1 Naming", "2.1", "Naming", "decimal-2"),
        ("0. Definitions.", "0", "Definitions", "decimal-1"),
        ("Article 5 - Scope of application", "Article 5", "Scope of application", "article"),
        ("Chapter II Remedies", "Chapter II", "Remedies", "chapter"),
        ("Principle 3. Fairness", "Principle 3", "Fairness", "principle"),
        ("IV. Conclusions and recommendations", "IV", "Conclusions and recommendations", "roman"),
        ("A. Administrative tools", "A", "Administrative tools", "letter"),
    ],
)
def test_headings_keep_the_number_and_title_as_written(line: str, number: str, title: str, style: str) -> None:
    h = parse_heading(line)
    assert h is not None and (h.number, h.title, h.style) == (number, title, style)


def test_numbered_paragraphs_items_and_sentences() -> None:
    para = parse_heading("12. The Special Rapporteur notes that courts use chatbots.")
    assert para is not None and para.style == "para" and para.number == "12" and para.rest.startswith("The Special")
    item = parse_heading("(b) You must cause any modified files to carry notices")
    assert item is not None and item.style == "item" and item.number == "(b)"
    assert parse_heading("Article 5 of the Convention provides that everyone is equal.") is None
    assert parse_heading("2023 was the year the survey ran.") is None
    assert parse_heading("3 judges said so") is None
    assert split_number("2.1 ASN.1 syntax") == ("2.1", "ASN.1 syntax")
    assert split_number("R and statistics") == ("", "R and statistics")


def test_sections_nest_items_and_take_paragraph_titles_from_their_heading() -> None:
    blocks = [
        Block("I. Introduction", heading=True),
        Block("1. The present report describes court tools."),
        Block("2. It covers forty-two countries:"),
        Block("(a) some in Africa;"),
        Block("(b) some in Asia."),
        Block("The list is not complete."),
        Block("II. Risks", heading=True),
        Block("3. Opaque algorithms can entrench discrimination."),
    ]
    sections = build_sections(blocks, doc_title="Report")
    got = [(s.number, s.title, s.text) for s in sections]
    assert got == [
        ("1", "Introduction", "The present report describes court tools."),
        ("2", "Introduction", "It covers forty-two countries:"),
        ("2(a)", "Introduction", "some in Africa;"),
        ("2(b)", "Introduction", "some in Asia."),
        ("2", "Introduction", "The list is not complete."),
        ("3", "Risks", "Opaque algorithms can entrench discrimination."),
    ]


def test_plain_text_paragraphs_are_rejoined() -> None:
    blocks = text_blocks("  1. Scope.\n\n  This text was\nwrapped at a\nnarrow width.\n")
    assert [b.text for b in blocks] == ["1. Scope.", "This text was wrapped at a narrow width."]


@pytest.mark.skipif(not (LICENSES / "GPL-3").exists(), reason="Debian's common-licenses are not installed here")
def test_gpl3_sections_are_recognised() -> None:
    doc = load_document(LICENSES / "GPL-3")
    numbers = [s.section for s in doc.sections]
    expected = [str(n) for n in range(18)]
    assert [n for n in dict.fromkeys(numbers) if n.isdigit()] == expected  # every one of the 18 sections
    titles = {s.section: s.title for s in doc.sections}
    assert titles["0"] == "Definitions" and titles["13"] == "Use with the GNU Affero General Public License"
    assert "5(a)" in titles and titles["5(a)"] == "Conveying Modified Source Versions"
    assert titles["preamble"] == "Preamble"
    chunks = chunk_document(doc, size=900, overlap=150)
    assert len({c.id for c in chunks}) == len(chunks)
    assert {c.section for c in chunks} >= set(expected)
    # lines of a paragraph are joined: no quote keeps the file's line breaks
    assert not any("\n" in c.text.replace("\n\n", " ") for c in chunks)
    assert any("To protect your rights, we need to prevent others from denying you these rights" in c.text for c in chunks)


@pytest.mark.skipif(not (LICENSES / "Apache-2.0").exists(), reason="Debian's common-licenses are not installed here")
def test_apache2_sections_and_subsections_are_recognised() -> None:
    doc = load_document(LICENSES / "Apache-2.0")
    titles = {s.section: s.title for s in doc.sections}
    for n, title in [("1", "Definitions"), ("2", "Grant of Copyright License"), ("4", "Redistribution"),
                     ("9", "Accepting Warranty or Additional Liability")]:
        assert titles[n] == title
    assert {"4(a)", "4(b)", "4(c)", "4(d)"} <= set(titles)
    grant = next(s for s in doc.sections if s.section == "2")
    assert grant.text.startswith("Subject to the terms and conditions of this License")


@pytest.mark.skipif(not LICENSES.exists(), reason="Debian's common-licenses are not installed here")
@pytest.mark.parametrize(("name", "numbers"), [
    ("GPL-3", [str(n) for n in range(18)]),
    ("Apache-2.0", [str(n) for n in range(1, 10)]),
    ("LGPL-3", [str(n) for n in range(7)]),
    ("GFDL-1.3", [str(n) for n in range(12)]),
    ("MPL-2.0", ["1.1", "1.14", "2.1", "2.7", "3.1", "3.5", "4", "5.1", "5.3", "6", "7", "8", "9", "10.1", "10.4"]),
])
def test_numbered_sections_of_licence_texts(name: str, numbers: list[str]) -> None:
    """At least 95% of each licence's numbered sections become sections (all of them, today)."""
    if not (LICENSES / name).exists():
        pytest.skip(f"{name} is not installed")
    found = {s.section for s in load_document(LICENSES / name).sections}
    recognised = [n for n in numbers if n in found]
    assert len(recognised) >= 0.95 * len(numbers), sorted(set(numbers) - found)
