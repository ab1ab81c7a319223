"""End to end with the real parts: the embedding model, Chroma on disk, pypdf on real PDFs, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit_assistant.cli import cli
from toolkit_assistant.config import REPO_ROOT
from tests.conftest import write_doc

pytestmark = pytest.mark.integration


def make_pdf(path: Path, pages: list[tuple[str, str]], *, outline: bool = True) -> Path:
    """A real PDF: one page per (heading, text); the headings become its outline."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for heading, text in pages:
        pdf.add_page()
        if outline:
            pdf.start_section(heading)
        pdf.multi_cell(0, 8, f"{heading}\n{text}")
    pdf.output(str(path))
    return path


def encrypt_pdf(src: Path, dst: Path) -> Path:
    """A password-protected copy of a PDF."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(str(src)).pages:
        writer.add_page(page)
    writer.encrypt("secret-password")
    with dst.open("wb") as fh:
        writer.write(fh)
    return dst


@pytest.fixture
def corpus_with_pdf(small_corpus: Path) -> Path:
    make_pdf(small_corpus / "bench-book.pdf", [
        ("1. Risk scores", "The Bench Book warns that risk assessment scores at sentencing can reproduce bias."),
        ("2. Training", "The Bench Book recommends 12 hours of AI training for every new judge each year."),
    ])
    return small_corpus


def run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def collection_ids(index_dir: Path) -> set[str]:
    """Every chunk id in the current generation's Chroma collection."""
    from toolkit_assistant.store import EmbeddedLocation

    loc = EmbeddedLocation(index_dir)
    manifest = loc.read_manifest()
    assert manifest is not None
    col, _ = loc.collections(manifest.generation, create=False)
    return set(col.get(include=[])["ids"])


def test_ingest_reingest_change_and_remove(corpus_with_pdf: Path, tmp_path: Path) -> None:
    index = Path(os.environ["TOOLKIT_INDEX_DIR"])
    code, out, _ = run(["ingest", str(corpus_with_pdf), "--json"])
    assert code == 0
    first = json.loads(out)
    assert first["documents"] == 4 and first["chunks"] >= 6 and first["skipped"] == []
    ids = collection_ids(index)
    assert "court-rules:1:1" in ids and "bench-book:2:p2:1" in ids

    code, out, _ = run(["ingest", str(corpus_with_pdf), "--json"])
    again = json.loads(out)
    assert code == 0 and again["up_to_date"] and again["generation"] == first["generation"]
    assert again["chunks"] == first["chunks"] and collection_ids(index) == ids

    write_doc(corpus_with_pdf, "court-rules", {"1. Human oversight": "The Court Rules now require a human to sign every ruling."})
    code, out, _ = run(["ingest", str(corpus_with_pdf), "--json"])
    changed = json.loads(out)
    assert changed["updated"] and changed["generation"] != first["generation"]
    after = collection_ids(index)
    assert "court-rules:2:1" not in after and "court-rules:1:1" in after
    assert {i for i in after if not i.startswith("court-rules")} == {i for i in ids if not i.startswith("court-rules")}

    (corpus_with_pdf / "survey-x.md").unlink()
    code, out, _ = run(["ingest", str(corpus_with_pdf), "--json"])
    removed = json.loads(out)
    assert removed["documents"] == 3 and len(removed["removed"]) == 1
    assert not any(i.startswith("survey-x:") for i in collection_ids(index))
    gens = sorted(p.name for p in (index / "gens").iterdir())
    assert len(gens) <= 2  # old generations are cleaned up

    code, out, _ = run(["sources", "--json"])
    docs = {d["doc_id"]: d for d in json.loads(out)["documents"]}
    assert set(docs) == {"court-rules", "values", "bench-book"}
    assert docs["bench-book"]["chunks"] == 2


