"""Issue #13 item 4 in a real browser: a judge signs in, asks about a court's own PDF, clicks the citation's
"Open page" link and sees that page of the original, its printed page number, and the quote highlighted where
it is printed. The same routes refuse anyone without a session (Debian's Chromium, headless; the real app).

Screenshots: test-artifacts/browser/13-04-*.png.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS

from tests.court_pdf import BODY, CourtFacts, make_court_pdf

pytestmark = pytest.mark.slow

KEY = BODY[1][1][0][1][0]  # printed on page '2' (PDF page 3)
QUESTION = "Must a judge disclose the use of a generative chatbot in a judgment?"
AUTH = ("judge", "s3cret")


@pytest.fixture(scope="module")
def court_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CourtFacts, str]]:
    """(app URL, where the PDF prints its sentences, the key sentence's chunk id): the app with a login, over an
    index of the corpus's court cases and the generated practice direction."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install it with `make browser` (apt-get install chromium)")
    from test_ui import start_app, stop_app

    from toolkit_assistant.config import REPO_ROOT, Settings
    from toolkit_assistant.embeddings import get_embedder
    from toolkit_assistant.indexer import run_ingest
    from toolkit_assistant.store import EmbeddedLocation

    base = tmp_path_factory.mktemp("pdfpage-app")
    docs = base / "docs"
    docs.mkdir()
    facts = make_court_pdf(docs / "practice-direction.pdf")
    shutil.copy(REPO_ROOT / "corpus" / "ai-court-cases.md", docs / "ai-court-cases.md")
    index = base / "index"
    s = Settings()
    report = run_ingest([docs], location=EmbeddedLocation(index), embedder=get_embedder("minilm"), index_dir=index,
                        chunk_size=s.chunk_size, chunk_overlap=s.chunk_overlap)
    assert len(report.added) == 2 and not report.skipped
    from toolkit_assistant.store.reader import load_chunks

    location = EmbeddedLocation(index)
    key_chunk = next(c for c in load_chunks(location, location.read_manifest()) if KEY in c.text)
    proc, url = start_app(index, base, extra_env={"TOOLKIT_AUTH": ":".join(AUTH), "TOOLKIT_ALLOW_UPLOADS": "true"})
    try:
        yield url, facts, key_chunk.id
    finally:
        stop_app(proc)


def test_the_original_page_needs_the_login(court_app: tuple[str, CourtFacts, str]) -> None:
    import httpx

    url, _, chunk_id = court_app
    with httpx.Client(base_url=url, timeout=60) as anon:
        for route in ("page", "image", "file"):
            r = anon.get(f"original/{route}", params={"chunk": chunk_id})
            assert r.status_code == 401, (route, r.status_code)
            assert b"%PDF" not in r.content and b"PNG" not in r.content
    with httpx.Client(base_url=url, timeout=60) as user:
        assert user.post("login", data={"username": AUTH[0], "password": AUTH[1]}).status_code in (200, 302, 303)
        page = user.get("original/page", params={"chunk": chunk_id})
        assert page.status_code == 200 and "p. 2" in page.text
        image = user.get("original/image", params={"chunk": chunk_id})
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        assert user.get("original/file", params={"chunk": chunk_id}).content.startswith(b"%PDF")
    with httpx.Client(base_url=url, timeout=60) as wrong:
        wrong.post("login", data={"username": AUTH[0], "password": "nope"})
        assert wrong.get("original/image", params={"chunk": chunk_id}).status_code == 401


def _signed_in(p: Any, url: str, timeout_ms: int) -> tuple[Any, Any, Any]:
    """(browser, context, page): a fresh headless Chromium signed in to the app through its login form."""
    browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(timeout_ms)
    _sign_in(pg, url)
    return browser, ctx, pg


def _sign_in(pg: Any, url: str) -> None:
    pg.goto(url)
    pg.locator("input").first.wait_for(state="visible")
    inputs = pg.locator("input[type=text], input:not([type])")
    inputs.first.fill(AUTH[0])
    pg.locator("input[type=password]").fill(AUTH[1])
    pg.get_by_role("button", name="Login").click()
    pg.wait_for_selector("#question textarea")


def test_a_citation_opens_its_page_with_the_quote_highlighted(court_app: tuple[str, CourtFacts, str]) -> None:
    from playwright.sync_api import sync_playwright
    from test_browser import _ask

    url, facts, chunk_id = court_app
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser, ctx, pg = _signed_in(p, url, 60_000)
        try:
            _ask(pg, QUESTION)
            card = pg.locator(f'#sources-panel .ta-source[data-chunk="{chunk_id}"]')
            card.wait_for(state="visible")
            assert "p. 2" in card.locator(".ta-meta").inner_text()
            link = card.locator("a.ta-open-page")
            assert link.inner_text().strip() == "Open page 2"
            pg.screenshot(path=str(SHOTS / "13-04-answer-with-open-page.png"), full_page=True)
            with ctx.expect_page() as opened:
                link.click()
            view = opened.value
            view.set_default_timeout(60_000)
            view.wait_for_load_state()
            image = view.locator("#page-image")
            image.wait_for(state="visible")
            view.wait_for_function("document.querySelector('#page-image').complete && "
                                   "document.querySelector('#page-image').naturalWidth > 0")
            assert view.locator("#page-label").inner_text() == "p. 2"
            assert "page 3 of 4 of the PDF" in view.locator("#page-index").inner_text()
            assert "Practice Direction" in view.locator("#page-title").inner_text()
            img = image.bounding_box()
            assert img and img["width"] > 500 and img["height"] > 700
            boxes = view.locator(".ta-hl")
            assert boxes.count() >= 2  # the sentence runs over two printed lines
            first = boxes.first.bounding_box()
            assert first and boxes.first.is_visible()
            # over the quote's first line: at the left margin, at the height the PDF printed it
            _, _, top_pt = facts.where[KEY]
            assert abs((first["x"] - img["x"]) / img["width"] - 56 / 595.28) < 0.01
            assert abs((first["y"] - img["y"]) / img["height"] - top_pt / facts.page_height) < 0.012
            assert first["width"] > 0.5 * img["width"] and first["height"] < 0.03 * img["height"]
            # the highlight is painted over the rendered text: the pixels under the box are yellowish, not white
            colour = view.evaluate("""() => {
              const b = document.querySelector('.ta-hl'); return getComputedStyle(b).backgroundColor; }""")
            assert colour.startswith("rgba(250, 204, 21")
            view.screenshot(path=str(SHOTS / "13-04-cited-page.png"), full_page=True)
            view.locator("#next-page").click()
            view.wait_for_function("document.querySelector('#page-label').innerText === 'p. 3'")
            assert view.locator(".ta-hl").count() == 0
        finally:
            browser.close()


def test_the_library_shows_file_and_page_progress_while_a_long_pdf_is_added(
        court_app: tuple[str, CourtFacts, str], tmp_path: Path) -> None:
    pytest.importorskip("fpdf")
    from playwright.sync_api import sync_playwright

    from toolkit_assistant.bench.pdfpages import write_reports
    from toolkit_assistant.config import REPO_ROOT

    url, _, _ = court_app
    [report] = write_reports(tmp_path / "upload", 60, REPO_ROOT / "corpus")
    with sync_playwright() as p:
        browser, _ctx, pg = _signed_in(p, url, 180_000)
        try:
            pg.get_by_role("tab", name="Library").click()
            pg.locator("#upload input[type=file]").set_input_files(str(report))
            pg.wait_for_function("document.querySelector('#upload').innerText.includes('report-001')")
            pg.click("#ingest-btn")
            # the progress bar's text: the file and the page being read, then the embeddings
            pg.wait_for_function("/file 1\\/1 report-001\\.pdf, page \\d+\\/60/.test(document.body.innerText)")
            pg.screenshot(path=str(SHOTS / "13-07-library-progress.png"), full_page=True)
            seen = pg.evaluate("document.body.innerText.match(/file 1\\/1 report-001\\.pdf, page \\d+\\/60/)[0]")
            assert seen.startswith("file 1/1 report-001.pdf, page ")
            pg.wait_for_function("document.body.innerText.includes('report-001.pdf: added')", timeout=900_000)
            assert "report-001" in pg.inner_text("#library-table")
        finally:
            browser.close()
