"""Plain frozen dataclasses exchanged between pipeline stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from toolkit_assistant.sourcetags import SourceRef, decode, refs_in

# kinds of document that say what a judge or a court may do ("May a judge ...?" is answered from them first)
NORMATIVE_KINDS = frozenset({"guidelines", "recommendation", "standard"})
# statuses of a court's own official texts (final or draft), cited before a study summary of them
OFFICIAL_STATUSES = frozenset({"final", "draft", "original"})


@dataclass(frozen=True)
class Chunk:
    """A passage of a document, the unit that is indexed, retrieved and cited."""

    id: str
    doc_id: str
    text: str
    title: str
    section: str
    section_title: str
    page: int | None = None
    page_label: str = ""  # the page number printed on the page ("xii", "12"); page is the PDF's page index
    role: str = ""  # "" for body text, "footnote" for a PDF footnote (linked to its page)
    kind: str = ""
    year: str = ""
    status: str = ""
    language: str = "en"
    source_url: str = ""
    source_path: str = ""
    # the corpus's source tags of the chunk's sentences, JSON (see sourcetags.encode); never in `text`
    source_refs: str = ""

    def metadata(self) -> dict[str, str | int]:
        """Chunk fields as a flat metadata dict (no None values, as Chroma requires)."""
        out: dict[str, str | int] = {}
        for key, value in asdict(self).items():
            if key in ("id", "text"):
                continue
            out[key] = -1 if value is None else value
        return out

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
        """Rebuild a chunk from its id, text and flat metadata."""
        page = meta.get("page", -1)
        return cls(
            id=chunk_id,
            text=text,
            doc_id=str(meta.get("doc_id", "")),
            title=str(meta.get("title", "")),
            section=str(meta.get("section", "")),
            section_title=str(meta.get("section_title", "")),
            page=None if page in (-1, None) else int(page),
            page_label=str(meta.get("page_label", "")),
            role=str(meta.get("role", "")),
            kind=str(meta.get("kind", "")),
            year=str(meta.get("year", "")),
            status=str(meta.get("status", "")),
            language=str(meta.get("language", "en")),
            source_url=str(meta.get("source_url", "")),
            source_path=str(meta.get("source_path", "")),
            source_refs=str(meta.get("source_refs", "")),
        )


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and the scores behind it."""

    chunk: Chunk
    score: float
    dense: float | None = None
    lexical: float | None = None
    rank: int = 0


@dataclass(frozen=True)
class Citation:
    """One numbered citation: the chunk it points to and the exact text it rests on."""

    n: int
    chunk: Chunk
    quote: str
    score: float

    def sources(self) -> list[SourceRef]:
        """The public sources the quoted sentences rest on (the corpus's tags, resolved)."""
        start = self.chunk.text.find(self.quote)
        if start < 0 or not self.chunk.source_refs:
            return []
        return refs_in(decode(self.chunk.source_refs), start, start + len(self.quote))

    @property
    def source_url(self) -> str:
        """The link of this passage: the first source of its own sentence, else the document's URL."""
        return next((s.url for s in self.sources() if s.url), self.chunk.source_url)

    def to_dict(self) -> dict[str, Any]:
        """The citation in the Answer JSON shape."""
        return {
            "n": self.n,
            "doc_id": self.chunk.doc_id,
            "title": self.chunk.title,
            "section": self.chunk.section,
            "section_title": self.chunk.section_title,
            "page": self.chunk.page,
            "page_label": self.chunk.page_label,
            "year": self.chunk.year,
            "status": self.chunk.status,
            "kind": self.chunk.kind,
            "source_url": self.source_url,
            "document_url": self.chunk.source_url,
            "sources": [s.to_dict() for s in self.sources()],
            "chunk_id": self.chunk.id,
            "quote": self.quote,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class SentenceCheck:
    """The verifier's verdict on one answer sentence."""

    text: str
    citations: tuple[int, ...]
    supported: bool
    reason: str = ""
    similarity: float = 0.0
    overlap: float = 0.0


@dataclass(frozen=True)
class Verification:
    """What the verifier saw: sentences checked, supported, removed."""

    sentences: int
    supported: int
    removed: int
    checks: tuple[SentenceCheck, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The verification block of the Answer JSON."""
        return {
            "sentences": self.sentences,
            "supported": self.supported,
            "removed": self.removed,
            "removed_sentences": [
                {"text": c.text, "reason": c.reason} for c in self.checks if not c.supported
            ],
        }


@dataclass(frozen=True)
class Draft:
    """An answer before verification: text with [n] markers and the citations they point to."""

    text: str
    citations: tuple[Citation, ...]
    backend: str
    abstained: bool = False
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    """The final answer handed to users: verified text, citations, timings."""

    question: str
    text: str
    abstained: bool
    backend: str
    citations: tuple[Citation, ...]
    verification: Verification
    timings_ms: dict[str, float] = field(default_factory=dict)
    notices: tuple[str, ...] = ()
    nearest_topics: tuple[str, ...] = ()
    language: str = "en"
    relevance: float = 0.0
    # answered: a passage states what was asked; partial: the materials speak of the subject but not of
    # what was asked (`missing` names it); none: nothing relevant (abstained)
    coverage: str = ""
    missing: tuple[str, ...] = ()
    explain: dict[str, Any] | None = None

    @property
    def outcome(self) -> str:
        """answered | partial | none."""
        return self.coverage or ("none" if self.abstained else "answered")

    def to_dict(self) -> dict[str, Any]:
        """The Answer JSON of DESIGN.md (plus notices, nearest topics and language)."""
        out = {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "coverage": self.outcome,
            "missing": list(self.missing),
            "backend": self.backend,
            "citations": [c.to_dict() for c in self.citations],
            "verification": self.verification.to_dict(),
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "notices": list(self.notices),
            "nearest_topics": list(self.nearest_topics),
            "language": self.language,
            "relevance": round(self.relevance, 4),
        }
        if self.explain is not None:
            out["explain"] = self.explain
        return out