def test_bad_pdfs_are_named_and_skipped_and_the_index_survives(corpus_with_pdf: Path, tmp_path: Path) -> None:
    code, out, _ = run(["ingest", str(corpus_with_pdf), "--json"])
    assert code == 0
    before = collection_ids(Path(os.environ["TOOLKIT_INDEX_DIR"]))
    (corpus_with_pdf / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage\n%%EOF")
    encrypt_pdf(corpus_with_pdf / "bench-book.pdf", corpus_with_pdf / "locked.pdf")
    make_pdf(corpus_with_pdf / "scanned.pdf", [("", "")], outline=False)
    (corpus_with_pdf / "new.md").write_text("# New\n\n## 1. Extra\n\nThe New Note says courts publish AI registers.\n")
    code, out, err = run(["ingest", str(corpus_with_pdf), "--json"])
    assert code == 3
    report = json.loads(out)
    reasons = {Path(s["file"]).name: s["reason"] for s in report["skipped"]}
    assert set(reasons) == {"corrupt.pdf", "locked.pdf", "scanned.pdf"}
    assert "encrypted" in reasons["locked.pdf"] and "no extractable text" in reasons["scanned.pdf"]
    assert "corrupt" in reasons["corrupt.pdf"] or "unreadable" in reasons["corrupt.pdf"]
    assert "corrupt.pdf" in err and "locked.pdf" in err
    after = collection_ids(Path(os.environ["TOOLKIT_INDEX_DIR"]))
    assert before <= after and "new:1:1" in after


def test_ask_cites_exact_passages_and_declines_off_topic(small_corpus: Path) -> None:
    assert run(["ingest", str(small_corpus)])[0] == 0
    code, out, _ = run(["ask", "--json", "What share of judges use chatbots for work?"])
    answer = json.loads(out)
    assert code == 0 and not answer["abstained"] and "44%" in answer["answer"]
    assert answer["verification"]["sentences"] == answer["verification"]["supported"] >= 1
    from toolkit_assistant.store import EmbeddedLocation, load_chunks

    loc = EmbeddedLocation(Path(os.environ["TOOLKIT_INDEX_DIR"]))
    chunks = {c.id: c for c in load_chunks(loc, loc.read_manifest())}  # type: ignore[arg-type]
    for c in answer["citations"]:
        assert c["quote"] in chunks[c["chunk_id"]].text
        assert f"[{c['n']}]" in answer["answer"]
    assert set(answer["timings_ms"]) == {"retrieve", "answer", "verify", "total"}

    code, out, _ = run(["ask", "--json", "What is a good recipe for chocolate cake?"])
    off = json.loads(out)
    assert off["abstained"] and off["citations"] == [] and "do not cover" in off["answer"]
    assert off["nearest_topics"]


def test_list_question_gets_every_item(small_corpus: Path) -> None:
    run(["ingest", str(small_corpus)])
    code, out, _ = run(["ask", "--json", "What are the four values of the Charter?"])
    text = json.loads(out)["answer"]
    for item in ("dignity", "Fairness", "Transparency", "Accountability"):
        assert item in text


def test_filters_restrict_documents(small_corpus: Path) -> None:
    run(["ingest", str(small_corpus)])
    code, out, _ = run(["ask", "--json", "--doc", "court-rules", "What do judges have to check?"])
    answer = json.loads(out)
    assert answer["citations"] and {c["doc_id"] for c in answer["citations"]} == {"court-rules"}


@pytest.mark.parametrize(
    ("question", "message"),
    [("   ", "empty"), ("x" * 2001, "limit is 2,000"), ("bad\x07question about judges", "control characters")],
)
def test_bad_questions_exit_2_with_a_clear_message(small_corpus: Path, question: str, message: str) -> None:
    run(["ingest", str(small_corpus)])
    code, _, err = run(["ask", question])
    assert code == 2 and message in err


def test_asking_before_any_index_says_how_to_build_one() -> None:
    result = CliRunner().invoke(cli, ["ask", "Anything?"])
    assert result.exit_code == 1 and "toolkit-assistant ingest" in result.output


def test_console_script_batch_mode(small_corpus: Path) -> None:
    """The installed command, in a real process: --jsonl answers each line, bad lines get errors."""
    exe = Path(sys.executable).parent / "toolkit-assistant"
    env = {**os.environ}
    subprocess.run([str(exe), "ingest", str(small_corpus)], env=env, check=True, capture_output=True, timeout=300)
    lines = "\n".join([
        json.dumps({"id": "a", "q": "How many judicial operators took part in Survey X?"}),
        "What share of judges received training on AI?",
        json.dumps({"id": "c", "q": "Who won the football world cup in 2018?"}),
        "{not json",
        json.dumps({"id": "e", "q": ""}),
    ])
    proc = subprocess.run([str(exe), "ask", "--jsonl"], input=lines, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 2, "c", 4, "e"]
    assert "1,200" in out[0]["answer"] and not out[0]["abstained"]
    assert "9%" in out[1]["answer"]
    assert out[2]["abstained"] is True
    assert "not valid JSON" in out[3]["error"] and "empty" in out[4]["error"]


def test_repo_corpus_answers_a_judges_question(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("What share of judges use ChatGPT or similar tools for work?")
    assert not answer.abstained and "44%" in answer.text
    assert answer.verification.removed == 0
    assert REPO_ROOT.joinpath("corpus").exists()
