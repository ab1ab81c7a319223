"""Faults injected into real indexes (issue #19): damaged files, a full disk, a Chroma server stopped and
restarted, the health endpoint and the bounded number of generations.

Each test works on its own copy of a small real index that holds two complete generations (the second adds
one document), so a damaged current generation has a previous complete one to fall back to. Commands run
through click's runner (in-process, the model loaded once) and, where a panic from Chroma's Rust code could
escape, as a real subprocess. The embedding model comes from TOOLKIT_EMBEDDING (minilm when unset).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import running_server, write_doc, write_small_corpus

from toolkit_assistant.config import REPO_ROOT, Settings

pytestmark = pytest.mark.integration

QUESTION = "What share of judges use chatbots for work?"
DAMAGED = "the index was damaged"
REBUILD = "toolkit-assistant ingest --rebuild"


def _embedding() -> str:
    return os.environ.get("TOOLKIT_EMBEDDING") or "minilm"


@pytest.fixture(scope="module")
def embedding() -> str:
    """The embedding model the tests build and read with."""
    return _embedding()


@pytest.fixture(scope="module")
def two_generations(tmp_path_factory: pytest.TempPathFactory, embedding: str) -> tuple[Path, Path]:
    """(index folder, corpus folder): a small real index with two complete generations."""
    from toolkit_assistant.wiring import ingest_with

    root = tmp_path_factory.mktemp("faults")
    corpus = write_small_corpus(root / "corpus")
    settings = Settings(index_dir=root / "index", embedding=embedding)  # type: ignore[arg-type]
    ingest_with(settings, [corpus])
    write_doc(corpus, "clerks", {"1. Duties": "Court clerks keep the register of every hearing since 2019."},
              title="Clerks Note")
    ingest_with(settings, [corpus])
    return root / "index", corpus


@pytest.fixture
def index_copy(two_generations: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
               embedding: str) -> Path:
    """A private copy of the two-generation index, which the settings point at."""
    dest = tmp_path / "index"
    shutil.copytree(two_generations[0], dest)
    monkeypatch.setenv("TOOLKIT_INDEX_DIR", str(dest))
    monkeypatch.setenv("TOOLKIT_EMBEDDING", embedding)
    monkeypatch.setenv("TOOLKIT_ONNX_DIR", str(tmp_path / "onnx"))
    return dest


def current_gen(index_dir: Path) -> Path:
    """The folder of the generation CURRENT.json names."""
    gen = json.loads((index_dir / "CURRENT.json").read_text(encoding="utf-8"))["generation"]
    return index_dir / "gens" / gen


def run_cli(*args: str, input: str | None = None) -> Any:  # noqa: A002 - click's name
    """Invoke the CLI in-process; never let an exception escape silently."""
    from toolkit_assistant.cli import cli

    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def ask_json(*extra: str) -> tuple[int, dict[str, Any] | None, str]:
    """(exit code, Answer JSON or None, everything printed)."""
    result = run_cli("ask", QUESTION, "--json", *extra)
    data = json.loads(result.stdout) if result.exit_code == 0 else None
    return result.exit_code, data, result.output


def same_answer(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a["answer"] == b["answer"]
    assert [c["chunk_id"] for c in a["citations"]] == [c["chunk_id"] for c in b["citations"]]


@pytest.fixture
def good_answer(index_copy: Path) -> dict[str, Any]:
    """The answer of the undamaged copy, asked before any damage."""
    code, data, out = ask_json()
    assert code == 0, out
    assert data is not None and not data["abstained"]
    assert not any(DAMAGED in n.lower() for n in data["notices"])
    return data


def truncate(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def garble_sqlite(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    for i in range(4096, len(raw), 4096):
        raw[i + 100 : i + 400] = b"\xff" * 300
    path.write_bytes(bytes(raw))


def damage(index_dir: Path, what: str) -> None:
    gen = current_gen(index_dir)
    if what == "chunks":
        truncate(gen / "chunks.jsonl")
    elif what == "sqlite":
        garble_sqlite(gen / "chroma" / "chroma.sqlite3")
    elif what == "current":
        (index_dir / "CURRENT.json").write_text('{"generation": "g2026', encoding="utf-8")
    else:
        raise AssertionError(what)


# ------------------------------------------------------------------ 1. damaged index files


@pytest.mark.parametrize("what", ["chunks", "sqlite", "current"])
def test_damaged_current_generation_falls_back_with_a_notice(index_copy: Path, good_answer: dict[str, Any],
                                                              what: str) -> None:
    damage(index_copy, what)
    code, data, out = ask_json()
    assert code == 0, out
    assert "Traceback" not in out
    assert data is not None
    notice = " ".join(data["notices"])
    assert DAMAGED in notice.lower() and "answering from the index of" in notice and REBUILD in notice
    same_answer(data, good_answer)
    text = run_cli("ask", QUESTION)
    assert text.exit_code == 0 and "Note: The index was damaged" in text.output and "Traceback" not in text.output
    listed = run_cli("sources")
    assert listed.exit_code == 0 and "Traceback" not in listed.output and "Note: The index was damaged" in listed.output


def test_malformed_sqlite_in_a_real_process_prints_no_traceback(index_copy: Path, good_answer: dict[str, Any]) -> None:
    damage(index_copy, "sqlite")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, "-m", "toolkit_assistant", "ask", QUESTION, "--json"],
                          capture_output=True, text=True, env=env, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "PanicException" not in proc.stderr
    data = json.loads(proc.stdout)
    assert any(DAMAGED in n.lower() for n in data["notices"])
    same_answer(data, good_answer)


def test_no_usable_generation_is_one_line_and_exit_1(index_copy: Path) -> None:
    for gen in (index_copy / "gens").iterdir():
        truncate(gen / "chunks.jsonl")
    result = run_cli("ask", QUESTION)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and REBUILD in lines[0] and "damaged" in lines[0]


def test_missing_bm25_is_rebuilt_and_reported(index_copy: Path, good_answer: dict[str, Any]) -> None:
    shutil.rmtree(current_gen(index_copy) / "bm25")
    code, data, out = ask_json()
    assert code == 0, out
    assert data is not None
    assert any("BM25 index is missing" in n and "rebuilt" in n for n in data["notices"])
    assert "clerks" in {d["doc_id"] for d in _sources()}  # still the current generation
    same_answer(data, good_answer)


def test_missing_sentence_vectors_are_reported_not_skipped(index_copy: Path, good_answer: dict[str, Any]) -> None:
    import chromadb

    from toolkit_assistant.store import chroma_settings

    gen = current_gen(index_copy)
    client = chromadb.PersistentClient(path=str(gen / "chroma"), settings=chroma_settings())
    col = client.get_collection("sentences", embedding_function=None)
    col.delete(ids=col.get(limit=3, include=[])["ids"])
    del client, col
    code, data, out = ask_json()
    assert code == 0, out
    assert data is not None and any(DAMAGED in n.lower() and "sentence" in n for n in data["notices"])
    same_answer(data, good_answer)
    checked = run_cli("check")
    assert checked.exit_code == 1 and "sentence vectors" in checked.output and REBUILD in checked.output


def test_rebuild_repairs_a_damaged_index(index_copy: Path, two_generations: tuple[Path, Path],
                                         good_answer: dict[str, Any]) -> None:
    damage(index_copy, "chunks")
    result = run_cli("ingest", "--rebuild", str(two_generations[1]))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    code, data, out = ask_json()
    assert code == 0 and data is not None, out
    assert not any(DAMAGED in n.lower() for n in data["notices"])
    same_answer(data, good_answer)
    assert run_cli("check").exit_code == 0


def _sources() -> list[dict[str, Any]]:
    result = run_cli("sources", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["documents"]


# ------------------------------------------------------------------ 2. check


def test_check_passes_on_a_whole_index(index_copy: Path) -> None:
    result = run_cli("check")
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "4 documents" in result.output


@pytest.mark.parametrize("what", ["chunks", "sqlite", "current"])
def test_check_names_the_damage_and_the_fix(index_copy: Path, what: str) -> None:
    damage(index_copy, what)
    result = run_cli("check")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "problem:" in result.output and f"Run: {REBUILD}" in result.output
    assert "previous complete index" in result.output


def test_check_names_a_model_mismatch(index_copy: Path, monkeypatch: pytest.MonkeyPatch, embedding: str) -> None:
    monkeypatch.setenv("TOOLKIT_EMBEDDING", "e5" if embedding == "minilm" else "minilm")
    result = run_cli("check")
    assert result.exit_code == 1
    assert "was built with" in result.output and "TOOLKIT_EMBEDDING" in result.output


def test_check_under_the_default_setting_checks_both_indexes(corpus_index_dir: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """TOOLKIT_EMBEDDING=auto: the English index against MiniLM, the one beside it against e5 (it once compared
    both with "auto" and failed on a whole index)."""
    main = tmp_path / "index"
    shutil.copytree(corpus_index_dir, main)
    shutil.copytree(corpus_index_dir.with_name(corpus_index_dir.name + "-multilingual"), tmp_path / "index-multilingual")
    monkeypatch.setenv("TOOLKIT_INDEX_DIR", str(main))
    monkeypatch.setenv("TOOLKIT_EMBEDDING", "auto")
    result = run_cli("check")
    assert result.exit_code == 0, result.output
    assert "all-MiniLM-L6-v2" in result.output and "multilingual-e5-small" in result.output
    assert "OK: the indexes are whole." in result.output
    damage(tmp_path / "index-multilingual", "chunks")
    result = run_cli("check", "--json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)
    assert not found["ok"] and [i["ok"] for i in found["indexes"]] == [True, False]
    assert found["indexes"][1]["index"].endswith("index-multilingual") and found["fix"] == REBUILD


def test_check_finds_a_bm25_index_with_the_wrong_count(index_copy: Path, two_generations: tuple[Path, Path]) -> None:
    gen = current_gen(index_copy)
    older = next(d for d in (index_copy / "gens").iterdir() if d != gen)
    shutil.rmtree(gen / "bm25")
    shutil.copytree(older / "bm25", gen / "bm25")  # an index of 5 chunks beside 6: checksums catch it too
    result = run_cli("check")
    assert result.exit_code == 1 and "bm25/" in result.output


# ------------------------------------------------------------------ 3. full disk


def _mount_tmpfs(path: Path, size: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")


def test_full_disk_keeps_the_previous_index_and_removes_the_partial_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedding: str
) -> None:
    small = tmp_path / "small"
    _mount_tmpfs(small, "1m")  # one generation of three documents fits; a second one does not
    try:
        index = small / "index"
        monkeypatch.setenv("TOOLKIT_INDEX_DIR", str(index))
        monkeypatch.setenv("TOOLKIT_EMBEDDING", embedding)
        monkeypatch.setenv("TOOLKIT_ONNX_DIR", str(tmp_path / "onnx"))
        corpus = write_small_corpus(tmp_path / "corpus")
        first = run_cli("ingest", str(corpus))
        assert first.exit_code == 0, first.output
        _, before, _ = ask_json()
        assert before is not None
        gens_before = sorted(p.name for p in (index / "gens").iterdir())
        write_doc(corpus, "clerks", {"1. Duties": "Court clerks keep the register of every hearing since 2019. " * 40})
        result = run_cli("ingest", str(corpus))
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1
        assert f"Not enough disk space in {index}" in errors[0] and "MB" in errors[0]
        assert sorted(p.name for p in (index / "gens").iterdir()) == gens_before  # the partial one is gone
        code, after, out = ask_json()
        assert code == 0 and after is not None, out
        same_answer(after, before)
        assert not after["notices"] or not any(DAMAGED in n.lower() for n in after["notices"])
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)


# ------------------------------------------------------------------ 6. bounded disk


def test_old_generations_are_removed_after_an_ingest(index_copy: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    extra = tmp_path / "extra"
    assert len(list((index_copy / "gens").iterdir())) == 2
    write_doc(extra, "third", {"1. Note": "A third note on registrars in 2021."})
    result = run_cli("ingest", str(extra))
    assert result.exit_code == 0, result.output
    assert "Removed 1 old index generation(s) (keeping the newest 2" in result.output
    assert len(list((index_copy / "gens").iterdir())) == 2
    monkeypatch.setenv("TOOLKIT_KEEP_GENERATIONS", "1")
    write_doc(extra, "fourth", {"1. Note": "A fourth note on ushers in 2022."})
    result = run_cli("ingest", "--json", str(extra))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["removed_generations"]) == 2 and report["keep_generations"] == 1  # both older ones
    assert [p.name for p in (index_copy / "gens").iterdir()] == [report["generation"]]
    assert report["documents"] == 6


# ------------------------------------------------------------------ 5. health


def test_healthz_reports_ok_then_503_when_the_index_is_damaged(index_copy: Path) -> None:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from toolkit_assistant.health import health_routes
    from toolkit_assistant.pipeline import Assistant

    assistant = Assistant.from_settings(Settings())
    with TestClient(Starlette(routes=health_routes(assistant))) as client:
        ok = client.get("/healthz")
        assert ok.status_code == 200
        body = ok.json()
        assert body["status"] == "ok" and body["documents"] == 4 and body["generation"] == current_gen(index_copy).name
        assert body["embedding"] == assistant.embedder.name
        assert set(body) == {"status", "generation", "documents", "chunks", "embedding"}
        truncate(current_gen(index_copy) / "chunks.jsonl")
        bad = client.get("/healthz")
        assert bad.status_code == 503 and "damaged" in bad.json()["reason"]
        assert str(index_copy) not in bad.text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 30) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.slow
def test_healthz_on_the_running_app_needs_no_login(index_copy: Path, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TOOLKIT_AUTH": "judge:s3cret",
           "GRADIO_TEMP_DIR": str(tmp_path / "gradio")}
    cmd = [sys.executable, "-m", "toolkit_assistant", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with running_server(cmd, f"http://127.0.0.1:{port}/healthz", timeout_s=120, env=env):
        code, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert code == 200 and body["status"] == "ok" and body["documents"] == 4
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=10)
            raise AssertionError("the app's own routes should still want a login")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401


# ------------------------------------------------------------------ 4. Chroma server down and back


@pytest.mark.slow
def test_chroma_server_stopped_and_restarted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedding: str) -> None:
    from toolkit_assistant.app.actions import AppActions, error_text
    from toolkit_assistant.errors import IndexServerDown
    from toolkit_assistant.health import health
    from toolkit_assistant.pipeline import Assistant

    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [chroma, "run", "--path", str(tmp_path / "chroma-data"), "--host", "127.0.0.1", "--port", str(port)]
    heartbeat = f"{url}/api/v2/heartbeat"
    monkeypatch.setenv("TOOLKIT_CHROMA_URL", url)
    monkeypatch.setenv("TOOLKIT_EMBEDDING", embedding)
    monkeypatch.setenv("TOOLKIT_ONNX_DIR", str(tmp_path / "onnx"))
    corpus = write_small_corpus(tmp_path / "corpus")

    # ingest to a server that does not answer fails before it changes anything
    down = run_cli("ingest", str(corpus))
    assert down.exit_code == 1 and f"The index server at {url} does not answer" in down.output
    assert "Traceback" not in down.output

    with running_server(cmd, heartbeat):
        assert run_cli("ingest", str(corpus)).exit_code == 0
        settings = Settings()
        assistant = Assistant.from_settings(settings)
        actions = AppActions(assistant, settings)
        before = actions.ask(QUESTION).to_dict()
        assert health(assistant)[0] == 200
    # the server is stopped while the app runs
    started = time.monotonic()
    with pytest.raises(IndexServerDown) as caught:
        actions.ask(QUESTION)
    assert time.monotonic() - started < 15  # a short backoff, not a hang
    assert error_text(caught.value, "fr") == f"Le serveur d'index à l'adresse {url} ne répond pas. " + \
        "Réessayez dans un instant ; si le problème persiste, demandez à l'administrateur de le redémarrer."
    assert url in error_text(caught.value, "es") and "no responde" in error_text(caught.value, "es")
    code, body = health(assistant)
    assert code == 503 and body["reason"] == f"the index server at {url} does not answer"
    cli_down = run_cli("ask", QUESTION)
    assert cli_down.exit_code == 1 and f"The index server at {url} does not answer" in cli_down.output
    assert "Traceback" not in cli_down.output
    # back again (same data): the same objects answer again, without a restart
    with running_server(cmd, heartbeat):
        after = actions.ask(QUESTION).to_dict()
        same_answer(after, before)
        assert health(assistant)[0] == 200
        assert run_cli("check").exit_code == 0


def test_the_app_shows_the_damage_notice_and_health_says_degraded(index_copy: Path, good_answer: dict[str, Any]) -> None:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from toolkit_assistant.app.actions import AppActions
    from toolkit_assistant.app.render import render_sources
    from toolkit_assistant.health import health_routes
    from toolkit_assistant.pipeline import Assistant

    damage(index_copy, "chunks")
    settings = Settings()
    assistant = Assistant.from_settings(settings)
    answer = AppActions(assistant, settings).ask(QUESTION)
    assert any(DAMAGED in n.lower() for n in answer.notices)
    assert "The index was damaged" in render_sources(answer)
    same_answer(answer.to_dict(), good_answer)
    with TestClient(Starlette(routes=health_routes(assistant))) as client:
        got = client.get("/healthz")
        assert got.status_code == 200 and got.json()["status"] == "degraded"
        assert got.json()["documents"] == 3  # the previous generation, before the clerks note


@pytest.mark.slow
def test_damaged_generation_on_a_chroma_server_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          embedding: str) -> None:
    import chromadb

    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [chroma, "run", "--path", str(tmp_path / "chroma-data"), "--host", "127.0.0.1", "--port", str(port)]
    monkeypatch.setenv("TOOLKIT_CHROMA_URL", url)
    monkeypatch.setenv("TOOLKIT_EMBEDDING", embedding)
    monkeypatch.setenv("TOOLKIT_ONNX_DIR", str(tmp_path / "onnx"))
    corpus = write_small_corpus(tmp_path / "corpus")
    with running_server(cmd, f"{url}/api/v2/heartbeat"):
        assert run_cli("ingest", str(corpus)).exit_code == 0
        code, before, out = ask_json()
        assert code == 0 and before is not None, out
        extra = tmp_path / "extra"
        write_doc(extra, "clerks", {"1. Duties": "Court clerks keep the register of every hearing since 2019."})
        assert run_cli("ingest", str(extra)).exit_code == 0
        client = chromadb.HttpClient(host="127.0.0.1", port=port)
        current = client.get_collection("toolkit_meta", embedding_function=None).get(
            ids=["current"], include=["metadatas"])["metadatas"][0]["generation"]
        client.delete_collection(f"toolkit_{current}_sentences")
        code, after, out = ask_json()
        assert code == 0 and after is not None, out
        assert "Traceback" not in out
        assert any(DAMAGED in n.lower() for n in after["notices"])
        same_answer(after, before)
        checked = run_cli("check")
        assert checked.exit_code == 1 and REBUILD in checked.output
