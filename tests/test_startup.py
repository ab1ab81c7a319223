"""Start-up (issue #17): serve's page comes before the index, the first question waits for it, health says which.

Unmarked: the warm-up, /healthz and the chat's "loading" step with a fake Assistant whose opening the test holds
back. integration: the first run's two steps on a real small corpus; Gradio imported the fast way in a fresh
process. slow: the real `serve`, asked the moment its page answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from toolkit_assistant.config import REPO_ROOT, Settings, load_settings
from toolkit_assistant.errors import IndexNotBuiltError, ToolkitError
from toolkit_assistant.types import Answer, Verification
from toolkit_assistant.warmup import Warmup, WarmupTimeout


class FakeAssistant:
    """Just enough of an Assistant for the app's chat handler: answers every question the same way."""

    backend = "extractive"
    max_question_chars = 2000

    def __init__(self, name: str = "first") -> None:
        self.name = name
        self.asked: list[str] = []

    def ask(self, question: str, **_: Any) -> Answer:
        self.asked.append(question)
        return Answer(question=question, text=f"The {self.name} assistant answered.", abstained=False,
                      backend="extractive", citations=(), verification=Verification(0, 0, 0))


def held_steps(gate: threading.Event, *assistants: Any) -> Any:
    """Warm-up steps that wait for `gate` before opening the first assistant, then yield the others."""

    def steps(say: Any) -> Iterator[Any]:
        say("opening the test index")
        gate.wait(300)  # longer than any wait of the test itself (the first `import gradio` takes seconds)
        yield assistants[0]
        for other in assistants[1:]:
            say("building the test multilingual index")
            yield other

    return steps


# ------------------------------------------------------------------ the warm-up


def test_get_waits_for_the_assistant_and_status_says_starting_then_ready() -> None:
    gate = threading.Event()
    first = FakeAssistant()
    warmup = Warmup(held_steps(gate, first)).start()
    assert not warmup.ready
    assert warmup.status()[0] == "starting"
    with pytest.raises(WarmupTimeout, match="still loading"):
        warmup.get(timeout=0.05)
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(warmup.get(timeout=10)))
    waiter.start()
    time.sleep(0.1)
    assert not got  # still waiting
    gate.set()
    waiter.join(10)
    assert got == [first] and warmup.ready
    assert warmup.wait_all(10) and warmup.finished
    assert warmup.status() == ("ready", "")
    assert warmup.ask("q").text == "The first assistant answered."


def test_a_later_step_replaces_the_assistant() -> None:
    gate = threading.Event()
    gate.set()
    first, second = FakeAssistant("first"), FakeAssistant("second")
    warmup = Warmup(held_steps(gate, first, second)).start()
    assert warmup.wait_all(10)
    assert warmup.get() is second


def test_a_failed_opening_is_raised_to_every_caller() -> None:
    def steps(say: Any) -> Iterator[Any]:
        raise IndexNotBuiltError("/somewhere/index")
        yield  # pragma: no cover

    warmup = Warmup(steps).start()
    assert warmup.wait(10)
    for _ in range(2):
        with pytest.raises(IndexNotBuiltError, match="toolkit-assistant ingest"):
            warmup.get()
    state, detail = warmup.status()
    assert state == "failed" and "No index found" in detail

    def crashes(say: Any) -> Iterator[Any]:
        raise RuntimeError("disk on fire")
        yield  # pragma: no cover

    broken = Warmup(crashes).start()
    with pytest.raises(ToolkitError, match="could not be opened: disk on fire"):
        broken.get(timeout=10)


def test_a_failure_after_the_first_assistant_keeps_it_answering() -> None:
    first = FakeAssistant()

    def steps(say: Any) -> Iterator[Any]:
        yield first
        raise RuntimeError("e5 build failed")

    warmup = Warmup(steps).start()
    assert warmup.wait_all(10)
    assert warmup.get() is first
    state, detail = warmup.status()
    assert state == "ready" and "e5 build failed" in detail


def test_health_says_starting_then_unavailable_with_the_reason() -> None:
    from toolkit_assistant.health import STARTING_REASON, warmup_health

    gate = threading.Event()
    warmup = Warmup(held_steps(gate, FakeAssistant())).start()
    assert warmup_health(warmup) == (503, {"status": "starting", "reason": STARTING_REASON})
    gate.set()

    def steps(say: Any) -> Iterator[Any]:
        raise IndexNotBuiltError("/secret/path/index")
        yield  # pragma: no cover

    failed = Warmup(steps).start()
    failed.wait(10)
    code, body = warmup_health(failed)
    assert (code, body) == (503, {"status": "unavailable",
                                  "reason": "the index is damaged or missing; run: toolkit-assistant check"})
    assert "/secret" not in json.dumps(body)


