"""The app in a real browser: Debian's Chromium, headless, driven by Playwright (screenshots in test-artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from toolkit_assistant.config import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = REPO_ROOT / "test-artifacts" / "browser"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app_url(corpus_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over the corpus plus a document holding <script>; always terminated."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install it with `make browser` (apt-get install chromium)")
    from test_ui import index_with_evil_doc, start_app, stop_app

    base = tmp_path_factory.mktemp("browser-app")
    index_dir = index_with_evil_doc(corpus_index_dir, base)
    proc, url = start_app(index_dir, base)
    try:
        yield url
    finally:
        stop_app(proc)


@pytest.fixture
def page(app_url: str, tmp_path: Path) -> Iterator[Any]:
    """A page in a fresh headless Chromium profile, with dialogs (alerts) recorded."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000}, accept_downloads=True,
        )
        try:
            pg = ctx.new_page()
            pg.set_default_timeout(60_000)
            pg.dialogs = []  # type: ignore[attr-defined]
            pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
            pg.goto(app_url)
            pg.wait_for_selector("#question textarea")
            yield pg
        finally:
            ctx.close()


def _ask(page: Any, question: str) -> None:
    """Type a question, press Ask, and wait until the chat holds one more answer."""
    before = page.locator("#chat .bot").count()
    page.fill("#question textarea", question)
    page.click("#ask-btn")
    page.wait_for_function(
        f"""() => {{
            const bots = document.querySelectorAll('#chat .bot');
            if (bots.length <= {before}) return false;
            const text = bots[bots.length - 1].innerText.trim();
            return text.length > 0 && !text.includes('Loading content');
        }}"""
    )


def test_judge_asks_and_sees_cited_answer_with_its_passage(page: Any) -> None:
    page.screenshot(path=str(SHOTS / "01-start.png"), full_page=True)
    _ask(page, "What did the court decide in State v. Loomis?")
    page.wait_for_selector("#sources-panel .ta-source")
    chat = page.inner_text("#chat")
    assert "[1]" in chat and "Loomis" in chat
    card = page.locator("#sources-panel #source-1")
    assert "[1]" in card.inner_text() and "Well-known cases" in card.inner_text()
    assert "summary" in card.locator(".ta-meta").inner_text()
    marked = card.locator("mark").first.inner_text()
    assert len(marked) > 20 and marked in card.locator(".ta-chunk").inner_text()
    assert card.locator("a", has_text="source").get_attribute("href", timeout=5000).startswith("https://")
    page.screenshot(path=str(SHOTS / "02-answer.png"), full_page=True)

    _ask(page, "When was it decided?")
    last = page.locator("#chat .bot").last.inner_text()
    assert "Searched as:" in last and "2016" in last

    _ask(page, "What is the recipe for a chocolate cake?")
    assert "do not cover this question" in page.locator("#chat .bot").last.inner_text()
    assert "do not cover" in page.inner_text("#sources-panel")
    page.screenshot(path=str(SHOTS / "03-declined.png"), full_page=True)


def test_document_script_is_shown_as_text_and_never_runs(page: Any) -> None:
    _ask(page, "What does the zebra courtroom protocol require?")
    page.wait_for_selector("#sources-panel .ta-source")
    panel = page.inner_text("#sources-panel")
    assert "<script>alert('zebra')</script>" in panel and '<img src=x onerror="alert(2)">' in panel
    assert "<script>alert('zebra')</script>" in page.locator("#chat .bot").last.inner_text()
    assert page.locator("#sources-panel script, #chat script, #sources-panel img").count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "04-escaped.png"), full_page=True)


def _build_pack(page: Any, tab: str, topic: str, minutes: str, audience: str) -> str:
    """Open the Prepare tab (by its name in the page's language), build a pack, and return its text."""
    page.get_by_role("tab", name=tab).click()
    page.fill("#topic textarea", topic)
    page.fill("#minutes input", minutes)
    page.fill("#audience textarea", audience)
    page.click("#build-pack")
    page.wait_for_selector("#pack .ta-pack", timeout=180_000)
    return str(page.inner_text("#pack"))


