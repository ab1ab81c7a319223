"""Issue #18: LangChain, MCP and OpenAI-compatible clients against a small real index, all offline."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import repo_pythonpath, running_server, stop_process, write_small_corpus

from toolkit_assistant.config import OFFLINE_ENV, REPO_ROOT, Settings

pytestmark = pytest.mark.integration

ANSWERED_Q = "What share of judges use chatbots?"
OFF_TOPIC_Q = "What is the recipe for paella?"
AUTH = "judge:s3cret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index (real embedding model, Chroma, BM25) of the three small test documents."""
    from toolkit_assistant.embeddings import get_embedder
    from toolkit_assistant.indexer import run_ingest
    from toolkit_assistant.store import EmbeddedLocation

    base = tmp_path_factory.mktemp("integrations")
    corpus = write_small_corpus(base / "corpus")
    index_dir = base / "index"
    s = Settings()
    report = run_ingest([corpus], location=EmbeddedLocation(index_dir), embedder=get_embedder("minilm"),
                        index_dir=index_dir, chunk_size=s.chunk_size, chunk_overlap=s.chunk_overlap)
    assert report.documents == 3
    return index_dir


@pytest.fixture(scope="module")
def assistant(small_index: Path) -> Any:
    from toolkit_assistant.pipeline import Assistant

    return Assistant.from_settings(Settings(index_dir=small_index))


