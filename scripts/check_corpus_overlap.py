"""Report any run of N words shared between corpus/*.md and the source texts (seeds, fact sheet).

Usage: python scripts/check_corpus_overlap.py [--n 12] [SOURCE_FILE ...]
Exits 1 when a shared run is found, printing the file and the run. Hyphenated words count as their parts
("legal-education" is "legal education"), so rewriting a hyphen does not hide a copied run.
Without SOURCE_FILEs it reads shared/seeds/*.txt and shared/unesco-facts.md from the first `shared` folder
beside the repository or above it (a git worktree lives one level deeper), or from $TOOLKIT_SHARED_DIR.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORD = re.compile(r"[\w'’%]+", re.UNICODE)
URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens of a text; a hyphen (or dash) separates words; web addresses are left out."""
    return [w.lower() for w in WORD.findall(URL.sub(" ", text))]


def shared_dir() -> Path:
    """The team's shared folder: $TOOLKIT_SHARED_DIR, or the first `shared` beside or above the repository."""
    if os.environ.get("TOOLKIT_SHARED_DIR"):
        return Path(os.environ["TOOLKIT_SHARED_DIR"])
    for parent in ROOT.parents:
        if (parent / "shared" / "seeds").is_dir():
            return parent / "shared"
    return ROOT.parent / "shared"


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    """All runs of n consecutive tokens."""
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def main() -> int:
    """Compare every corpus document against the sources."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=12)
    parser.add_argument("sources", nargs="*")
    args = parser.parse_args()
    shared = shared_dir()
    sources = [Path(s) for s in args.sources] or [
        *sorted((shared / "seeds").glob("*.txt")),
        shared / "unesco-facts.md",
    ]
    source_grams: set[tuple[str, ...]] = set()
    for src in sources:
        if src.exists():
            source_grams |= ngrams(words(src.read_text(encoding="utf-8")), args.n)
    found = 0
    for doc in sorted((ROOT / "corpus").glob("*.md")):
        if doc.name == "README.md":
            continue
        for gram in sorted(ngrams(words(doc.read_text(encoding="utf-8")), args.n) & source_grams):
            print(f"{doc.name}: {' '.join(gram)}")
            found += 1
    print(f"{found} shared {args.n}-word runs")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
