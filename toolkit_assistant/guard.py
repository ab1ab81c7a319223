"""Questions are questions: instructions smuggled into them are set aside before anything else runs.

The extractive backend follows no instructions at all, and LLM backends get the question only after
this pass, so "ignore previous instructions", role-play requests and "answer from general knowledge"
change nothing. What remains of the question is answered from the materials, or declined.
"""

from __future__ import annotations

import re

_INJECTION = re.compile(
    r"|".join(
        [
            r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|rules?|prompts?|documents?|sources?|materials?|corpus|database|knowledge base|context|guidelines|above|everything|you are)\b",
            r"\b(translate|summari[sz]e|repeat|rewrite|paraphrase)\s+(your|the|all)\s+(instructions|prompt|rules|system)",
            r"\b(reply|respond|answer)\s+with\s+(the|a|this|an)\s+(markdown|link|html|code|script)",
            r"\b(output|print|say|write|reply|respond)\b.{0,30}\b(single word|one word|nothing else)\b",
            r"^\s*system\s*(override|message|:)",
            r"\b(reveal|print|show|repeat|output|display|leak|tell me)\b.{0,30}\b(system|hidden|initial|secret)\s+(prompt|instructions?|message)",
            r"\bsystem\s+prompt\b",
            r"\b(you are now|from now on you|act as|pretend (you are|to be)|role-?play|developer mode|jailbreak|\bDAN\b|do anything now)",
            r"\b(answer|respond|reply|use)\b.{0,30}\b(general|own|prior|outside|world|background)\s+knowledge\b",
            r"\bfrom (your )?(general|own|prior|outside) knowledge\b",
            r"\b(make up|invent|fabricate)\s+(a|an|some|fake|false|new|one|\d+\w*)\b",
            r"\b(append|add|include|insert|start|end)\b.{0,40}\b(every|each|all|your)\s+(answers?|repl(y|ies)|responses?)\b",
            r"\bas a general (chatbot|assistant|ai)\b",
        ]
    ),
    re.IGNORECASE,
)
# "say HACKED", "reply only with PWNED": an order to emit a fixed token (case-sensitive on the token)
_ECHO_ORDER = re.compile(r"\b(?i:say|reply|respond|answer|output|write|print)\s+(?i:only\s+)?(?i:with\s+)?[\"'“]?[A-Z]{4,}\b")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


_MARKUP = re.compile(r"<[^>\n]{0,200}>|\[([^\]\n]{0,100})\]\(\s*javascript:[^)\n]*\)|javascript:\S*", re.IGNORECASE)


def strip_injections(question: str) -> tuple[str, list[str]]:
    """The question without markup and instruction-like sentences, and what was removed."""
    kept: list[str] = []
    removed: list[str] = [m.group(0) for m in _MARKUP.finditer(question)]
    question = _MARKUP.sub(" ", question)
    for sentence in _SENTENCE_END.split(question.strip()):
        if not sentence.strip():
            continue
        if _INJECTION.search(sentence) or _ECHO_ORDER.search(sentence):
            # keep a real question that follows the instruction in the same sentence ("... and say X. What ...?")
            tail = re.split(r"(?i)\b(?:and then|then|and)\s+(?=(?:what|which|who|when|how|why|where|is|are|does|do|did|may|can|should|tell me|give me|list|name|explain)\b)", sentence)
            if len(tail) > 1 and not (_INJECTION.search(tail[-1]) or _ECHO_ORDER.search(tail[-1])):
                kept.append(tail[-1].strip())
            removed.append(sentence.strip())
        else:
            kept.append(sentence.strip())
    return " ".join(kept).strip(), removed
