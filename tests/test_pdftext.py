"""Clean PDF text on a generated UN-style report: two columns, running header and footer, footnotes,
roman-numbered front matter, a table of contents, hyphenated words (made with fpdf2 in the test)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.un_report import HEADER, HYPHENATE, SYMBOL, ReportFacts, make_un_report
from toolkit_assistant.ingest import chunk_document, load_document
from toolkit_assistant.paragraphs import dehyphenate
from toolkit_assistant.pdftext import LEADER, extract_document
from toolkit_assistant.text import split_sentences

pytest.importorskip("pypdfium2")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReportFacts]:
    path = tmp_path_factory.mktemp("un") / "un-report.pdf"
    return path, make_un_report(path, chapters=6)


def test_pages_keep_their_printed_labels_and_contents_pages_are_set_aside(report: tuple[Path, ReportFacts]) -> None:
    path, facts = report
    pages: list[int] = []
    doc = extract_document(path, on_page=lambda f, n, total: pages.append(n))
    assert pages == list(range(1, facts.pages + 1))  # one progress call per page
    assert [p.label for p in doc.pages][:4] == ["i", "ii", "1", "2"]
    assert doc.pages[1].kind == "contents" and doc.pages[1].blocks == ()
    assert all(p.kind == "body" for p in doc.pages[2:])


def test_running_header_footer_and_page_numbers_are_dropped(report: tuple[Path, ReportFacts]) -> None:
    path, _ = report
    doc = extract_document(path)
    text = "\n".join(b.text for b in doc.blocks())
    assert HEADER not in text and SYMBOL not in text
    for page in doc.pages[2:]:
        assert HEADER in page.removed


def test_footnotes_are_separate_and_linked_to_their_page(report: tuple[Path, ReportFacts]) -> None:
    path, facts = report
    doc = extract_document(path)
    got = [(int(f.marker), f.text, f.label) for f in doc.footnotes()]
    assert got == facts.footnotes
    body = " ".join(b.text for b in doc.blocks())
    assert "adopted in 2023" not in body  # the note's words stay out of the body
    assert not re.search(r"drafting\.\d", body)  # superscript markers are taken out


def test_paragraphs_are_rejoined_and_hyphenation_undone(report: tuple[Path, ReportFacts]) -> None:
    path, facts = report
    body = " ".join(s.text for s in load_document(path).sections)
    assert facts.hyphenated, "the generator split no word"
    for word in set(facts.hyphenated):
        head, tail = HYPHENATE[word]
        assert f"{head}-" not in body and f"{head} {tail}" not in body
        assert word in body.lower()
    # every paragraph comes back whole, although the layout broke it into lines (and columns, and pages)
    for n, text in facts.paragraphs.items():
        assert f"{n}. {text}" in body or text in body, n


def test_sections_are_the_report_s_numbered_paragraphs_under_its_headings(report: tuple[Path, ReportFacts]) -> None:
    path, facts = report
    doc = load_document(path)
    by_number = {s.section: s for s in doc.sections if not s.role}
    for n, text in facts.paragraphs.items():
        section = by_number[str(n)]
        assert section.text == text
        assert section.page_label == facts.paragraph_pages[n], n
    assert by_number["5"].title == "Generative tools" and by_number["7"].title == "Risks for fair trial rights"


def test_chunks_cite_printed_pages_and_quotes_are_clean(report: tuple[Path, ReportFacts]) -> None:
    path, facts = report
    doc = load_document(path)
    chunks = chunk_document(doc, size=900, overlap=150)
    assert len({c.id for c in chunks}) == len(chunks)
    for c in chunks:
        assert c.page is not None and c.page_label == doc_label(c.page)
        assert not LEADER.search(c.text) and ". . . ." not in c.text
        assert HEADER not in c.text
        for s in split_sentences(c.text):
            assert s.text in c.text
    notes = [c for c in chunks if c.role == "footnote"]
    assert len(notes) == len(facts.footnotes)
    first = notes[0]
    assert first.id == f"un-report:{first.section}:p{first.page}:fn1" and first.section_title == "Footnote 1"


def doc_label(page: int) -> str:
    """The report's printed label of a 1-based page: i, ii, then 1, 2, ..."""
    return ["i", "ii"][page - 1] if page <= 2 else str(page - 2)


def test_dehyphenation_keeps_real_compounds() -> None:
    vocab = {"forty-two", "international"}
    assert dehyphenate("inter-", "national law", vocab) == "international law"
    assert dehyphenate("forty-", "two countries", vocab) == "forty-two countries"
    assert dehyphenate("manip\ufffe", "ulation", vocab) == "manipulation"
    assert dehyphenate("the end.", "Next", vocab) == "the end. Next"


def test_the_pypdf_fallback_also_cleans(report: tuple[Path, ReportFacts]) -> None:
    path, _ = report
    doc = extract_document(path, engine="pypdf")
    assert doc.engine == "pypdf"
    assert doc.pages[1].kind == "contents"
    text = " ".join(b.text for b in doc.blocks())
    assert HEADER not in text
