"""The corpus contract: front matter, numbered sections, length, and no sentence copied from the seed pages."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit_assistant.config import REPO_ROOT
from toolkit_assistant.ingest import FRONT_MATTER_KEYS, chunk_document, load_document

CORPUS = REPO_ROOT / "corpus"
DOCS = sorted(p for p in CORPUS.glob("*.md") if p.name != "README.md")
SEEDS = next((p / "shared" / "seeds" for p in REPO_ROOT.parents if (p / "shared" / "seeds").is_dir()),
             REPO_ROOT.parent / "shared" / "seeds")  # beside the repository, or above a git worktree


def test_there_are_the_documents_the_issue_lists() -> None:
    ids = {p.stem for p in DOCS}
    for wanted in ("guidelines-courts", "judicial-survey", "global-toolkit", "mooc-ai-rule-of-law",
                   "recommendation-ethics-ai", "judges-initiative", "international-standards", "ai-court-cases",
                   "freedom-of-expression-toolkit", "glossary"):
        assert wanted in ids


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_front_matter_is_complete_and_sections_are_numbered(path: Path) -> None:
    doc = load_document(path)
    for key in FRONT_MATTER_KEYS:
        assert doc.meta.get(key), f"{path.name}: front matter lacks {key}"
    assert doc.doc_id == path.stem
    assert doc.meta["status"] in {"draft", "final", "summary"}
    assert doc.meta["source_url"].startswith("http")
    assert "written for" in doc.meta["note"].lower() or "study summary" in doc.meta["note"].lower()
    numbers = [s.section for s in doc.sections]
    assert all(re.fullmatch(r"\d+", n) for n in numbers), numbers
    assert numbers == sorted(numbers, key=int) and len(numbers) >= 5
    chunks = chunk_document(doc, size=1000, overlap=150)
    assert len({c.id for c in chunks}) == len(chunks)


def test_the_corpus_has_at_least_12000_words() -> None:
    total = sum(len(p.read_text(encoding="utf-8").split()) for p in DOCS)
    assert total >= 12_000, total


@pytest.mark.skipif(not SEEDS.exists(), reason="../shared/seeds is not beside the repository")
def test_no_12_word_run_of_a_seed_page_is_in_the_corpus() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "check_corpus_overlap.py"), *map(str, sorted(SEEDS.glob("*.txt")))],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "0 shared 12-word runs" in proc.stdout


def test_the_overlap_check_splits_hyphenated_words(tmp_path: Path) -> None:
    """'legal-education' in the corpus matches 'legal education' in a source (and the other way round)."""
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        import check_corpus_overlap as overlap
    finally:
        sys.path.pop(0)
    assert overlap.words("other legal-education organisations") == ["other", "legal", "education", "organisations"]
    source = "can be adapted by national judicial training institutions, universities and other legal education"
    copied = "can be adapted by national judicial training institutions, universities and other legal-education"
    assert overlap.ngrams(overlap.words(copied), 12) & overlap.ngrams(overlap.words(source), 12)