def child_env(index_dir: Path, tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOOLKIT_", "GRADIO_"))}
    env.update(OFFLINE_ENV)
    env.update(TOOLKIT_INDEX_DIR=str(index_dir), GRADIO_TEMP_DIR=str(tmp / "gradio-tmp"),
               PYTHONPATH=repo_pythonpath(env))
    env.update(extra)
    return env


# ---------------------------------------------------------------- LangChain


def test_langchain_retriever_returns_documents_with_citation_metadata(assistant: Any) -> None:
    from langchain_core.documents import Document

    from toolkit_assistant.langchain import ToolkitRetriever

    retriever = ToolkitRetriever(assistant=assistant, k=3)
    docs = retriever.invoke(ANSWERED_Q)
    assert docs and len(docs) <= 3 and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert top.metadata["doc_id"] == "survey-x" and "44%" in top.page_content
    assert set(top.metadata) == {"chunk_id", "doc_id", "title", "section", "section_title", "page", "status",
                                 "source_url", "score"}
    assert top.metadata["chunk_id"].startswith("survey-x:") and top.metadata["source_url"] == "https://example.org/survey-x"
    batch = retriever.batch([ANSWERED_Q, "Who is responsible for a decision an AI tool drafted?"])
    assert [b[0].metadata["doc_id"] for b in batch] == ["survey-x", "court-rules"]
    only_values = ToolkitRetriever(assistant=assistant, k=5, doc_ids=("values",)).invoke(ANSWERED_Q)
    assert {d.metadata["doc_id"] for d in only_values} == {"values"}


def test_langchain_chain_uses_the_retriever_and_the_answerer(assistant: Any) -> None:
    from langchain_core.runnables import RunnableLambda, RunnableParallel

    from toolkit_assistant.langchain import ToolkitAnswerer, ToolkitRetriever

    retriever = ToolkitRetriever(assistant=assistant, k=3)
    answerer = ToolkitAnswerer(assistant=assistant)

    one = answerer.invoke(ANSWERED_Q)
    assert one["coverage"] == "answered" and "44%" in one["answer"] and "[1]" in one["answer"]
    assert one["citations"][0]["quote"] in retriever.invoke(ANSWERED_Q)[0].page_content

    both = answerer.batch([{"question": ANSWERED_Q}, OFF_TOPIC_Q])
    assert [b["coverage"] for b in both] == ["answered", "none"]
    assert both[1]["abstained"] and not both[1]["citations"]

    chain = (
        RunnableParallel(answer=answerer, passages=retriever)
        | RunnableLambda(lambda x: {"text": x["answer"]["answer"],
                                    "cited": [c["chunk_id"] for c in x["answer"]["citations"]],
                                    "retrieved": [d.metadata["chunk_id"] for d in x["passages"]]})
    )
    out = chain.invoke("Who is responsible for a decision an AI tool drafted?")
    assert "responsible" in out["text"] and out["retrieved"][0].startswith("court-rules:")
    assert out["cited"] and all(c.startswith("court-rules:") for c in out["cited"])

    filtered = RunnableLambda(lambda q: {"question": q, "doc_ids": ["survey-x"]}) | answerer
    res = filtered.invoke("How many judges had received training on AI?")
    assert {c["doc_id"] for c in res["citations"]} <= {"survey-x"}


# ---------------------------------------------------------------- MCP


def test_mcp_client_lists_the_tools_and_calls_them_over_stdio(small_index: Path, tmp_path: Path) -> None:
    import anyio
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-m", "toolkit_assistant", "mcp"],
                                   env=child_env(small_index, tmp_path), cwd=str(tmp_path))
    seen: dict[str, Any] = {}

    async def session() -> None:
        with anyio.fail_after(120):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
                await s.initialize()
                tools = {t.name: t for t in (await s.list_tools()).tools}
                seen["tools"] = tools
                seen["ask"] = await s.call_tool("ask", {"question": ANSWERED_Q})
                seen["decline"] = await s.call_tool("ask", {"question": OFF_TOPIC_Q})
                seen["filtered"] = await s.call_tool("ask", {"question": ANSWERED_Q, "doc_ids": ["court-rules"]})
                seen["search"] = await s.call_tool("search", {"query": "chatbot citations", "k": 2})
                seen["sources"] = await s.call_tool("sources", {})

    anyio.run(session)
    tools = seen["tools"]
    assert set(tools) == {"ask", "search", "sources"}
    assert tools["ask"].input_schema["required"] == ["question"]
    assert {"doc_ids", "kinds"} <= set(tools["ask"].input_schema["properties"])
    assert "k" in tools["search"].input_schema["properties"]

    ask = seen["ask"]
    assert not ask.is_error
    answer = ask.structured_content
    assert answer["coverage"] == "answered" and "44%" in answer["answer"]
    assert answer["citations"][0]["doc_id"] == "survey-x" and answer["citations"][0]["quote"]
    assert json.loads(ask.content[0].text)["answer"] == answer["answer"]  # text content carries the same JSON
    assert seen["decline"].structured_content["coverage"] == "none"
    assert all(c["doc_id"] == "court-rules" for c in seen["filtered"].structured_content["citations"])
    hits = seen["search"].structured_content["hits"]
    assert len(hits) == 2 and hits[0]["text"] and hits[0]["chunk_id"] and "score" in hits[0]
    docs = seen["sources"].structured_content["documents"]
    assert [d["doc_id"] for d in docs] == ["court-rules", "survey-x", "values"] and "path" not in docs[0]


def test_mcp_client_over_http_on_loopback_with_login(small_index: Path, tmp_path: Path) -> None:
    import subprocess
    import time

    import anyio
    import httpx2
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "toolkit_assistant", "mcp", "--http", "--port", str(port)],
                            env=child_env(small_index, tmp_path, TOOLKIT_AUTH=AUTH), cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:  # the port opens once the model is loaded
            assert proc.poll() is None and time.monotonic() < deadline, "mcp --http did not start"
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        assert httpx2.post(f"http://127.0.0.1:{port}/mcp", json={}).status_code == 401
        seen: dict[str, Any] = {}

        async def session() -> None:
            with anyio.fail_after(60):
                async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {AUTH}"}, timeout=60) as http, \
                        streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http) as streams, \
                        ClientSession(streams[0], streams[1]) as s:
                    await s.initialize()
                    seen["tools"] = {t.name for t in (await s.list_tools()).tools}
                    seen["ask"] = (await s.call_tool("ask", {"question": ANSWERED_Q})).structured_content

        anyio.run(session)
        assert seen["tools"] == {"ask", "search", "sources"} and "44%" in seen["ask"]["answer"]
    finally:
        stop_process(proc)