def test_trainer_builds_and_downloads_a_session_pack(page: Any, tmp_path: Path) -> None:
    pack = _build_pack(page, "Prepare a session", "algorithmic bias", "90", "first-instance judges")
    for heading in ("Learning objectives", "Session plan (90 minutes)", "Key points", "Case study",
                    "Discussion questions", "Further reading", "References"):
        assert heading in pack, heading
    assert "[1]" in pack and "Loomis" in pack and "first-instance judges" in pack
    minutes = page.locator("#pack table.ta-plan tbody tr td:nth-child(2)").all_inner_texts()
    assert sum(int(m) for m in minutes) == 90
    page.screenshot(path=str(SHOTS / "05-session-pack.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#pack-download")
    saved = tmp_path / "pack.md"
    info.value.save_as(saved)
    assert saved.read_text(encoding="utf-8").startswith("# Session pack: algorithmic bias")


def test_library_lists_documents_and_explains_uploads_are_off(page: Any) -> None:
    page.get_by_role("tab", name="Library").click()
    page.wait_for_selector("#library-table table")
    table = page.inner_text("#library-table")
    assert "ai-court-cases" in table and "Zebra protocol <script>alert('title')</script>" in table
    assert "turned off" in page.inner_text("#uploads-off")
    assert page.locator("#upload").count() == 0
    page.screenshot(path=str(SHOTS / "06-library.png"), full_page=True)


def test_evaluator_runs_a_category_and_adds_a_case(page: Any) -> None:
    page.get_by_role("tab", name="Evaluate").click()
    page.get_by_label("Categories (empty: all)").click()
    page.get_by_role("option", name="out_of_scope").click()
    page.keyboard.press("Escape")
    page.click("#run-eval")
    page.wait_for_function("document.body.innerText.includes('cases run; report in')", timeout=180_000)
    body = page.inner_text("body")
    assert "Quality gate" in body and "out_of_scope_declined" in body
    page.wait_for_selector("#report-download", state="visible", timeout=10_000)
    page.fill("#new-case-question textarea", "When was State v. Loomis decided?")
    page.fill("#new-case-facts textarea", "13 July 2016")
    page.click("#add-case")
    page.wait_for_function("document.querySelector('#new-case-result').innerText.includes('Saved to')")
    result = page.inner_text("#new-case-result")
    assert result.startswith("PASS") and "13 July 2016" in result
    # the case's explain view: the decision with its reason, the passages and the sentences that made it
    assert "Why: how the assistant decided" in result and "Decision: answered" in result
    why = page.locator("#new-case-result .ta-explain")
    assert why.locator(".ta-decision").get_attribute("data-coverage") == "answered"
    assert why.locator("table").first.locator("tbody tr").count() >= 3  # candidate passages
    assert why.locator("tr.ta-chosen").count() >= 1 and "ai-court-cases" in why.inner_text()
    page.screenshot(path=str(SHOTS / "07-evaluate.png"), full_page=True)


def test_french_browser_sees_french_labels_and_untranslated_answers(app_url: str) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
            page = ctx.new_page()
            page.set_default_timeout(60_000)
            page.goto(app_url)
            page.wait_for_selector("#question textarea")
            assert page.evaluate("navigator.language") == "fr-FR"
            for french, english in (("Poser une question", "Ask"), ("Préparer une session", "Prepare a session"),
                                    ("Évaluer", "Evaluate"), ("Bibliothèque", "Library")):
                assert page.get_by_role("tab", name=french, exact=True).count() >= 1, french
                assert page.get_by_role("tab", name=english, exact=True).count() == 0, english
            assert page.get_attribute("#question textarea", "placeholder").startswith("p. ex. Un juge peut-il")
            assert page.inner_text("#ask-btn").strip() == "Demander"
            body = page.inner_text("body")
            assert "Votre question" in body and "Posez une question avec vos propres mots" in body
            assert "Les sources s'affichent ici après une question." in page.inner_text("#sources-panel")

            _ask(page, "What did the court decide in State v. Loomis?")  # answers stay in the sources' language
            page.wait_for_selector("#sources-panel .ta-source")
            answer = page.locator("#chat .bot").last.inner_text()
            assert "Loomis" in answer and "[1]" in answer and "court" in answer.lower()
            assert "Well-known cases" in page.inner_text("#sources-panel #source-1")
            page.screenshot(path=str(SHOTS / "08-french.png"), full_page=True)

            page.get_by_role("tab", name="Bibliothèque", exact=True).first.click()
            page.wait_for_selector("#library-table table")
            assert "désactivé" in page.inner_text("#uploads-off")
            assert "ai-court-cases" in page.inner_text("#library-table")
        finally:
            browser.close()
