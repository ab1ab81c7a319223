"""Small shared pieces of the integrations (LangChain, MCP, OpenAI-compatible API): filters and hit fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from toolkit_assistant.retrieve import Filters
from toolkit_assistant.types import Hit


def make_filters(doc_ids: Sequence[str] | str | None = None, kinds: Sequence[str] | str | None = None) -> Filters:
    """Filters from lists (or comma-separated strings) of document ids and kinds."""

    def tup(v: Sequence[str] | str | None) -> tuple[str, ...]:
        if not v:
            return ()
        items = v.split(",") if isinstance(v, str) else [str(x) for x in v]
        return tuple(x.strip() for x in items if x and x.strip())

    return Filters(doc_ids=tup(doc_ids), kinds=tup(kinds))


def hit_metadata(hit: Hit) -> dict[str, Any]:
    """The citation fields of a hit, as LangChain Document metadata (and the MCP `search` result)."""
    c = hit.chunk
    return {
        "chunk_id": c.id, "doc_id": c.doc_id, "title": c.title, "section": c.section,
        "section_title": c.section_title, "page": c.page, "status": c.status, "source_url": c.source_url,
        "score": round(float(hit.score), 4),
    }