def test_mcp_http_app_requires_login_when_auth_is_set(assistant: Any, small_index: Path) -> None:
    from starlette.testclient import TestClient

    from toolkit_assistant.mcp_server import http_app, main

    with TestClient(http_app(assistant, [("judge", "s3cret")])) as client:
        assert client.post("/mcp", json={}).status_code == 401
        assert client.post("/mcp", json={}, headers={"Authorization": "Bearer judge:wrong"}).status_code == 401
        assert client.post("/mcp", json={}, headers={"Authorization": f"Bearer {AUTH}"}).status_code != 401
    with pytest.raises(SystemExit, match="loopback"):
        main(Settings(index_dir=small_index), http=True, host="0.0.0.0")


# ---------------------------------------------------------------- OpenAI-compatible chat


def test_reply_format_and_auth_checker() -> None:
    import base64

    from toolkit_assistant.openai_api import auth_checker, format_reply

    check = auth_checker([("judge", "s3cret"), ("clerk", "pw2")])
    assert check is not None and auth_checker(None) is None
    assert check("Bearer judge:s3cret") and check("Bearer pw2") and check("bearer clerk:pw2")
    assert check("Basic " + base64.b64encode(b"judge:s3cret").decode())
    for bad in (None, "", "Bearer", "Bearer judge:pw2", "Bearer nope", "Basic !!!", "Token judge:s3cret"):
        assert not check(bad), bad
    reply = format_reply({"answer": "A fact [1].", "citations": [
        {"n": 1, "title": "Doc", "section": "2", "section_title": "Gen AI", "page": 7, "quote": "A fact.",
         "source_url": "https://e.org"}], "notices": ["Partly covered."]})
    assert reply == ('A fact [1].\n\nSources:\n[1] Doc, §2 Gen AI, p. 7 <https://e.org>\n    "A fact."\n'
                     "Note: Partly covered.")


def test_openai_app_rejects_bad_requests_before_answering(assistant: Any) -> None:
    from starlette.testclient import TestClient

    from toolkit_assistant.openai_api import MAX_BODY_BYTES, openai_app

    with TestClient(openai_app(assistant, [("judge", "s3cret")], concurrency=1)) as client:
        headers = {"Authorization": f"Bearer {AUTH}"}
        assert client.get("/v1/models").status_code == 401
        assert client.post("/v1/chat/completions", content=b"{", headers=headers).status_code == 400
        assert client.post("/v1/chat/completions", json={"messages": "hi"}, headers=headers).status_code == 400
        assert client.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "x"}]},
                           headers=headers).status_code == 400
        big = {"messages": [{"role": "user", "content": "x" * (MAX_BODY_BYTES + 1)}]}
        assert client.post("/v1/chat/completions", json=big, headers=headers).status_code == 413
        ok = client.post("/v1/chat/completions", headers=headers, json={
            "messages": [{"role": "user", "content": [{"type": "text", "text": ANSWERED_Q}]}],
            "toolkit": {"doc_ids": ["court-rules"]}})
        assert ok.status_code == 200
        assert {c["doc_id"] for c in ok.json()["toolkit_answer"]["citations"]} <= {"court-rules"}


