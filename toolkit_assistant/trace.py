"""What each stage of an answer saw, for `ask --explain` and the Evaluate tab."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkit_assistant.coverage import Decision


def explain_trace(hits: list[Any], cands: list[Any], chosen: list[Any], decision: Decision | None,
                  premise: Any = None, english_words: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """What each stage saw, for `ask --explain` and the Evaluate tab: the hits, the sentences considered
    (the 12 best), the decision with its evidence, a contradicted premise (premise.py) when there is one, and
    for a question in another language the English words its glossary found (gloss.py)."""
    ranked = sorted(cands, key=lambda c: -c.score)[:12]
    out: dict[str, Any] = {
        "hits": [
            {"rank": h.rank, "chunk_id": h.chunk.id, "fused": round(h.score, 5),
             "dense": None if h.dense is None else round(h.dense, 4),
             "bm25": None if h.lexical is None else round(h.lexical, 4),
             "section": f"{h.chunk.section} {h.chunk.section_title}".strip()}
            for h in hits
        ],
        "sentences": [
            {"chunk_id": c.chunk.id, "text": c.span.text, "score": round(c.score, 4),
             "similarity": round(c.sim, 4), "chosen": any(c is x for x in chosen)}
            for c in ranked
        ],
        "decision": None if decision is None else {
            "coverage": decision.coverage, "reason": decision.reason, "evidence": decision.evidence.to_dict(),
        },
    }
    if english_words:
        out["english_words"] = list(english_words)
    if premise is not None:
        out["premise"] = {"stated": premise.stated.surface, "found": premise.found,
                          "chunk_id": premise.sentence.chunk.id, "sentence": premise.sentence.span.text}
    return out
