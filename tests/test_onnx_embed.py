"""The ONNX MiniLM embedder gives sentence-transformers' vectors, and its query path loads no torch."""

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
    from toolkit_assistant import onnx_embed

    path = onnx_embed.find_onnx() or onnx_embed.export_in_subprocess()
    if path is None:
        pytest.fail("ONNX export failed: python -m toolkit_assistant.onnx_embed export")
    return path


def _corpus_texts() -> list[str]:
    """Every sentence of corpus/*.md, plus whole paragraphs (some past the 256-token limit)."""
    from toolkit_assistant.text import split_sentences

    texts: list[str] = []
    for p in sorted((REPO_ROOT / "corpus").glob("*.md")):
        body = p.read_text(encoding="utf-8")
        texts += [s.text for s in split_sentences(body) if s.text.strip()]
        paras = [b for b in body.split("\n\n") if len(b) > 400]
        texts += paras[:5]
        texts.append(body[:6000])  # far past 256 tokens: truncation must match
    return texts


def test_onnx_vectors_match_sentence_transformers_on_the_corpus(onnx_file: Path) -> None:
    from toolkit_assistant.embeddings import MiniLMEmbedder
    from toolkit_assistant.onnx_embed import OnnxMiniLMEmbedder

    texts = _corpus_texts()
    assert len(texts) > 1000
    onnx = OnnxMiniLMEmbedder(onnx_file)
    st = MiniLMEmbedder()
    assert onnx.name == st.name and onnx.dim == st.dim  # the index manifest matches either
    a = onnx.embed_documents(texts)
    b = st.embed_documents(texts)
    cos = (a * b).sum(1)
    assert float(cos.min()) >= 0.999, texts[int(cos.argmin())][:200]
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    q = "May a judge use ChatGPT to draft a judgment?"
    assert float(onnx.embed_query(q) @ st.embed_query(q)) >= 0.999


def test_query_path_with_onnx_file_imports_no_torch(onnx_file: Path) -> None:
    code = (
        "import json, sys\n"
        "import toolkit_assistant.embeddings as e\n"
        "emb = e.get_embedder('minilm')\n"
        "v = emb.embed_query('x')\n"
        "print(json.dumps({'cls': type(emb).__name__, 'dim': len(v), "
        "'heavy': [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]}))\n"
    )
    env = {**os.environ, "TOOLKIT_ONNX_DIR": str(onnx_file.parent), "PYTHONPATH": repo_pythonpath()}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"cls": "OnnxMiniLMEmbedder", "dim": 384, "heavy": []}


def test_without_the_onnx_file_sentence_transformers_is_used(tmp_path: Path) -> None:
    code = (
        "import toolkit_assistant.embeddings as e, toolkit_assistant.onnx_embed as o\n"
        "o.onnx_dirs = lambda: [__import__('pathlib').Path(r'%s')]\n"
        "print(type(e.get_embedder('minilm')).__name__)\n" % tmp_path
    )
    env = {**os.environ, "PYTHONPATH": repo_pythonpath()}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, check=True)
    assert out.stdout.strip().splitlines()[-1] == "MiniLMEmbedder"


def test_importing_embeddings_loads_no_torch() -> None:
    code = "import sys, toolkit_assistant.embeddings, toolkit_assistant.onnx_embed; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": repo_pythonpath()}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
    assert out.stdout.strip() == "False False"
