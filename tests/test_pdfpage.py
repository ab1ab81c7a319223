"""The cited page of a PDF: the quote found among the page's characters, its boxes where it is printed, the
page rendered, and the /original routes (what they serve, and what they refuse when the file moved or changed)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.court_pdf import BODY, CourtFacts, make_court_pdf
from tests.un_report import make_un_report
from toolkit_assistant.ingest import chunk_document, load_document
from toolkit_assistant.pdfpage import locate_quotes, match_span, quote_key, render_page
from toolkit_assistant.text import split_sentences

pytest.importorskip("pypdfium2")

KEY = BODY[1][1][0][1][0]  # "A judge who uses a generative chatbot ..." printed on page '2' (PDF page 3)


@pytest.fixture(scope="module")
def court(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CourtFacts]:
    path = tmp_path_factory.mktemp("court") / "practice-direction.pdf"
    return path, make_court_pdf(path)


def test_a_cleaned_quote_is_found_across_line_breaks_hyphens_and_footnote_markers() -> None:
    page = "Judges who use generative chat-\r\nbots1 must check every\r\ncitation. Other text."
    first, last, share = match_span(page, "Judges who use generative chatbots must check every citation.")
    assert page[first:last + 1] == "Judges who use generative chat-\r\nbots1 must check every\r\ncitation"
    assert share == 1.0
    assert quote_key("as in (ref 12) above") == "asin12above"  # ingest's '(ref 12)' is printed '[12]'
    assert match_span(page, "A sentence that is printed nowhere on this page at all.") is None
    # the start of a sentence that goes on overleaf
    first, last, share = match_span("... the end of page one. The judge remains\r\n7", "The judge remains accountable for the outcome.")
    assert 0.3 < share < 0.98


def test_every_sentence_of_the_un_report_is_placed_on_its_own_page(tmp_path: Path) -> None:
    path = tmp_path / "un.pdf"
    facts = make_un_report(path, chapters=2)
    assert facts.hyphenated  # some quotes cross a hyphenated line end
    chunks = chunk_document(load_document(path), size=1000, overlap=150)
    total = 0
    for c in chunks:
        quotes = [s.text for s in split_sentences(c.text)]
        for q in locate_quotes(path, c.page, quotes):
            total += 1
            assert q.boxes, (c.id, q.quote)
            assert q.found > 0.3
            for b in q.boxes:
                assert 0 <= b.left < 1 and 0 <= b.top < 1 and 0 < b.width <= 1 and 0 < b.height < 0.2
    assert total >= 20


def test_boxes_sit_where_the_sentence_is_printed(court: tuple[Path, CourtFacts]) -> None:
    path, facts = court
    page_no, label, top_pt = facts.where[KEY]
    assert (page_no, label) == (3, "2")
    [found] = locate_quotes(path, page_no, [KEY])
    assert found.found == 1.0 and len(found.boxes) >= 2  # one box per printed line
    first = found.boxes[0]
    # the first line's box: at the left margin (56 pt of 595), its top near the baseline minus the font size
    assert abs(first.left - 56 / 595.28) < 0.01
    assert abs(first.top - top_pt / facts.page_height) < 0.012
    # the header line (a running header) is never part of a quote's boxes
    assert all(b.top > 50 / facts.page_height for b in found.boxes)
    [elsewhere] = locate_quotes(path, 2, [KEY])  # not on the page before
    assert elsewhere.boxes == ()


def test_a_page_renders_at_its_own_size_with_its_printed_label(court: tuple[Path, CourtFacts]) -> None:
    path, _ = court
    page = render_page(path, 3, width=600)
    assert page.png.startswith(b"\x89PNG") and page.width == 600 and abs(page.height - 600 * 841.89 / 595.28) <= 1
    assert page.pages == 4 and page.label == "2"


# ---------------------------------------------------------------- the routes


@pytest.fixture(scope="module")
def court_index(court: tuple[Path, CourtFacts], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(index folder, the folder the PDF was ingested from): the practice direction alone, MiniLM."""
    from toolkit_assistant.config import Settings
    from toolkit_assistant.embeddings import get_embedder
    from toolkit_assistant.indexer import run_ingest
    from toolkit_assistant.store import EmbeddedLocation

    base = tmp_path_factory.mktemp("court-index")
    docs = base / "docs"
    docs.mkdir()
    shutil.copy(court[0], docs / "practice-direction.pdf")
    index = base / "index"
    s = Settings()
    report = run_ingest([docs], location=EmbeddedLocation(index), embedder=get_embedder("minilm"), index_dir=index,
                        chunk_size=s.chunk_size, chunk_overlap=s.chunk_overlap)
    assert report.added and not report.skipped
    return index, docs


