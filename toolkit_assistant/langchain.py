"""LangChain adapters: a retriever over our hybrid index and a Runnable that answers with citations.

    from toolkit_assistant.langchain import ToolkitRetriever, ToolkitAnswerer

`ToolkitRetriever` is a `langchain_core` BaseRetriever: `invoke(query)` gives `Document`s whose page_content is the
chunk text and whose metadata holds chunk_id, doc_id, title, section, section_title, page, status, source_url and
score. `ToolkitAnswerer` is a Runnable: `invoke("question")` or `invoke({"question": ..., "doc_ids": [...],
"kinds": [...]})` gives the Answer JSON as a dict (verified text with [n] markers, citations, coverage).
Both take an `Assistant`; `from_settings()` builds one as the CLI does.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableConfig, RunnableSerializable
from pydantic import ConfigDict

from toolkit_assistant.adapters import hit_metadata, make_filters
from toolkit_assistant.intake import validate_question

__all__ = ["ToolkitAnswerer", "ToolkitRetriever", "hit_metadata", "make_filters"]


def _assistant_from_settings(**overrides: Any) -> Any:
    from toolkit_assistant.config import apply_offline_env, load_settings
    from toolkit_assistant.pipeline import Assistant

    settings = load_settings(**overrides)
    apply_offline_env(settings.state_dir)
    return Assistant.from_settings(settings)


class ToolkitRetriever(BaseRetriever):
    """Hybrid (dense + BM25) retrieval over the toolkit index, as LangChain Documents."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any
    k: int = 8
    doc_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, **kwargs: Any) -> ToolkitRetriever:
        """A retriever over the index the TOOLKIT_* settings name."""
        return cls(assistant=_assistant_from_settings(), **kwargs)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        q = validate_question(query, self.assistant.max_question_chars)
        hits, _ = self.assistant.retrieve(q, k=self.k, filters=make_filters(self.doc_ids, self.kinds))
        return [Document(page_content=h.chunk.text, metadata=hit_metadata(h), id=h.chunk.id) for h in hits]


class ToolkitAnswerer(RunnableSerializable[Any, dict[str, Any]]):
    """question (str, or a dict with "question" and optional "doc_ids"/"kinds") -> the Answer JSON (dict)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any
    k: int | None = None
    doc_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, **kwargs: Any) -> ToolkitAnswerer:
        """An answerer over the index the TOOLKIT_* settings name."""
        return cls(assistant=_assistant_from_settings(), **kwargs)

    def _answer(self, value: Any) -> dict[str, Any]:
        doc_ids: Any = self.doc_ids
        kinds: Any = self.kinds
        if isinstance(value, dict):
            question = value.get("question", value.get("input", value.get("query")))
            doc_ids = value.get("doc_ids", doc_ids)
            kinds = value.get("kinds", kinds)
        elif hasattr(value, "to_string"):  # a PromptValue
            question = value.to_string()
        elif hasattr(value, "content"):  # a message
            question = value.content
        else:
            question = value
        if not isinstance(question, str):
            raise TypeError('ToolkitAnswerer takes a question: a str or {"question": str}')
        answer = self.assistant.ask(question, k=self.k, filters=make_filters(doc_ids, kinds))
        return dict(answer.to_dict())

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> dict[str, Any]:
        """Answer one question (see the class docstring for the input)."""
        return self._call_with_config(self._answer, input, config, run_type="chain")
