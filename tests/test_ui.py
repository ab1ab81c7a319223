"""The Gradio app: pure rendering helpers, then the real app in a subprocess driven by gradio_client."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit_assistant.app.actions import as_tuple, check_case
from toolkit_assistant.app.chat import rewrite_followup
from toolkit_assistant.app.eval_tab import render_eval
from toolkit_assistant.app.i18n import (
    EXAMPLE_TOPICS,
    EXAMPLES,
    LANG_COOKIE,
    UI_LANGUAGES,
    UI_TEXT,
    browser_language,
    request_language,
    topic_label,
    ui_language,
    ui_text,
    ui_translations,
)
from toolkit_assistant.auth import parse_auth
from toolkit_assistant.app.render import (
    chat_text,
    draft_message,
    highlight,
    md_escape,
    render_checking,
    render_documents,
    render_sources,
    safe_url,
)
from toolkit_assistant.config import OFFLINE_ENV, REPO_ROOT
from toolkit_assistant.errors import ConfigError
from toolkit_assistant.types import Answer, Chunk, Citation, Verification

EVIL_TEXT = (
    "The zebra courtroom protocol <script>alert('zebra')</script> requires judges to log every zebra widget. "
    'An <img src=x onerror="alert(2)"> zebra widget is *emphasised*.'
)
EVIL_QUOTE = "The zebra courtroom protocol <script>alert('zebra')</script> requires judges to log every zebra widget."


def _answer(text: str, chunk_text: str, quote: str, *, abstained: bool = False, url: str = "https://e.org/x") -> Answer:
    chunk = Chunk(id="evil:1:1", doc_id="evil", text=chunk_text, title="Evil <b>title</b>", section="1",
                  section_title="Widgets <i>", year="2024", status="draft", kind="guidelines", source_url=url)
    cits = () if abstained else (Citation(n=1, chunk=chunk, quote=quote, score=0.9),)
    return Answer(question="q", text=text, abstained=abstained, backend="extractive", citations=cits,
                  verification=Verification(1, 1, 0), notices=("The llamacpp backend is unavailable <x>",),
                  nearest_topics=("Topic <one> (Doc)", "Sources (Doc)") if abstained else ())


# ---------------------------------------------------------------- pure helpers


def test_highlight_escapes_the_chunk_and_marks_the_quote() -> None:
    out = highlight(EVIL_TEXT, EVIL_QUOTE)
    assert out.startswith("<mark>The zebra courtroom protocol &lt;script&gt;alert(&#x27;zebra&#x27;)&lt;/script&gt;")
    assert out.count("<mark>") == 1 and "</mark> An &lt;img src=x onerror=" in out
    assert "<script" not in out and "<img" not in out
    assert highlight("plain <b>", "missing") == "plain &lt;b&gt;"


def test_sources_panel_shows_metadata_escaped() -> None:
    out = render_sources(_answer(EVIL_QUOTE + " [1]", EVIL_TEXT, EVIL_QUOTE))
    for piece in ("[1]", "Evil &lt;b&gt;title&lt;/b&gt;", "§1 Widgets &lt;i&gt;", "2024", ">draft<",
                  'href="https://e.org/x"', 'data-chunk="evil:1:1"', "<mark>", "unavailable &lt;x&gt;"):
        assert piece in out, piece
    assert "<script" not in out and "<img" not in out and "<b>" not in out


def test_sources_panel_drops_unsafe_links_and_shows_a_decline() -> None:
    out = render_sources(_answer("x", EVIL_TEXT, EVIL_QUOTE, url="javascript:alert(1)"))
    assert "javascript:" not in out and "no link" in out
    declined = render_sources(_answer("no", "", "", abstained=True))
    assert "do not cover this question" in declined and "Topic &lt;one&gt; (Doc)" in declined
    assert "Sources (Doc)" not in declined  # bibliography sections are not offered as topics


def test_chat_text_escapes_markdown_and_html() -> None:
    text = chat_text(_answer(EVIL_QUOTE + " [1]", EVIL_TEXT, EVIL_QUOTE), "q", "q (terms)")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\\[1\\]" in text and "Searched as: q \\(terms\\)" in text
    assert md_escape("*a* _b_ [c](d) # e") == "\\*a\\* \\_b\\_ \\[c\\]\\(d\\) \\# e"


def test_right_to_left_messages_isolate_their_english_runs_and_partial_answers_keep_their_lead_apart() -> None:
    from toolkit_assistant.app.render import md_bidi, split_lead

    lead = "تتناول الوثائق “Awareness” (UNESCO survey (2024))، لكنها لا تذكر شيئًا عن “brazil”. أقرب المقاطع:"
    assert md_bidi(lead, "ar") == ("تتناول الوثائق <bdi>“Awareness” \\(UNESCO survey \\(2024\\)\\)</bdi>، لكنها لا تذكر "
                                   "شيئًا عن <bdi>“brazil”</bdi>\\. أقرب المقاطع:")
    assert md_bidi("Les documents <b>x</b> (y)", "fr") == md_escape("Les documents <b>x</b> (y)")  # no isolates
    assert "<bdi>" not in md_bidi("ملاحظة: المصادر", "ar")
    assert "<b>" not in md_bidi("ملاحظة <b>x</b>", "ar") and "&lt;" in md_bidi("ملاحظة <b>x</b>", "ar")  # still escaped
    assert split_lead(lead + " UNESCO's page [1].", "ar") == (lead, "UNESCO's page [1].")
    english = "The materials speak of “X” (Y), but they do not say anything about “fines”. The closest passages:"
    assert split_lead(english + " A [1]. B [2].", "en") == (english, "A [1]. B [2].")
    assert split_lead("Plain answer [1].", "en") == ("", "Plain answer [1].")


def test_followup_rewrite_appends_previous_key_terms_only_when_needed() -> None:
    prev = "What did the court decide in State v. Loomis?"
    assert rewrite_followup("When was it decided?", prev) == "When was it decided? (court decide State Loomis)"
    assert rewrite_followup("What is algorithmic bias?", prev) == "What is algorithmic bias?"
    assert rewrite_followup("When was it decided?", None) == "When was it decided?"
    long_q = "Is it true that " + "many words " * 10 + "apply?"
    assert rewrite_followup(long_q, prev) == long_q


def test_parse_auth_from_string_and_file(tmp_path: Path) -> None:
    assert parse_auth(None) is None and parse_auth("  ") is None
    assert parse_auth("judge:s3cret,clerk:a:b") == [("judge", "s3cret"), ("clerk", "a:b")]
    f = tmp_path / "users.txt"
    f.write_text("# users\njudge:one\n\ntrainer:two\n", encoding="utf-8")
    assert parse_auth(str(f)) == [("judge", "one"), ("trainer", "two")]
    with pytest.raises(ConfigError):
        parse_auth("judge:")
    with pytest.raises(ConfigError):
        parse_auth(str(tmp_path / "missing.txt"))


def test_small_helpers() -> None:
    assert as_tuple("a, b,,c") == ("a", "b", "c") and as_tuple(["x"]) == ("x",) and as_tuple("") == ()
    assert safe_url("https://unesco.org/a?b=1") and not safe_url("javascript:alert(1)")
    assert not safe_url('https://x.org/"onmouseover=')
    table = render_documents([{"doc_id": "d", "title": "<script>t</script>", "kind": "case", "year": "2024",
                               "status": "final", "language": "en", "chunks": 3, "sections": ["1 A"],
                               "path": "/srv/corpus/d.md", "source_url": "https://e.org"}])
    assert "&lt;script&gt;t&lt;/script&gt;" in table and "<script" not in table and "/srv/" not in table
    metrics, fails = render_eval({
        "gate": {"passed": False, "rows": [{"metric": "recall@5", "score": 0.5, "op": ">=", "target": 0.95,
                                            "passed": False}]},
        "metrics": {"recall@5": {"score": 0.5, "numerator": 1, "denominator": 2},
                    "mrr": {"score": None, "numerator": 0, "denominator": 0}},
        "cases": [{"id": "q1", "category": "answerable", "question": "<q>", "passed": False,
                   "reasons": ["missing fact"], "answer": {"answer": "An <b>answer</b>"}},
                  {"id": "q2", "question": "fine", "passed": True}]})
    assert "Quality gate" in metrics and "FAILED" in metrics and "0.500" in metrics and "&gt;= 0.950" in metrics
    assert "mrr" in metrics and "n/a" in metrics
    assert "Failing cases (1)" in fails and "&lt;q&gt;" in fails and "missing fact" in fails
    assert "An &lt;b&gt;answer" in fails and "q2" not in fails


def test_render_explain_shows_the_decision_passages_and_sentences() -> None:
    from toolkit_assistant.app.eval_tab import render_explain

    trace = {
        "hits": [{"rank": 1, "chunk_id": "cases:2:1", "section": "2 <Loomis>", "fused": 0.03, "dense": 0.8, "bm25": 3.1}],
        "sentences": [{"text": "The court held <that>.", "score": 0.4, "similarity": 0.8, "chosen": True},
                      {"text": "Docket 1.", "score": 0.1, "similarity": 0.5, "chosen": False}],
        "decision": {"coverage": "partial", "reason": "the passages do not speak of: fines",
                     "evidence": {"best_sentence_similarity": 0.7, "question_words_found": 0.5,
                                  "dense_and_bm25_agree": True, "missing": ["fines"], "missing_kind": "",
                                  "best_sentence_states_absence": False, "found_by_meaning": ["verdict"]}},
    }
    html = render_explain(trace)
    assert "Decision: partial</strong> - the passages do not speak of: fines" in html
    assert "data-coverage='partial'" in html and "verdict" in html and "0.700" in html
    assert "2 &lt;Loomis&gt;" in html and "held &lt;that&gt;" in html and "<that>" not in html
    assert html.count("ta-chosen") == 1 and "Docket 1." in html
    french = render_explain(trace, "fr")
    assert "Décision" in french and "Passages candidats" in french
    assert render_explain(None) == ""
    nothing = render_explain({"hits": [], "sentences": []})
    assert "Nothing was retrieved" in nothing


def test_check_case() -> None:
    answer = _answer("Loomis was decided on 13 July 2016 [1].", "x", "x")
    assert check_case(answer, [r"13 July 2016", "loomis"], False) == (True, [])
    ok, problems = check_case(answer, ["1999"], False)
    assert not ok and "1999" in problems[0]
    assert check_case(answer, [], True)[0] is False
    assert check_case(_answer("", "", "", abstained=True), [], True) == (True, [])


# ---------------------------------------------------------------- interface languages


def test_every_interface_text_is_in_all_seven_languages() -> None:
    assert set(UI_LANGUAGES) == {"en", "fr", "es", "ar", "zh", "ru", "pt"}
    for key, texts in UI_TEXT.items():
        for lang in UI_LANGUAGES:
            assert texts.get(lang, "").strip(), f"{key} has no {lang} text"
        tags = {lang: sorted(re.findall(r"</?\w+", text)) for lang, text in texts.items()}
        assert len({tuple(t) for t in tags.values()}) == 1, f"{key}: HTML tags differ between languages: {tags}"
        slots = {lang: sorted(set(re.findall(r"\{\w+\}", text))) for lang, text in texts.items()}
        assert len({tuple(t) for t in slots.values()}) == 1, f"{key}: placeholders differ: {slots}"
        columns = {lang: text.count("|") for lang, text in texts.items()}
        assert len(set(columns.values())) == 1, f"{key}: column lists differ in length: {columns}"
    table = ui_translations()
    assert set(table) == set(UI_LANGUAGES) and all(set(table[lang]) == set(UI_TEXT) for lang in table)
    # translated, not copied: only words that are the same in another language and English may match
    same = {lang: {k for k, v in UI_TEXT.items() if v[lang] == v["en"]} for lang in UI_LANGUAGES if lang != "en"}
    assert same["fr"] <= {"chat_label", "sources_heading", "new_question_label", "md_question", "md_sources",
                          "md_conversation", "source_link", "status_original", "minutes_short"}, same["fr"]
    for lang in ("es", "pt"):
        assert same[lang] <= {"status_original", "minutes_short"}, (lang, same[lang])
    assert not same["ar"] and not same["zh"] and not same["ru"]
    assert ui_text("tab_library", "fr") == "Bibliothèque" and ui_text("tab_library", "de") == "Library"
    assert ui_text("tab_ask", "ar") == "اطرح سؤالاً" and ui_text("tab_ask", "zh") == "提问"


def test_every_language_offers_example_questions_and_topics_and_its_placeholders_quote_them() -> None:
    for lang in UI_LANGUAGES:
        assert len(EXAMPLES[lang]) >= 5 and len(EXAMPLE_TOPICS[lang]) >= 2, lang
        questions = [e.question for e in EXAMPLES[lang]]
        assert len(set(questions)) == len(questions), lang
        for e in EXAMPLES[lang]:
            re.compile(e.expect)
            assert e.expect.strip(), (lang, e.question)
        # the question box's placeholder is the first example question, after its "e.g." (so it is answered)
        assert ui_text("question_placeholder", lang).endswith(questions[0]), lang
        assert ui_text("topic_placeholder", lang).endswith(EXAMPLE_TOPICS[lang][0].topic), lang
        assert all(15 <= t.minutes <= 480 for t in EXAMPLE_TOPICS[lang])
        assert all(len(topic_label(t, lang)) <= 60 for t in EXAMPLE_TOPICS[lang]), lang  # Gradio cuts longer ones


def test_every_key_the_app_uses_is_defined_and_every_defined_key_is_used() -> None:
    import toolkit_assistant.app as app

    source = "".join(p.read_text(encoding="utf-8") for p in sorted(Path(app.__file__).parent.rglob("*.py")))
    used = set(re.findall(r"""\b(?:t|ui_text)\(\s*["']([a-z0-9_]+)["']""", source))
    assert len(used) > 40
    assert used - set(UI_TEXT) == set(), "keys used but not in UI_TEXT"
    assert set(UI_TEXT) - used == set(), "keys in UI_TEXT that nothing uses"


def test_browser_language_is_the_browsers_first_choice_as_gradios_page_takes_it() -> None:
    assert browser_language("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7") == "fr"
    assert browser_language("ar-EG,ar;q=0.9") == "ar" and browser_language("zh-CN,zh;q=0.9") == "zh"
    assert browser_language("pt-BR") == "pt" and browser_language("ru") == "ru"
    # Gradio's page shows English to a German browser, whatever it accepts next: so must the handlers
    assert browser_language("de-DE,de;q=0.9,es;q=0.5,en;q=0.4") == "en"
    assert browser_language("en;q=0.3, es-MX;q=0.8") == "es"  # the highest weight comes first
    assert browser_language("fr;q=0, en") == "en"
    assert browser_language("ja-JP") == "en" and browser_language(None) == "en" and browser_language("") == "en"
    assert ui_language("zh-TW") == "zh" and ui_language("AR") == "ar" and ui_language("de") == "en"


def test_request_language_prefers_the_language_the_page_chose() -> None:
    class Req:
        def __init__(self, **headers: str) -> None:
            self.headers = headers

    assert request_language(Req(cookie=f"a=1; {LANG_COOKIE}=ar", **{"accept-language": "fr-FR"})) == "ar"
    assert request_language(Req(cookie=f"{LANG_COOKIE}=de", **{"accept-language": "fr-FR"})) == "en"
    assert request_language(Req(cookie="broken=\"", **{"accept-language": "es-ES,es"})) == "es"
    assert request_language(Req(**{"accept-language": "ru-RU"})) == "ru"
    assert request_language(None) == "en"


def test_draft_message_is_marked_unverified_and_escaped() -> None:
    out = draft_message("Judges <b>must</b> check [1]", "fr")
    assert out.startswith("_Brouillon non vérifié, vérification des citations")
    assert "&lt;b&gt;must&lt;/b&gt;" in out and "\\[1\\]" in out and "<b>" not in out
    assert draft_message("x").startswith("_Unverified draft, checking citations")
    assert "ta-checking" in render_checking("es") and "borrador" in render_checking("es")
    assert "Sources appear here after a question." in render_sources(None)


# ---------------------------------------------------------------- streaming in the Ask tab


@pytest.mark.integration
def test_chat_handler_streams_a_draft_then_the_verified_answer(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scripted chat model streams one true, one false and one uncited sentence through the Ask tab's handler."""
    from click.testing import CliRunner
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from toolkit_assistant.app.actions import AppActions
    from toolkit_assistant.app.chat import chat_steps
    from toolkit_assistant.backends import LLMGenerator
    from toolkit_assistant.cli import cli
    from toolkit_assistant.config import load_settings
    from toolkit_assistant.pipeline import Assistant

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio-tmp"))  # the Markdown download goes here
    assert CliRunner().invoke(cli, ["ingest", str(small_corpus)]).exit_code == 0
    settings = load_settings()
    assistant = Assistant.from_settings(settings)
    actions = AppActions(assistant, settings)
    question = "What share of judges use chatbots for work?"
    hits, _ = assistant.retrieve(question)
    n = next(i for i, h in enumerate(hits[:5], start=1) if "44%" in h.chunk.text)
    reply = (
        f"The Survey X found that 44% of responding judges use chatbots for work [{n}]. "
        f"The Survey X found that 71% of judges were trained by UNESCO in Paris [{n}]. "
        "Judges everywhere love chatbots."
    )
    model = FakeListChatModel(responses=[reply], sleep=0.005)  # streams one character at a time
    assistant._generators["scripted"] = LLMGenerator(model, "scripted")

    steps = list(chat_steps(actions, question, [], [], "scripted", [], [], "en"))
    pending, *drafts, final = steps
    # (issue #15) the question shows at once, with a 'writing' note, before the model's first words
    assert [m["role"] for m in pending[0]] == ["user", "assistant"] and "Writing the answer" in pending[0][-1]["content"]
    assert drafts, "no intermediate draft was shown while the model streamed"
    texts = []
    for step in drafts:
        chat, hist, panel = step[0], step[1], step[2]
        assert [m["role"] for m in chat] == ["user", "assistant"]
        assert chat[-1]["content"].startswith("_Unverified draft, checking citations")
        assert "ta-checking" in panel and 'class="ta-source"' not in panel
        texts.append(chat[-1]["content"].split("\n\n", 1)[1])
    assert all(b.startswith(a) for a, b in zip(texts, texts[1:], strict=False)), "the draft must only grow"
    assert texts[-1] == md_escape(reply)  # the raw draft, unsupported sentences included
    assert "71%" in texts[-1] and "love" in texts[-1]

    chat, hist, panel, _download, md, _topics, box = final
    answer_text = chat[-1]["content"]
    assert "44%" in answer_text and "71%" not in answer_text and "love" not in answer_text
    assert "Unverified draft" not in answer_text
    assert 'class="ta-source"' in panel and "<mark>" in panel and "ta-checking" not in panel
    assert "44%" in md and "71%" not in md
    # (issue #15) each answer's history entry keeps its sources panel and Markdown (for a click on it, and the
    # conversation's download)
    assert [{k: h[k] for k in ("question", "effective")} for h in hist] == [{"question": question,
                                                                         "effective": question}] and box == ""
    assert hist[0]["message"] == 1 and 'class="ta-source"' in hist[0]["sources"] and "44%" in hist[0]["markdown"]

    # the extractive backend answers in one step, with no draft
    (only,) = list(chat_steps(actions, question, [], [], "extractive", [], [], "en"))
    assert "44%" in only[0][-1]["content"] and "Unverified draft" not in only[0][-1]["content"]

    # a stream that breaks half-way: the partial draft was shown, then the extractive answer with a notice
    assistant._generators["broken"] = LLMGenerator(
        FakeListChatModel(responses=[reply], sleep=0.002, error_on_chunk_number=40), "broken")
    _pending, *drafts, final = list(chat_steps(actions, question, [], [], "broken", [], [], "fr"))
    assert drafts and drafts[-1][0][-1]["content"].startswith("_Brouillon non vérifié")
    # the notice in the interface's language (French here), without the reason (that goes to the server log)
    assert "44%" in final[0][-1]["content"] and "Le mode de rédaction broken n'est pas disponible ;" in final[0][-1]["content"]


# ---------------------------------------------------------------- the real app in a subprocess


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(index_dir: Path, tmp: Path, *, extra_env: dict[str, str] | None = None,
              timeout_s: float = 120.0) -> tuple[subprocess.Popen[bytes], str]:
    """Start `python app.py` on a free port with its own index; wait (bounded) until /healthz answers 200.

    Not the page's first 200: the page comes before the index is open (tests/test_startup.py tests that state),
    and these tests want the app ready to answer."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOOLKIT_", "GRADIO_"))}
    env.update(OFFLINE_ENV)
    env.update(TOOLKIT_INDEX_DIR=str(index_dir), TOOLKIT_PORT=str(port), TOOLKIT_HOST="127.0.0.1",
               GRADIO_TEMP_DIR=str(tmp / "gradio-tmp"), GRADIO_ANALYTICS_ENABLED="False",
               TOOLKIT_EMBEDDING="minilm")  # the test indexes (conftest, index_with_evil_doc) are built with MiniLM
    env.update(extra_env or {})
    log = (tmp / f"app-{port}.log").open("wb")
    proc = subprocess.Popen([sys.executable, str(REPO_ROOT / "app.py")], cwd=REPO_ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"app exited with {proc.returncode}: {(tmp / f'app-{port}.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "healthz", timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not up yet, or 503 while the index opens
        time.sleep(0.5)
    stop_app(proc)
    raise AssertionError(f"app did not answer HTTP 200 within {timeout_s:.0f} s")


def stop_app(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the app process (kill it if it does not stop)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def index_with_evil_doc(corpus_index_dir: Path, dest: Path) -> Path:
    """A copy of the corpus index plus one document whose text holds <script> and an <img onerror>."""
    from toolkit_assistant.config import Settings
    from toolkit_assistant.embeddings import get_embedder
    from toolkit_assistant.indexer import run_ingest
    from toolkit_assistant.store import EmbeddedLocation

    index_dir = dest / "index"
    shutil.copytree(corpus_index_dir, index_dir)
    docs = dest / "evil-docs"
    docs.mkdir()
    (docs / "zebra.md").write_text(
        "---\nid: zebra-protocol\ntitle: Zebra protocol <script>alert('title')</script>\nyear: 2024\n"
        "status: draft\nkind: guidelines\nlanguage: en\nsource_url: javascript:alert(1)\n---\n\n"
        f"# Zebra protocol\n\n## 1. The zebra courtroom protocol\n\n{EVIL_TEXT}\n", encoding="utf-8")
    s = Settings()
    report = run_ingest([docs], location=EmbeddedLocation(index_dir), embedder=get_embedder("minilm"),
                        index_dir=index_dir, chunk_size=s.chunk_size, chunk_overlap=s.chunk_overlap)
    assert report.added and not report.skipped
    return index_dir


@pytest.fixture(scope="module")
def app_dir(corpus_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding this module's index (corpus + the <script> document)."""
    base = tmp_path_factory.mktemp("ui-app")
    index_with_evil_doc(corpus_index_dir, base)
    return base


@pytest.fixture(scope="module")
def app_url(app_dir: Path) -> Iterator[str]:
    """The app, started once for this module's tests, always terminated."""
    proc, url = start_app(app_dir / "index", app_dir)
    try:
        yield url
    finally:
        stop_app(proc)


@pytest.fixture(scope="module")
def client(app_url: str):  # type: ignore[no-untyped-def]
    """A gradio_client for the app."""
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.mark.slow
def test_api_lists_the_named_endpoints(client) -> None:  # type: ignore[no-untyped-def]
    named = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/ask", "/sources", "/prepare", "/documents"} <= set(named)


@pytest.mark.slow
def test_ask_returns_answer_json_with_citations(client) -> None:  # type: ignore[no-untyped-def]
    out = client.predict("What did the court decide in State v. Loomis?", api_name="/ask")
    assert isinstance(out, dict) and out["abstained"] is False
    assert {"question", "answer", "backend", "citations", "verification", "timings_ms"} <= set(out)
    assert "[1]" in out["answer"] and out["citations"]
    first = out["citations"][0]
    assert first["n"] == 1 and first["quote"] and first["chunk_id"].startswith("ai-court-cases:")
    assert "Loomis" in out["answer"]


@pytest.mark.slow
def test_ask_filters_by_document(client) -> None:  # type: ignore[no-untyped-def]
    out = client.predict("What is algorithmic bias?", "", "glossary", "", api_name="/ask")
    assert out["citations"] and {c["doc_id"] for c in out["citations"]} == {"glossary"}


@pytest.mark.slow
def test_out_of_scope_question_is_declined(client) -> None:  # type: ignore[no-untyped-def]
    out = client.predict("What is the recipe for a chocolate cake?", api_name="/ask")
    assert out["abstained"] is True and out["citations"] == []
    assert "do not cover" in out["answer"]


@pytest.mark.slow
def test_too_long_question_gets_a_clear_error(client) -> None:  # type: ignore[no-untyped-def]
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="limit is 2,000"):
        client.predict("why " * 600, api_name="/ask")


@pytest.mark.slow
def test_script_in_a_document_is_rendered_escaped(client) -> None:  # type: ignore[no-untyped-def]
    html_out = client.predict("What does the zebra courtroom protocol require?", api_name="/sources")
    assert 'class="ta-source"' in html_out and "<mark>" in html_out
    assert "&lt;script&gt;alert(&#x27;zebra&#x27;)&lt;/script&gt;" in html_out
    assert "Zebra protocol &lt;script&gt;" in html_out
    assert "<script" not in html_out.lower() and "<img" not in html_out.lower()
    assert "javascript:" not in html_out


@pytest.mark.slow
def test_documents_endpoint_lists_the_index(client) -> None:  # type: ignore[no-untyped-def]
    docs = client.predict(api_name="/documents")
    ids = {d["doc_id"] for d in docs}
    assert {"ai-court-cases", "glossary", "zebra-protocol"} <= ids
    assert all(d["chunks"] >= 1 and "path" not in d for d in docs)


@pytest.mark.slow
def test_prepare_endpoint_returns_a_cited_pack(client) -> None:  # type: ignore[no-untyped-def]
    md = client.predict("human oversight", 45, "", api_name="/prepare")
    assert md.startswith("# Session pack: human oversight") and "## References" in md and "[1]" in md


@pytest.mark.slow
def test_login_is_required_when_auth_is_set(app_dir: Path, tmp_path: Path) -> None:
    from gradio_client import Client

    index_copy = tmp_path / "index"
    shutil.copytree(app_dir / "index", index_copy)
    proc, url = start_app(index_copy, tmp_path, extra_env={"TOOLKIT_AUTH": "judge:s3cret"})
    try:
        for path in ("config", "gradio_api/info"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(url + path, timeout=10)
            assert err.value.code in (401, 403)
        with pytest.raises(Exception):  # noqa: B017 - the client refuses to connect without credentials
            Client(url, verbose=False)
        out = Client(url, auth=("judge", "s3cret"), verbose=False).predict(
            "What did the court decide in State v. Loomis?", api_name="/ask")
        assert out["citations"]
    finally:
        stop_app(proc)
