"""Reading documents and cutting them into chunks (no model needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit_assistant.errors import DocumentError
from toolkit_assistant.ingest import chunk_document, discover, load_document
from tests.conftest import write_doc


def test_markdown_sections_become_chunks_with_stable_ids(tmp_path: Path) -> None:
    path = write_doc(tmp_path, "rules", {"1. Scope": "First sentence here. Second one.", "3. Oversight": "Judges decide."})
    doc = load_document(path)
    chunks = chunk_document(doc, size=1000, overlap=0)
    assert [c.id for c in chunks] == ["rules:1:1", "rules:3:1"]
    assert chunks[1].section == "3" and chunks[1].section_title == "Oversight"
    assert chunks[0].kind == "guidelines" and chunks[0].year == "2024" and chunks[0].source_url.endswith("/rules")
    again = chunk_document(load_document(path), size=1000, overlap=0)
    assert [c.id for c in again] == [c.id for c in chunks]


def test_long_sections_split_on_sentences_with_overlap(tmp_path: Path) -> None:
    body = " ".join(f"Sentence number {i} talks about judicial training in detail." for i in range(30))
    doc = load_document(write_doc(tmp_path, "long", {"2. Long": body}))
    chunks = chunk_document(doc, size=300, overlap=120)
    assert len(chunks) > 3
    assert all(len(c.text) <= 300 for c in chunks)
    assert [c.id for c in chunks][:2] == ["long:2:1", "long:2:2"]
    first_end = chunks[0].text.split(". ")[-1]
    assert first_end in chunks[1].text  # the last sentence repeats at the start of the next chunk
    for c in chunks:
        assert c.text in body


def test_a_list_lead_in_stays_with_its_items(tmp_path: Path) -> None:
    intro = " ".join(f"Filler sentence {i} is here." for i in range(8))
    body = intro + "\n\nThe four values are:\n\n- Dignity.\n- Fairness.\n- Transparency.\n- Accountability."
    chunks = chunk_document(load_document(write_doc(tmp_path, "v", {"1. Values": body})), size=220, overlap=0)
    holder = [c for c in chunks if "The four values are:" in c.text]
    assert holder and "Dignity." in holder[0].text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "empty file"),
        ("latin.txt", "caf\xe9 au lait".encode("latin-1"), "not UTF-8"),
        ("fake.pdf", b"hello, I am not a PDF", "not a PDF"),
        ("pdf-as-text.txt", b"%PDF-1.7 binary", "rename it to .pdf"),
        ("broken.md", b"---\nid: x\ntitle broken line\n---\n## 1. A\nText.", "broken front matter"),
        ("unclosed.md", b"---\nid: x\ntitle: y\n", "no closing"),
    ],
)
def test_bad_files_get_a_clear_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError) as info:
        load_document(path)
    assert str(path) in str(info.value) and reason in str(info.value)


def test_files_over_the_size_limit_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000)
    with pytest.raises(DocumentError, match="over the"):
        load_document(path, max_bytes=100)


def test_discover_skips_unsupported_and_readmes(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\nText.")
    (tmp_path / "README.md").write_text("about the folder")
    (tmp_path / "notes.docx").write_bytes(b"PK")
    (tmp_path / ".hidden.md").write_text("x")
    found, skipped = discover([tmp_path])
    assert [p.name for p in found] == ["a.md"]
    assert len(skipped) == 1 and "unsupported file type '.docx'" in skipped[0][1]


def test_page_label_and_role_survive_the_metadata_round_trip() -> None:
    from toolkit_assistant.types import Chunk, Citation

    chunk = Chunk(id="r:4:p7:fn2", doc_id="r", text="A note.", title="R", section="4", section_title="Footnote 2",
                  page=7, page_label="5", role="footnote")
    again = Chunk.from_metadata(chunk.id, chunk.text, chunk.metadata())
    assert again == chunk
    cited = Citation(1, chunk, "A note.", 0.5).to_dict()
    assert cited["page"] == 7 and cited["page_label"] == "5"