def test_the_chat_says_it_is_loading_then_answers_when_the_index_is_open(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit_assistant.app.actions import AppActions
    from toolkit_assistant.app.chat import chat_steps, warmup_notice
    from toolkit_assistant.app.i18n import ui_text

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio-tmp"))
    gate = threading.Event()
    assistant = FakeAssistant()
    warmup = Warmup(held_steps(gate, assistant)).start()
    actions = AppActions(warmup, Settings())
    html, over = warmup_notice(warmup, "fr")
    assert ui_text("loading_index", "fr") in html.replace("&#x27;", "'") and not over
    steps = chat_steps(actions, "May a judge use ChatGPT?", [], [], "extractive", [], [], "en")
    loading = next(steps)
    assert loading[0][-1]["role"] == "assistant" and "Loading the index" in loading[0][-1]["content"]
    assert "Loading the index" in loading[2]  # the sources panel says it too
    assert not assistant.asked
    gate.set()
    final = list(steps)[-1]
    assert final[0][-1]["content"].endswith("The first assistant answered\\.") and assistant.asked
    assert warmup_notice(warmup, "en") == ("", True)
    # once open, a question is answered in one step, with no loading message
    (only,) = list(chat_steps(actions, "Again?", [], [], "extractive", [], [], "en"))
    assert "Loading" not in only[0][-1]["content"]


def test_the_notice_says_when_the_multilingual_index_is_still_being_built() -> None:
    from toolkit_assistant.app.chat import warmup_notice
    from toolkit_assistant.app.i18n import ui_text

    first = FakeAssistant()
    release = threading.Event()

    def steps(say: Any) -> Iterator[Any]:
        yield first
        say("sentences 10 embedded")
        release.wait(10)
        yield FakeAssistant("second")

    warmup = Warmup(steps).start()
    warmup.wait(10)
    deadline = time.monotonic() + 5
    while warmup.status()[1] != "sentences 10 embedded" and time.monotonic() < deadline:
        time.sleep(0.01)
    html, over = warmup_notice(warmup, "es")
    assert ui_text("loading_multilingual", "es") in html and "sentences 10 embedded" in html and not over
    release.set()
    warmup.wait_all(10)
    assert warmup_notice(warmup, "es") == ("", True)


# ------------------------------------------------------------------ real parts


@pytest.mark.integration
def test_a_first_run_opens_the_english_index_before_building_the_multilingual_one(
        small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit_assistant import embeddings
    from toolkit_assistant.onnx_embed import OnnxMiniLMEmbedder
    from toolkit_assistant.wiring import open_in_steps

    monkeypatch.setenv("TOOLKIT_EMBEDDING", "auto")
    monkeypatch.setenv("TOOLKIT_CORPUS_DIR", str(small_corpus))
    monkeypatch.setenv("TOOLKIT_ONNX_DIR", str(tmp_path / "onnx"))
    # as on a fresh machine: no ONNX file anywhere (the repository's own .toolkit/onnx holds one after make test)
    from toolkit_assistant import onnx_embed

    monkeypatch.setattr(onnx_embed, "onnx_dirs", lambda: [tmp_path / "onnx"])
    monkeypatch.setattr(embeddings, "_CACHE", {})  # as in a fresh process: no model loaded yet
    settings = load_settings()
    said: list[str] = []
    steps = open_in_steps(settings, said.append)
    english = next(steps)
    assert english.foreign is None  # answers English questions; the e5 index is not built yet
    # a first run exports MiniLM to ONNX and answers with it: no sentence-transformers model was loaded first
    assert isinstance(english.embedder, OnnxMiniLMEmbedder) and list((tmp_path / "onnx").glob("minilm-*.onnx"))
    assert not settings.indexes()[1][1].exists()
    assert "44%" in english.ask("What share of responding judges use chatbots for work?").text
    every = next(steps)
    assert every.foreign is not None and settings.indexes()[1][1].exists()
    assert list(steps) == []
    assert any("building the index for questions in other languages" in m for m in said)
    # the next start opens both at once, in one step
    (again,) = list(open_in_steps(load_settings(), said.append))
    assert again.foreign is not None


@pytest.mark.integration
def test_a_one_question_process_loads_only_the_model_its_language_uses(
        small_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit_assistant import embeddings
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.wiring import ingest_with

    monkeypatch.setenv("TOOLKIT_EMBEDDING", "auto")
    settings = load_settings()
    ingest_with(settings, [small_corpus])
    monkeypatch.setattr(embeddings, "_CACHE", {})
    french = Assistant.from_settings(settings, language="fr")
    assert isinstance(french.embedder, embeddings.LazyEmbedder) and not french.embedder.loaded
    assert french.embedder.name == "all-MiniLM-L6-v2" and french.embedder.dim == 384  # known without loading
    assert not isinstance(french.foreign.embedder, embeddings.LazyEmbedder)  # e5: loaded at once
    answer = french.ask("Quelle part des juges utilisent des chatbots pour leur travail ?")
    assert answer.language == "fr" and not french.embedder.loaded
    english = Assistant.from_settings(settings, language="en")
    assert isinstance(english.foreign.embedder, embeddings.LazyEmbedder)
    assert "44%" in english.ask("What share of responding judges use chatbots for work?").text
    assert not english.foreign.embedder.loaded
    # asked in the other language after all: the model loads then, and the answer is the eager one's
    eager = Assistant.from_settings(settings)
    question = "What share of responding judges use chatbots for work?"
    assert french.ask(question).to_dict()["citations"] == eager.ask(question).to_dict()["citations"]
    assert french.embedder.loaded


@pytest.mark.integration
def test_gradio_imported_without_stub_writing_or_mcp_still_builds_the_app(tmp_path: Path) -> None:
    code = r"""
import importlib.util, sys
from pathlib import Path
from toolkit_assistant.app.gradio_import import import_gradio
gr = import_gradio()
import gradio.component_meta as meta
assert meta.create_or_modify_pyi.__name__ == "_no_stub", meta.create_or_modify_pyi
stub = Path(gr.__file__).parent / "components" / "textbox.pyi"
before = stub.stat().st_mtime_ns if stub.exists() else None
with gr.Blocks() as demo:
    box = gr.Textbox(label="q")
    gr.Button("go").click(lambda q: q, box, box)
assert (stub.stat().st_mtime_ns if stub.exists() else None) == before
assert sys.modules.get("mcp", "absent") is not None  # not left hidden
if importlib.util.find_spec("mcp") is not None:
    import mcp  # what `toolkit-assistant mcp` needs still imports
print("OK", len(demo.fns))
"""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "GRADIO_TEMP_DIR": str(tmp_path / "g")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("OK")


def _status(url: str, data: bytes | None = None, timeout: float = 60) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
            return resp.status, json.loads(body) if body[:1] in (b"{", b"[") else body
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.slow
def test_serve_answers_a_question_sent_the_moment_its_page_is_up(corpus_index_dir: Path, tmp_path: Path) -> None:
    """The first page comes before the index is open; a question sent then waits for it instead of failing."""
    import shutil
    import socket

    from conftest import stop_process

    shutil.copytree(corpus_index_dir, tmp_path / "index")
    shutil.copytree(corpus_index_dir.with_name("index-multilingual"), tmp_path / "index-multilingual")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TOOLKIT_INDEX_DIR": str(tmp_path / "index"),
           "TOOLKIT_EMBEDDING": "auto", "GRADIO_TEMP_DIR": str(tmp_path / "gradio")}
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "toolkit_assistant", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, "serve exited"
            try:
                if _status(f"{base}/", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("no first page within 120 s")
        health_code, health = _status(f"{base}/healthz")
        assert (health_code, health["status"]) in ((503, "starting"), (200, "ok")), health
        question = {"model": "toolkit-assistant",
                    "messages": [{"role": "user", "content": "What share of judicial operators have used AI chatbots?"}]}
        code, reply = _status(f"{base}/v1/chat/completions", json.dumps(question).encode(), timeout=120)
        assert code == 200 and reply["toolkit_answer"]["coverage"] == "answered", reply
        assert "44%" in reply["choices"][0]["message"]["content"]
        code, health = _status(f"{base}/healthz")
        assert code == 200 and health["status"] == "ok" and health["documents"] == 11
    finally:
        stop_process(proc)
