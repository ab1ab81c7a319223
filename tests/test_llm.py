"""Generative backends with a real model: llama.cpp in-process, and llama.cpp's OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit_assistant.cli import cli
from toolkit_assistant.store import EmbeddedLocation, load_chunks
from tests.conftest import running_server
from toolkit_assistant.verify import check_sentence, parse_sentences

pytestmark = pytest.mark.slow

llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (extra [llamacpp])")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gguf() -> Path:
    from toolkit_assistant.backends import default_gguf

    return default_gguf()


def ask_json(question: str, *extra: str, env: dict[str, str] | None = None) -> dict:
    result = CliRunner().invoke(cli, ["ask", "--json", *extra, question], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_every_sentence_supported(answer: dict) -> None:
    """Whatever the model said, each sentence that reached the user is backed by the passage it cites."""
    loc = EmbeddedLocation(Path(os.environ["TOOLKIT_INDEX_DIR"]))
    chunks = {c.id: c for c in load_chunks(loc, loc.read_manifest())}  # type: ignore[arg-type]
    by_n = {c["n"]: c for c in answer["citations"]}
    for c in answer["citations"]:
        assert c["quote"] and c["quote"] in chunks[c["chunk_id"]].text
    if answer["abstained"]:
        return
    sentences = parse_sentences(answer["answer"])
    assert sentences
    for sentence, ns in sentences:
        assert ns, f"uncited sentence reached the user: {sentence!r}"
        assert any(
            check_sentence(sentence, chunks[by_n[n]["chunk_id"]].text, sentence_vec=None, passage_vecs=None)[0]
            for n in ns
        ), f"unsupported sentence reached the user: {sentence!r}"


QUESTIONS = [
    "What share of judges use chatbots for work?",
    "What must judges check before relying on a chatbot?",
    "How many judicial operators took part in Survey X?",
]


def test_llamacpp_end_to_end_never_shows_unsupported_sentences(small_corpus: Path) -> None:
    assert CliRunner().invoke(cli, ["ingest", str(small_corpus)]).exit_code == 0
    for q in QUESTIONS:
        answer = ask_json(q, "--backend", "llamacpp")
        assert answer["backend"] in ("llamacpp", "llamacpp->extractive")
        v = answer["verification"]
        assert v["sentences"] >= 1 and v["supported"] + v["removed"] <= v["sentences"]
        if answer["backend"] == "llamacpp->extractive":
            assert any("showing the extractive answer" in n for n in answer["notices"])
        assert_every_sentence_supported(answer)


@pytest.fixture
def llama_server() -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf()), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"]
    with running_server(cmd, f"{url}/models", timeout_s=90):
        yield url


def test_openai_backend_against_a_real_llama_cpp_server(small_corpus: Path, llama_server: str) -> None:
    assert CliRunner().invoke(cli, ["ingest", str(small_corpus)]).exit_code == 0
    env = {"TOOLKIT_OPENAI_BASE_URL": llama_server, "TOOLKIT_OPENAI_MODEL": "smollm2"}
    for q in QUESTIONS[:2]:
        answer = ask_json(q, "--backend", "openai", env=env)
        assert answer["backend"] in ("openai", "openai->extractive")
        assert not any("unavailable" in n for n in answer["notices"])
        assert_every_sentence_supported(answer)


@pytest.mark.parametrize("backend", ["openai", "ollama"])
def test_unreachable_server_falls_back_with_a_notice(small_corpus: Path, backend: str) -> None:
    assert CliRunner().invoke(cli, ["ingest", str(small_corpus)]).exit_code == 0
    dead = f"http://127.0.0.1:{free_port()}"
    env = {"TOOLKIT_OPENAI_BASE_URL": dead + "/v1", "TOOLKIT_OLLAMA_URL": dead}
    answer = ask_json(QUESTIONS[0], "--backend", backend, env=env)
    assert answer["backend"] == "extractive" and "44%" in answer["answer"]
    assert any(f"{backend} backend is unavailable" in n and "does not answer" in n for n in answer["notices"])


def test_missing_model_file_is_named(small_corpus: Path, tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["ingest", str(small_corpus)]).exit_code == 0
    answer = ask_json(QUESTIONS[0], "--backend", "llamacpp", env={"TOOLKIT_LLM_MODEL_PATH": str(tmp_path / "nope.gguf")})
    assert any("nope.gguf" in n for n in answer["notices"]) and answer["backend"] == "extractive"


@pytest.mark.integration
def test_pipeline_keeps_supported_and_removes_unsupported_model_sentences(small_corpus: Path) -> None:
    """A scripted chat model (LangChain's fake) through the real Assistant: one true, one false, one uncited sentence."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from toolkit_assistant.backends import LLMGenerator
    from toolkit_assistant.config import load_settings
    from toolkit_assistant.pipeline import Assistant

    assert CliRunner().invoke(cli, ["ingest", str(small_corpus)]).exit_code == 0
    assistant = Assistant.from_settings(load_settings())
    hits, _ = assistant.retrieve("What share of judges use chatbots for work?")
    n = next(i for i, h in enumerate(hits[:5], start=1) if "44%" in h.chunk.text)
    reply = (
        f"The Survey X found that 44% of responding judges use chatbots for work [{n}]. "
        f"The Survey X found that 71% of judges were trained by UNESCO in Paris [{n}]. "
        "Judges everywhere love chatbots."
    )
    fake = LLMGenerator(FakeListChatModel(responses=[reply]), "scripted")
    assistant._generators["scripted"] = fake
    answer = assistant.ask("What share of judges use chatbots for work?", backend="scripted")
    assert answer.backend == "scripted"
    assert "44%" in answer.text and "71%" not in answer.text and "love" not in answer.text
    assert answer.verification.sentences == 3 and answer.verification.removed == 2
    reasons = {c.text: c.reason for c in answer.verification.checks if not c.supported}
    assert any("71%" in r for r in reasons.values()) and "no citation" in reasons.values()
    assert all(c.quote in c.chunk.text for c in answer.citations)
