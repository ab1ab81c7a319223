"""The app under load, on a Chroma server with two app processes, and with no network at all."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from toolkit_assistant.config import REPO_ROOT
from tests.conftest import write_doc
from tests.test_reliability import chroma_server  # noqa: F401 - fixture
from tests.test_ui import start_app, stop_app

pytestmark = pytest.mark.slow
ARTIFACTS = REPO_ROOT / "test-artifacts"

# (question, a word its answer must contain): distinct answers, so a mix-up shows
QUESTIONS = [
    ("What share of judges use ChatGPT or similar tools for work?", "44%"),
    ("What did the court decide in State v. Loomis?", "Loomis"),
    ("What happened in Mata v. Avianca?", "Avianca"),
    ("How many modules does the MOOC on AI and the Rule of Law have?", "six"),
    ("What are the four core values of the Recommendation on the Ethics of AI?", "dignity"),
    ("What is VICTOR at Brazil's Supreme Federal Court?", "VICTOR"),
    ("When was the Recommendation on the Ethics of AI adopted?", "2021"),
    ("What is the CEPEJ European Ethical Charter?", "CEPEJ"),
    ("Who is the author of UNESCO's Guidelines for AI in courts?", "Gutiérrez"),
    ("What is a hallucination in generative AI?", "hallucination"),
]


@pytest.fixture(scope="module")
def app(corpus_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("load-app")
    shutil.copytree(corpus_index_dir, base / "index")
    proc, url = start_app(base / "index", base, extra_env={"TOOLKIT_CONCURRENCY_LIMIT": "4", "TOOLKIT_MAX_QUEUE": "200"})
    try:
        yield url
    finally:
        stop_app(proc)


def test_200_questions_from_20_concurrent_clients(app: str) -> None:
    from gradio_client import Client

    def worker(w: int) -> list[tuple[str, str, dict | None, float, str]]:
        client = Client(app, verbose=False)
        out = []
        for i in range(10):
            q, must = QUESTIONS[(w + i) % len(QUESTIONS)]
            started = time.perf_counter()
            try:
                ans = client.predict(q, api_name="/ask")
                err = ""
            except Exception as exc:  # noqa: BLE001 - recorded and asserted below
                ans, err = None, f"{type(exc).__name__}: {exc}"
            out.append((q, must, ans, time.perf_counter() - started, err))
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=20) as pool:
        futures = [pool.submit(worker, w) for w in range(20)]
        results = [r for f in futures for r in f.result(timeout=600)]
    wall = time.perf_counter() - started
    assert len(results) == 200
    errors = [r[4] for r in results if r[4]]
    assert not errors, errors[:3]
    for q, must, ans, _, _ in results:
        assert ans is not None and ans["question"] == q, "an answer came back for another question"
        assert not ans["abstained"] and must.lower() in ans["answer"].lower(), (q, ans["answer"][:200])
    lat = sorted(r[3] * 1000 for r in results)
    report = {"questions": 200, "clients": 20, "concurrency_limit": 4, "wall_s": round(wall, 1),
              "latency_ms": {"p50": round(statistics.median(lat), 1), "p95": round(lat[int(0.95 * len(lat)) - 1], 1)},
              "throughput_qps": round(200 / wall, 1)}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(report, indent=2))
    print(f"\nload: {report}")


def test_two_app_processes_on_a_chroma_server_see_each_new_ingest(chroma_server: str, small_corpus: Path, tmp_path: Path) -> None:  # noqa: F811
    from gradio_client import Client

    exe = str(Path(sys.executable).parent / "toolkit-assistant")
    env = {**os.environ, "TOOLKIT_CHROMA_URL": chroma_server, "TOOLKIT_INDEX_DIR": str(tmp_path / "state")}
    subprocess.run([exe, "ingest", str(small_corpus)], env=env, check=True, capture_output=True, timeout=300)
    apps = [start_app(tmp_path / f"state-{i}", tmp_path, extra_env={"TOOLKIT_CHROMA_URL": chroma_server}) for i in range(2)]
    try:
        clients = [Client(url, verbose=False) for _, url in apps]
        question = "What does the Registry Memo require courts to publish?"
        for c in clients:
            assert "44%" in c.predict("What share of judges use chatbots for work?", api_name="/ask")["answer"]
            assert c.predict(question, api_name="/ask")["abstained"] is True
        extra = tmp_path / "extra"
        write_doc(extra, "registry-memo", {"1. Registers": "The Registry Memo requires every court to publish a register of its AI tools each year."})
        subprocess.run([exe, "ingest", str(extra)], env=env, check=True, capture_output=True, timeout=300)
        time.sleep(0.6)
        for c in clients:
            got = c.predict(question, api_name="/ask")
            assert not got["abstained"] and any(x["doc_id"] == "registry-memo" for x in got["citations"])
    finally:
        for proc, _ in apps:
            stop_app(proc)


@pytest.mark.skipif(shutil.which("unshare") is None or shutil.which("ip") is None or os.geteuid() != 0,
                    reason="needs root, unshare and ip for a network namespace")
def test_the_app_works_in_a_namespace_with_no_network(corpus_index_dir: Path, tmp_path: Path) -> None:
    """Inside a fresh network namespace only loopback exists: the app starts and answers there."""
    shutil.copytree(corpus_index_dir, tmp_path / "index")
    script = REPO_ROOT / "tests" / "netns_app_check.py"
    proc = subprocess.run(
        ["unshare", "-n", "sh", "-c", f"ip link set lo up && {sys.executable} {script} {tmp_path / 'index'} {tmp_path}"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "ANSWERED 44%" in proc.stdout
