"""The benchmark's questions: a JSONL or text file, else the gold set, else a built-in list."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from toolkit_assistant.bench import BenchError

# Used when evals/gold.jsonl is missing: questions about the corpus, with the sections that answer them.
BUILTIN_QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("What happened in Mata v. Avianca?", ("ai-court-cases:3", "ai-court-cases:4")),
    ("What did the court hold in State v. Loomis?", ("ai-court-cases:2",)),
    ("How many principles do the final UNESCO Guidelines for courts contain?",
     ("guidelines-courts:13", "guidelines-courts:14")),
    ("When was the final version of the Guidelines for the Use of AI Systems in Courts and Tribunals released?",
     ("guidelines-courts:5",)),
    ("What risks do the Guidelines identify for AI in courts?", ("guidelines-courts:12",)),
    ("What should judges do about generative AI chatbots?", ("guidelines-recommendations:5",)),
    ("What are the four core values of the Recommendation on the Ethics of AI?", ("recommendation-ethics-ai:3",)),
    ("What are the eleven policy action areas of the Recommendation on the Ethics of AI?",
     ("recommendation-ethics-ai:7",)),
    ("When was the Recommendation on the Ethics of Artificial Intelligence adopted?", ("recommendation-ethics-ai:1",)),
    ("What share of judicial operators use AI chatbots for their work?", ("judicial-survey:4",)),
    ("Who responded to the UNESCO survey of judicial operators?", ("judicial-survey:3",)),
    ("What are the six modules of the MOOC on AI and the rule of law?", ("mooc-ai-rule-of-law:4",)),
    ("What are the four modules of the Global Toolkit on AI and the rule of law?", ("global-toolkit:4",)),
    ("What are the five principles of the CEPEJ European Ethical Charter?", ("international-standards:3",)),
    ("How does the EU AI Act treat AI used in the administration of justice?", ("international-standards:4",)),
    ("What is the Council of Europe Framework Convention on AI?", ("international-standards:6",)),
    ("What is a hallucination in generative AI?", ("glossary:6",)),
    ("What is algorithmic bias?", ("glossary:7",)),
    ("How many judicial operators has the Judges Initiative reached?", ("judges-initiative:5", "judges-initiative:6")),
    ("What is the VICTOR system at Brazil's Supreme Federal Court?", ("ai-court-cases:7",)),
    ("Does Estonia use a robot judge?", ("ai-court-cases:10",)),
    ("What is the recipe for a chocolate cake?", ()),
)


@dataclass(frozen=True)
class BenchCase:
    """One benchmark question and the sections (`<doc_id>:<section>`) that answer it."""

    question: str
    expected_sections: tuple[str, ...] = ()
    language: str = "en"


# --------------------------------------------------------------------------------------------
# questions


def load_cases(path: Path | None, default_gold: Path) -> tuple[list[BenchCase], str]:
    """The benchmark questions: `path`, else the gold set, else the built-in list; and their source."""
    if path is not None and not path.exists():
        raise BenchError(f"Question file {path} does not exist")
    chosen = path or (default_gold if default_gold.exists() else None)
    if chosen is None:
        return [BenchCase(q, s) for q, s in BUILTIN_QUESTIONS], "built-in"
    cases = read_cases(chosen)
    if not cases:
        raise BenchError(f"{chosen} holds no questions (expected JSONL with a 'question' field, or one a line)")
    return cases, str(chosen)


def read_cases(path: Path) -> list[BenchCase]:
    """Questions from a JSONL file ({"question", "expected_sections"}) or a text file (one a line)."""
    cases: list[BenchCase] = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BenchError(f"{path}:{lineno}: not valid JSON ({exc})") from exc
            question = str(rec.get("question") or rec.get("q") or "").strip()
            if question:
                cases.append(BenchCase(question, tuple(str(s) for s in rec.get("expected_sections") or ()),
                                       str(rec.get("language") or "en")))
        else:
            cases.append(BenchCase(line))
    return cases
