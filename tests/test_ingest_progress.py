"""Long ingests say where they are: file k/n and page p/m while reading, texts embedded while embedding (the CLI
prints it, the app's Library shows it on its progress bar); with two indexes each file is read once; the bench's
PDF pages (generated reports or real PDFs cut to the page count asked for)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.court_pdf import make_court_pdf
from tests.un_report import make_un_report
from toolkit_assistant.indexer import IngestStep


def test_steps_read_as_file_k_of_n_and_page_p_of_m() -> None:
    step = IngestStep("read", "all-MiniLM-L6-v2", 2, 5, "/srv/pdfs/report.pdf", 37, 120)
    assert step.message() == "file 2/5 report.pdf, page 37/120"
    assert step.fraction() == pytest.approx((1 + 37 / 120) / 5)
    assert IngestStep("read", "m", 2, 5).fraction() == pytest.approx(1 / 5)  # file 2 starts: 1 of 5 done
    embed = IngestStep("embed", "multilingual-e5-small", what="sentences", done=2048, total=15926)
    assert embed.message() == "multilingual-e5-small: embedding sentences 2048/15926"
    assert embed.fraction() == pytest.approx(2048 / 15926)


def test_the_cli_prints_every_25th_page_and_each_file_s_first_and_last() -> None:
    from toolkit_assistant.cli import step_printer

    said: list[str] = []
    on_step = step_printer(said.append)
    on_step(IngestStep("read", "m", 1, 2))  # a file starts: nothing yet
    for p in range(1, 61):
        on_step(IngestStep("read", "m", 1, 2, "a.pdf", p, 60))
    on_step(IngestStep("embed", "m", what="sentences", done=256, total=300))
    assert said == ["file 1/2 a.pdf, page 1/60", "file 1/2 a.pdf, page 25/60", "file 1/2 a.pdf, page 50/60",
                    "file 1/2 a.pdf, page 60/60", "m: embedding sentences 256/300"]


@pytest.mark.integration
def test_an_ingest_of_two_pdfs_and_two_indexes_reports_each_file_page_and_batch(tmp_path: Path) -> None:
    from toolkit_assistant.config import Settings
    from toolkit_assistant.wiring import ingest_with

    docs = tmp_path / "docs"
    docs.mkdir()
    make_court_pdf(docs / "a.pdf")
    make_court_pdf(docs / "b.pdf")
    steps: list[IngestStep] = []
    report = ingest_with(Settings(index_dir=tmp_path / "index", embedding="auto"), [docs], on_step=steps.append)
    reads = [s.message() for s in steps if s.stage == "read" and s.page]
    assert reads[:4] == ["file 1/2 a.pdf, page 1/4", "file 1/2 a.pdf, page 2/4", "file 1/2 a.pdf, page 3/4",
                         "file 1/2 a.pdf, page 4/4"]
    assert "file 2/2 b.pdf, page 4/4" in reads
    assert len(reads) == 8  # the e5 index reuses what the MiniLM index read: no page is read twice
    embeds = [s for s in steps if s.stage == "embed"]
    assert {s.index for s in embeds} == {"all-MiniLM-L6-v2", "multilingual-e5-small"}
    assert all(0 < s.done <= s.total for s in embeds) and any(s.done == s.total for s in embeds)
    assert report.pages == 8 and report.to_dict()["pages_per_s"] > 0
    assert [ix["embedding"] for ix in report.indexes] == ["minilm", "e5"]
    for ix in report.indexes:
        assert {"read_s", "embed_sentences_s", "embed_chunks_s", "vectors_store_s", "files_s"} <= set(ix["timings_s"])


@pytest.mark.integration
def test_the_library_upload_hears_each_page(tmp_path: Path) -> None:
    from toolkit_assistant.app.actions import AppActions
    from toolkit_assistant.config import Settings
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.wiring import ingest_with

    seed = tmp_path / "seed"
    seed.mkdir()
    make_court_pdf(seed / "seed.pdf")
    settings = Settings(index_dir=tmp_path / "state" / "index", embedding="minilm", allow_uploads=True)
    ingest_with(settings, [seed])
    actions = AppActions(Assistant.from_settings(settings), settings)
    upload = tmp_path / "practice.pdf"
    pages = make_un_report(upload).pages  # other text than the seed's: its sentences are embedded, not cached
    bar: list[tuple[float, str]] = []
    msgs = actions.ingest_uploads([str(upload)], on_step=lambda s: bar.append((s.fraction(), s.message())))
    assert "practice.pdf: added" in msgs
    assert (1.0, f"file 1/1 practice.pdf, page {pages}/{pages}") in bar
    assert any("embedding" in m for _, m in bar) and all(0.0 <= f <= 1.0 for f, _ in bar)


def test_bench_writes_reports_of_the_pages_asked_for_and_cuts_real_pdfs(tmp_path: Path) -> None:
    pytest.importorskip("fpdf")
    from pypdf import PdfReader

    from toolkit_assistant.bench.pdfpages import take_pages, write_reports
    from toolkit_assistant.config import REPO_ROOT

    files = write_reports(tmp_path / "gen", 7, REPO_ROOT / "corpus")
    assert [len(PdfReader(str(f)).pages) for f in files] == [7]
    (tmp_path / "real").mkdir()
    make_court_pdf(tmp_path / "real" / "a.pdf")
    make_court_pdf(tmp_path / "real" / "b.pdf")
    taken = take_pages([tmp_path / "real"], 6, tmp_path / "taken")
    assert [len(PdfReader(str(f)).pages) for f in taken] == [4, 2]