def _serve(small_index: Path, tmp: Path, **env: str) -> tuple[Any, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "toolkit_assistant", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return running_server(cmd, f"http://127.0.0.1:{port}/", timeout_s=120,
                          env=child_env(small_index, tmp, **env)), f"http://127.0.0.1:{port}/v1"


@pytest.fixture(scope="module")
def serve_open(small_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ctx, url = _serve(small_index, tmp_path_factory.mktemp("serve-open"))
    with ctx:
        yield url


@pytest.fixture(scope="module")
def serve_auth(small_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ctx, url = _serve(small_index, tmp_path_factory.mktemp("serve-auth"), TOOLKIT_AUTH=AUTH)
    with ctx:
        yield url


def _client(url: str, key: str = "not-needed") -> Any:
    from openai import OpenAI

    return OpenAI(base_url=url, api_key=key, max_retries=0, timeout=60)


def test_openai_client_lists_the_model_and_gets_a_cited_answer(serve_open: str) -> None:
    client = _client(serve_open)
    assert [m.id for m in client.models.list().data] == ["toolkit-assistant"]
    resp = client.chat.completions.create(model="toolkit-assistant",
                                          messages=[{"role": "system", "content": "Be brief."},
                                                    {"role": "user", "content": ANSWERED_Q}])
    content = resp.choices[0].message.content
    assert resp.model == "toolkit-assistant" and resp.choices[0].finish_reason == "stop"
    assert content.startswith("The Survey X found that 44%") and "[1]" in content
    assert "\nSources:\n[1] Survey X on judges and AI, §1 Results" in content
    extra = resp.model_extra["toolkit_answer"]  # the documented extra field: the full Answer JSON
    assert extra["coverage"] == "answered" and extra["citations"][0]["quote"] in content


def test_openai_client_streams_the_verified_answer(serve_open: str) -> None:
    client = _client(serve_open)
    stream = client.chat.completions.create(model="toolkit-assistant", stream=True,
                                            messages=[{"role": "user", "content": ANSWERED_Q}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert len(chunks) >= 3 and chunks[-1].choices[0].finish_reason == "stop"
    assert "44%" in text and "Sources:" in text
    assert chunks[-1].model_extra["toolkit_answer"]["coverage"] == "answered"


PARTIAL_Q = "What budget did the Survey X have?"


def test_openai_declines_and_partial_answers_come_back_as_such(serve_open: str) -> None:
    import openai

    client = _client(serve_open)
    resp = client.chat.completions.create(model="toolkit-assistant",
                                          messages=[{"role": "user", "content": OFF_TOPIC_Q}])
    extra = resp.model_extra["toolkit_answer"]
    assert extra["coverage"] == "none" and extra["abstained"] and not extra["citations"]
    assert "do not cover" in resp.choices[0].message.content and "Sources:" not in resp.choices[0].message.content
    part = client.chat.completions.create(model="toolkit-assistant",
                                          messages=[{"role": "user", "content": PARTIAL_Q}])
    extra = part.model_extra["toolkit_answer"]
    assert extra["coverage"] == "partial" and extra["missing"] == ["budget"]
    assert part.choices[0].message.content.startswith(extra["answer"])  # says what is not covered, first
    assert "do not say anything about" in extra["answer"]
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="toolkit-assistant", messages=[{"role": "user", "content": "  "}])
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": ANSWERED_Q}])


def test_openai_client_needs_the_login_when_auth_is_set(serve_auth: str) -> None:
    import httpx
    import openai

    for key in ("not-needed", "judge:wrong"):
        with pytest.raises(openai.AuthenticationError):
            _client(serve_auth, key).models.list()
        with pytest.raises(openai.AuthenticationError):
            _client(serve_auth, key).chat.completions.create(
                model="toolkit-assistant", messages=[{"role": "user", "content": ANSWERED_Q}])
    client = _client(serve_auth, AUTH)  # the API key is sent as "Bearer judge:s3cret"
    assert [m.id for m in client.models.list().data] == ["toolkit-assistant"]
    resp = client.chat.completions.create(model="toolkit-assistant",
                                          messages=[{"role": "user", "content": ANSWERED_Q}])
    assert "44%" in resp.choices[0].message.content
    stream = client.chat.completions.create(model="toolkit-assistant", stream=True,
                                            messages=[{"role": "user", "content": ANSWERED_Q}])
    assert "44%" in "".join(c.choices[0].delta.content or "" for c in stream)
    basic = httpx.get(serve_auth + "/models", auth=("judge", "s3cret"), timeout=30)
    assert basic.status_code == 200 and basic.json()["data"][0]["id"] == "toolkit-assistant"
    assert httpx.get(serve_auth.removesuffix("/v1") + "/config", timeout=30).status_code in (401, 403)


def test_the_readme_langchain_example_runs(small_index: Path, tmp_path: Path) -> None:
    import re
    import subprocess

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use it from other tools", 1)[1].split("### LangChain", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)  # type: ignore[union-attr]
    proc = subprocess.run([sys.executable, "-c", code], env=child_env(small_index, tmp_path), cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "passages retrieved" in proc.stdout and "court-rules:" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1].endswith("'none']")  # the World Cup question is declined
