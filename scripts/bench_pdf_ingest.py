"""Measure PDF ingest: pages per second and peak memory, for text extraction alone and for a full ingest.

Usage:
  python scripts/bench_pdf_ingest.py [--pages 1000] [--extract-only] [--json] PDF_OR_FOLDER ...
  python scripts/bench_pdf_ingest.py --generate [--pages 1000]    # a generated UN-style report instead

PDFs are taken in the order given until --pages pages are reached (the last one cut with pypdf to fit).
The full ingest writes a fresh index in a temporary folder with the real embedding model (minilm).
Peak RSS is this process's high-water mark (resource.getrusage), model and Chroma included.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pick_pdfs(paths: list[Path], pages: int, work: Path) -> list[tuple[Path, int]]:
    """PDFs (and their page counts) until `pages` pages; the last one is cut to fit."""
    from pypdf import PdfReader, PdfWriter

    files: list[Path] = []
    for p in paths:
        files += sorted(x for x in p.rglob("*.pdf") if not x.is_symlink()) if p.is_dir() else [p]
    chosen: list[tuple[Path, int]] = []
    total = 0
    for f in files:
        n = len(PdfReader(str(f)).pages)
        if total + n > pages:
            keep = pages - total
            if keep <= 0:
                break
            writer = PdfWriter(clone_from=str(f))
            for i in range(n - 1, keep - 1, -1):
                writer.remove_page(i)
            cut = work / f"{f.stem}-first-{keep}.pdf"
            with cut.open("wb") as fh:
                writer.write(fh)
            chosen.append((cut, keep))
            total += keep
            break
        chosen.append((f, n))
        total += n
    return chosen


def main() -> int:
    """Run the measurement and print it."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--generate", action="store_true", help="measure a generated UN-style report")
    parser.add_argument("--extract-only", action="store_true", help="only clean the text (no index)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from toolkit_assistant.pdftext import extract_document

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        docs = work / "docs"
        docs.mkdir()
        if args.generate or not args.paths:
            from tests.un_report import make_un_report

            chapters, facts = 1, None
            while True:  # about 0.7 pages of body per chapter set
                facts = make_un_report(docs / "un-report.pdf", chapters=chapters)
                if facts.pages >= args.pages:
                    break
                chapters = max(chapters + 1, int(chapters * args.pages / max(facts.pages, 1)) + 1)
            chosen = [(docs / "un-report.pdf", facts.pages)]
        else:
            chosen = []
            for f, n in pick_pdfs(args.paths, args.pages, work):
                target = docs / f.name
                target.write_bytes(f.read_bytes())
                chosen.append((target, n))
        pages = sum(n for _, n in chosen)
        started = time.perf_counter()
        kinds: dict[str, int] = {}
        footnotes = 0
        for f, _ in chosen:
            doc = extract_document(f)
            footnotes += len(doc.footnotes())
            for p in doc.pages:
                kinds[p.kind] = kinds.get(p.kind, 0) + 1
        extract_s = time.perf_counter() - started
        out: dict[str, object] = {
            "files": [f.name for f, _ in chosen], "pages": pages, "page_kinds": kinds, "footnotes": footnotes,
            "extract_seconds": round(extract_s, 2), "extract_pages_per_s": round(pages / extract_s, 1),
            "extract_peak_rss_mb": round(peak_rss_mb()),
        }
        if not args.extract_only:
            from toolkit_assistant.config import Settings
            from toolkit_assistant.embeddings import get_embedder
            from toolkit_assistant.indexer import run_ingest
            from toolkit_assistant.store import EmbeddedLocation

            index = work / "index"
            defaults = Settings()
            started = time.perf_counter()
            embedder = get_embedder("minilm")
            report = run_ingest([docs], location=EmbeddedLocation(index), embedder=embedder, index_dir=index,
                                chunk_size=defaults.chunk_size, chunk_overlap=defaults.chunk_overlap)
            total_s = time.perf_counter() - started
            out.update({
                "ingest_seconds": round(total_s, 1), "ingest_pages_per_s": round(pages / total_s, 2),
                "chunks": report.chunks, "skipped": report.skipped, "peak_rss_mb": round(peak_rss_mb()),
            })
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            print(f"{k:22} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
