"""Real documents nobody on the team wrote: PDF manuals that Debian ships, and the licence texts of base-files.

The PDFs come from `apt-get download` (libtasn1-doc, shared-mime-info, r-doc-pdf: seven R manuals of 41 to 236
pages with footnotes and two-column indexes, debian-refcard: a multi-column card), unpacked with `dpkg-deb -x`
into a temporary folder; the .deb files are kept in .toolkit/debian-cache (ignored by git) for the next run.
Skipped, with the reason, where apt-get is missing or the download fails.
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from toolkit_assistant.config import REPO_ROOT
from toolkit_assistant.ingest import chunk_document, load_document
from toolkit_assistant.pdftext import LEADER, extract_document
from toolkit_assistant.structure import build_sections
from toolkit_assistant.text import split_sentences

pytestmark = pytest.mark.integration

PACKAGES = ("libtasn1-doc", "shared-mime-info", "r-doc-pdf", "debian-refcard")
CACHE = REPO_ROOT / ".toolkit" / "debian-cache"
LICENSES = Path("/usr/share/common-licenses")


def _download(cache: Path) -> str:
    """Fetch the packages' .deb files into `cache`; '' when done, else why not."""
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        return "apt-get or dpkg-deb is not available (not a Debian system)"
    missing = [p for p in PACKAGES if not list(cache.glob(f"{p}_*.deb"))]
    if not missing:
        return ""
    cache.mkdir(parents=True, exist_ok=True)
    for attempt in range(2):
        proc = subprocess.run(["apt-get", "download", *missing], cwd=cache, capture_output=True, text=True, timeout=300)
        if proc.returncode == 0:
            return ""
        if attempt == 0:  # the package lists may be missing or stale: refresh them once
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, text=True, timeout=300)
    return f"apt-get download {' '.join(missing)} failed: {proc.stderr.strip()[-300:]}"