def _client(index: Path) -> Any:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from toolkit_assistant.app.pages import page_routes
    from toolkit_assistant.config import Settings
    from toolkit_assistant.pipeline import Assistant

    assistant = Assistant.from_settings(Settings(index_dir=index, embedding="minilm"))
    return assistant, TestClient(Starlette(routes=page_routes(assistant)))


def _key_chunk(assistant: Any) -> Any:
    return next(c for c in assistant.reader.chunks if KEY in c.text)


@pytest.mark.integration
def test_the_citation_links_to_its_page_and_the_page_shows_the_quote_boxes(court_index: tuple[Path, Path]) -> None:
    from toolkit_assistant.app.pages import page_url
    from toolkit_assistant.app.render import render_sources

    assistant, client = _client(court_index[0])
    answer = assistant.ask("Must a judge disclose the use of a generative chatbot in a judgment?")
    cited = [c for c in answer.citations if c.chunk.doc_id == "practice-direction"]
    assert cited and cited[0].chunk.page == 3 and cited[0].chunk.page_label == "2"
    panel = render_sources(answer)
    url = page_url(cited[0].chunk, [c.quote for c in cited if c.chunk.id == cited[0].chunk.id])
    assert url.startswith("original/page?chunk=practice-direction") and "&span=" in url
    assert url.replace("&", "&amp;") in panel and "Open page 2" in panel

    r = client.get("/" + url)
    assert r.status_code == 200, r.text
    assert "p. 2" in r.text and "page 3 of 4 of the PDF" in r.text and r.text.count('class="ta-hl"') >= 1
    assert r.headers["cache-control"].startswith("private") and "default-src 'none'" in r.headers["content-security-policy"]
    img = client.get("/original/image", params={"chunk": cited[0].chunk.id, "page": 3})
    assert img.status_code == 200 and img.headers["content-type"] == "image/png" and img.content.startswith(b"\x89PNG")
    other = client.get("/original/page", params={"chunk": cited[0].chunk.id, "page": 2})
    assert other.status_code == 200 and "p. 1" in other.text and "ta-hl" not in other.text.split("</style>")[1]
    whole = client.get("/original/file", params={"chunk": cited[0].chunk.id})
    assert whole.status_code == 200 and whole.content.startswith(b"%PDF")


@pytest.mark.integration
def test_what_the_routes_refuse(court_index: tuple[Path, Path], tmp_path: Path) -> None:
    assistant, client = _client(court_index[0])
    chunk = _key_chunk(assistant)
    assert client.get("/original/page", params={"chunk": "no-such:chunk:1"}).status_code == 404
    r = client.get("/original/page", params={"chunk": chunk.id, "page": 99})
    assert r.status_code == 404 and "has no page 99" in r.text
    # spans outside the chunk's text are dropped, never read past it
    r = client.get("/original/page", params={"chunk": chunk.id, "span": ["0-999999", "5-2", "x-y"]})
    assert r.status_code == 200 and 'class="ta-hl"' not in r.text
    # no path from the request is ever read
    assert client.get("/original/file", params={"chunk": "../../etc/passwd"}).status_code == 404


@pytest.mark.integration
def test_a_moved_or_changed_original_is_never_shown_as_the_cited_page(court_index: tuple[Path, Path],
                                                                     tmp_path: Path) -> None:
    index, docs = court_index
    pdf = docs / "practice-direction.pdf"
    saved = pdf.read_bytes()
    try:
        assistant, client = _client(index)
        chunk = _key_chunk(assistant)
        pdf.rename(docs / "moved.pdf")
        for route in ("page", "image", "file"):
            r = client.get(f"/original/{route}", params={"chunk": chunk.id})
            assert r.status_code == 410, route
            assert "practice-direction.pdf is no longer where it was indexed from" in r.text
            assert str(docs) not in r.text  # the server's folders are not shown
        (docs / "moved.pdf").rename(pdf)
        assert client.get("/original/image", params={"chunk": chunk.id}).status_code == 200
        pdf.write_bytes(saved.replace(b"Zembla", b"Zembra"))  # same size, other content
        for route in ("page", "image", "file"):
            r = client.get(f"/original/{route}", params={"chunk": chunk.id})
            assert r.status_code == 409, route
            assert "has changed since it was indexed" in r.text and "ingest" in r.text
    finally:
        (docs / "moved.pdf").unlink(missing_ok=True)
        pdf.write_bytes(saved)
