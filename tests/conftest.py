"""Shared fixtures: every test gets its own index folder; a corpus index is built once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from toolkit_assistant.config import OFFLINE_ENV, REPO_ROOT, Settings, load_settings

for _k, _v in OFFLINE_ENV.items():
    os.environ.setdefault(_k, _v)

CORPUS = REPO_ROOT / "corpus"


@pytest.fixture(autouse=True)
def _isolated_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the index at tmp_path so no test touches the repo's .toolkit/ folder."""
    monkeypatch.setenv("TOOLKIT_INDEX_DIR", str(tmp_path / "index"))
    # tests build many small indexes: one English (MiniLM) index each, unless a test asks for the default
    # two-index setup (TOOLKIT_EMBEDDING=auto); the shared corpus index below is built the default way
    monkeypatch.setenv("TOOLKIT_EMBEDDING", "minilm")
    monkeypatch.delenv("TOOLKIT_CHROMA_URL", raising=False)
    monkeypatch.delenv("TOOLKIT_BACKEND", raising=False)
    monkeypatch.delenv("TOOLKIT_AUTH", raising=False)
    monkeypatch.delenv("TOOLKIT_QUERY_LOG", raising=False)


@pytest.fixture(scope="session")
def corpus_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the real corpus/, built once per test session the default way (TOOLKIT_EMBEDDING=auto:
    the MiniLM index for English questions and the e5 index beside it for other languages)."""
    from toolkit_assistant.wiring import ingest_with

    index_dir = tmp_path_factory.mktemp("corpus-index") / "index"
    ingest_with(Settings(index_dir=index_dir, embedding="auto"), [CORPUS])
    return index_dir


@pytest.fixture
def corpus_settings(corpus_index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings pointing at the shared corpus index (read-only use)."""
    monkeypatch.setenv("TOOLKIT_INDEX_DIR", str(corpus_index_dir))
    monkeypatch.setenv("TOOLKIT_EMBEDDING", "auto")
    return load_settings()


@pytest.fixture(scope="session")
def corpus_assistant(corpus_index_dir: Path):  # type: ignore[no-untyped-def]
    """One Assistant over the corpus index, shared by the tests of a session."""
    from toolkit_assistant.pipeline import Assistant

    return Assistant.from_settings(Settings(index_dir=corpus_index_dir, embedding="auto"))


def repo_pythonpath(env: dict[str, str] | None = None) -> str:
    """PYTHONPATH for a child process: this checkout first, then whatever the parent had."""
    inherited = (os.environ if env is None else env).get("PYTHONPATH", "")
    return os.pathsep.join(p for p in (str(REPO_ROOT), inherited) if p)


def write_doc(folder: Path, doc_id: str, sections: dict[str, str], **meta: str) -> Path:
    """Write a small corpus-format Markdown document and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    front = {
        "id": doc_id, "title": meta.get("title", doc_id.replace("-", " ").title()), "publisher": "Test",
        "year": meta.get("year", "2024"), "status": meta.get("status", "final"), "kind": meta.get("kind", "guidelines"),
        "language": "en", "source_url": meta.get("source_url", f"https://example.org/{doc_id}"),
        "note": "Written for a test.",
    }
    lines = ["---", *(f"{k}: {v}" for k, v in front.items()), "---", "", f"# {front['title']}", ""]
    for heading, body in sections.items():
        lines += [f"## {heading}", "", body, ""]
    path = folder / f"{doc_id}.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_small_corpus(folder: Path) -> Path:
    """Three small documents about court AI, written for tests, in `folder`."""
    write_doc(folder, "court-rules", {
        "1. Human oversight": (
            "The Court Rules say that AI systems may assist judges but must never replace their judgment. "
            "A judge remains responsible for every decision, even when an AI tool drafted part of it."
        ),
        "2. Generative AI": (
            "The Court Rules ask judges to check every citation produced by a chatbot before relying on it. "
            "In 2023 the Rules recorded 17 cases of invented citations filed by lawyers."
        ),
    }, title="Court Rules on AI")
    write_doc(folder, "survey-x", {
        "1. Results": (
            "The Survey X found that 44% of responding judges use chatbots for work. "
            "Only 9% of those judges had received any training on AI."
        ),
        "2. Method": "The Survey X was carried out online in 2023 among 1,200 judicial operators in 90 countries.",
    }, title="Survey X on judges and AI", kind="survey")
    write_doc(folder, "values", {
        "1. Four values": (
            "The Charter names four values:\n\n- Human dignity comes first.\n- Fairness protects every party.\n"
            "- Transparency lets people see how a system works.\n- Accountability assigns responsibility to people."
        ),
    }, title="Charter of Values", kind="recommendation")
    return folder


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Three small documents about court AI, written for tests."""
    return write_small_corpus(tmp_path / "corpus")


@contextmanager
def running_server(cmd: list[str], health_url: str, *, timeout_s: float = 90, env: dict[str, str] | None = None) -> Iterator[None]:
    """Start a server process, wait (bounded) until `health_url` answers, and always stop it."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(health_url, timeout=2):
                    break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"{cmd[0]} exited with {proc.returncode} before answering")
                time.sleep(0.3)
        else:
            pytest.fail(f"{' '.join(cmd[:3])} did not answer {health_url} within {timeout_s:.0f} s")
        yield
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """Terminate a server process; kill it when it does not stop within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def fresh_dir(tmp_path: Path) -> Iterator[Path]:
    """An empty folder, removed afterwards."""
    d = tmp_path / "fresh"
    d.mkdir()
    yield d
    shutil.rmtree(d, ignore_errors=True)