@pytest.fixture(scope="session")
def debian_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> path of each real PDF, unpacked from the downloaded packages."""
    why = _download(CACHE)
    if why:
        pytest.skip(why)
    root = tmp_path_factory.mktemp("debian")
    for deb in sorted(CACHE.glob("*.deb")):
        if deb.name.split("_")[0] in PACKAGES:
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True, timeout=120)
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.pdf*")):
        if path.is_symlink() or path.name.startswith("refman") or path.name.startswith("fullrefman"):
            continue
        if path.suffix == ".gz":
            if path.name != "refcard-en-a4.pdf.gz":
                continue
            out = path.with_suffix("")
            out.write_bytes(gzip.decompress(path.read_bytes()))
            path = out
        found[path.stem] = path
    for wanted in ("libtasn1", "shared-mime-info-spec", "R-intro", "refcard-en-a4"):
        assert wanted in found, f"{wanted}.pdf not found in the packages"
    return found


def _chunks(path: Path) -> list:  # type: ignore[type-arg]
    return chunk_document(load_document(path), size=900, overlap=150)


def test_libtasn1_sections_labels_and_no_contents_or_index_text(debian_pdfs: dict[str, Path]) -> None:
    path = debian_pdfs["libtasn1"]
    doc = extract_document(path)
    kinds = {p.page: p.kind for p in doc.pages}
    assert kinds[3] == "contents" and kinds[35] == "index" and kinds[36] == "index"
    assert kinds[1] == "title" and kinds[2] == "body"  # title, authors, version: no sentence to quote
    assert [doc.label(n) for n in (1, 2, 3, 4)] == ["T-1", "T-2", "i", "1"]
    chunks = _chunks(path)
    sections = {c.section: c.section_title for c in chunks}
    for number, title in [("1", "Introduction"), ("2.1", "ASN.1 syntax"), ("3.1", "Invoking asn1Parser"),
                          ("4.3", "DER functions"), ("A.1", "GNU Free Documentation License")]:
        assert sections.get(number) == title
    for c in chunks:
        assert c.page not in (1, 3, 35, 36)  # the title, contents and index pages are never quoted
        assert not LEADER.search(c.text) and ". . . ." not in c.text
        assert "Chapter 4: Function reference" not in c.text and "asn1Parser program" not in c.text
        assert c.page_label == doc.label(c.page)
    parser = next(c for c in chunks if c.section == "3.1")
    assert parser.page_label == "5" and parser.page == 8  # printed "5", the PDF's eighth page


def test_shared_mime_info_has_no_running_header_in_its_sentences(debian_pdfs: dict[str, Path]) -> None:
    chunks = _chunks(debian_pdfs["shared-mime-info-spec"])
    for c in chunks:
        assert not re.search(r"(?<!\n)\n(?!\n)", c.text)  # no line break inside a paragraph
        for s in split_sentences(c.text):  # the title page's own title line may stand alone; nothing is glued to it
            assert not s.text.startswith("Shared MIME-info Database ") or c.page == 1, s.text
            assert not (c.page > 1 and s.text == "Shared MIME-info Database")
    assert extract_document(debian_pdfs["shared-mime-info-spec"]).pages[0].kind == "body"  # its first page has sentences
    version = next(c for c in chunks if "This is version 0.21 of the Shared MIME-info Database specification" in c.text)
    assert version.section == "1.1" and version.section_title == "Version" and version.page_label == "1"


def test_r_manuals_footnotes_and_two_column_indexes(debian_pdfs: dict[str, Path]) -> None:
    path = debian_pdfs["R-intro"]
    doc = extract_document(path)
    assert doc.label(1) == "T-1" and doc.label(3) == "i"
    assert {p.kind for p in doc.pages[:7]} >= {"contents"}
    assert sum(1 for p in doc.pages if p.kind == "index") >= 3
    notes = doc.footnotes()
    assert len(notes) >= 20
    note = next(n for n in notes if n.text.startswith("For portable R code"))
    assert note.marker == "1" and note.label == "5"
    chunks = _chunks(path)
    fn = [c for c in chunks if c.role == "footnote"]
    assert fn and all(":fn" in c.id and c.section_title.startswith("Footnote ") for c in fn)
    body = next(c for c in chunks if "alphanumeric symbols are allowed" in c.text)
    assert "allowed (and in some countries" in body.text  # the superscript marker is out of the sentence
    assert not any(LEADER.search(c.text) for c in chunks)


@pytest.mark.parametrize("name", ["libtasn1", "shared-mime-info-spec", "R-FAQ", "R-admin", "R-data", "R-exts",
                                  "R-intro", "R-ints", "R-lang"])
def test_numbered_sections_are_found_without_the_outline(debian_pdfs: dict[str, Path], name: str) -> None:
    """>= 95% of the numbered sections the outline names are found from the page text alone."""
    doc = extract_document(debian_pdfs[name])
    with_outline: list[tuple[str, str]] = []
    build_sections(doc.blocks(), doc_title=doc.title, outline=doc.outline, found=with_outline)
    expected = [n for n, _ in with_outline if n[:1].isdigit()]
    from_text: list[tuple[str, str]] = []
    build_sections(doc.blocks(), doc_title=doc.title, found=from_text)
    got = {n for n, _ in from_text}
    recognised = [n for n in expected if n in got]
    assert len(expected) >= 15
    assert len(recognised) >= 0.95 * len(expected), sorted(set(expected) - got)


def test_multi_column_reference_card_keeps_its_words_apart(debian_pdfs: dict[str, Path]) -> None:
    doc = extract_document(debian_pdfs["refcard-en-a4"])
    text = " ".join(b.text for b in doc.blocks())
    assert "Query installed packages" in text  # pypdf gives 'Queryinstalledpackages' here
    assert "Queryinstalledpackages" not in text


def test_answers_on_real_documents(debian_pdfs: dict[str, Path], tmp_path: Path) -> None:
    """Questions on the manuals and the licences: answered from the right section, printed page cited."""
    from toolkit_assistant.config import Settings
    from toolkit_assistant.embeddings import get_embedder
    from toolkit_assistant.indexer import run_ingest
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.store import EmbeddedLocation

    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("libtasn1", "shared-mime-info-spec"):
        shutil.copy(debian_pdfs[name], docs / f"{name}.pdf")
    for name in ("GPL-3", "Apache-2.0"):
        if (LICENSES / name).exists():
            shutil.copy(LICENSES / name, docs / f"{name}.txt")
    index = tmp_path / "index"
    pages: list[tuple[str, int, int]] = []
    report = run_ingest([docs], location=EmbeddedLocation(index), embedder=get_embedder("minilm"), index_dir=index,
                        chunk_size=900, chunk_overlap=150, on_page=lambda f, n, t: pages.append((Path(f).name, n, t)))
    assert not report.skipped
    assert ("libtasn1.pdf", 36, 36) in pages and ("shared-mime-info-spec.pdf", 17, 17) in pages
    assistant = Assistant.from_settings(Settings(index_dir=index))
    cases = [
        ("What does the asn1Parser program do?", "libtasn1", {"3.1"}),
        ("How are MIME types stored with extended attributes?", "shared-mime-info-spec", {"2.10"}),
    ]
    if (LICENSES / "GPL-3").exists():
        cases.append(("When does the GPL terminate my license?", "gpl-3", {"8"}))
    cases.append(("How do I parse an ASN.1 definition file into a C array?", "libtasn1", {"3.1"}))
    if (LICENSES / "Apache-2.0").exists():
        cases.append(("Does the Apache License grant permission to use the Licensor's trademarks?", "apache-2-0", {"6"}))
    for question, doc_id, sections in cases:
        answer = assistant.ask(question).to_dict()
        assert answer["coverage"] == "answered", (question, answer["answer"][:300])
        cited = [c for c in answer["citations"] if c["doc_id"] == doc_id]
        assert cited and {c["section"] for c in cited} & sections, (question, answer["citations"])
        for c in answer["citations"]:
            assert not LEADER.search(c["quote"]) and "Chapter " not in c["quote"][:8]
            if c["page"] is not None:
                assert c["page_label"], c  # every PDF citation names its printed page
