"""The benchmark: its pure helpers, and one full run on a tiny corpus (JSON keys, signs, the PNG).

No assertion here is about how fast anything is: the machine is shared, so only shapes and signs are checked.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit_assistant.bench.baselines import section_hit
from toolkit_assistant.bench.command import parse_scale
from toolkit_assistant.bench.questions import BenchCase, load_cases
from toolkit_assistant.bench.report import check_targets
from toolkit_assistant.bench.scale import original_chunk_id, perturb_sentence, perturb_text
from toolkit_assistant.bench.stats import summarize
from toolkit_assistant.cli import cli
from toolkit_assistant.text import split_sentences

# --------------------------------------------------------------------------- pure helpers


def test_parse_scale_accepts_lists_and_rejects_nonsense() -> None:
    assert parse_scale("1") == [1]
    assert parse_scale("1, 10,100,10") == [1, 10, 100]
    for bad in ("0", "x2", "", "1,-3"):
        with pytest.raises(Exception, match="scale factor|whole numbers"):
            parse_scale(bad)


def test_section_hit_needs_the_section_prefix_within_k() -> None:
    ids = ["doc:1:1", "doc:10:2", "other:2:1", "a:1:1", "b:1:1", "doc:3:1"]
    assert section_hit(ids, ["doc:10"])
    assert section_hit(ids, ["doc:1"])
    assert not section_hit(ids, ["x:1"])
    assert section_hit(ids, ["x:9", "other:2"])  # any expected section is enough
    assert not section_hit(ids, ["doc:3"])  # sixth id: outside the top 5
    assert not section_hit(["doc:10:1"], ["doc:1"])  # "doc:1" must be followed by ":"
    with pytest.raises(ValueError):
        section_hit(ids, [])


def test_replica_ids_map_back_to_their_original() -> None:
    assert original_chunk_id("guidelines-courts--x7:5:1") == "guidelines-courts:5:1"
    assert original_chunk_id("guidelines-courts:5:1") == "guidelines-courts:5:1"
    assert original_chunk_id("a--x1:p3:2") == "a:p3:2"


def test_perturbed_text_keeps_its_sentences_but_changes_them() -> None:
    text = (
        "The Guidelines ask courts to keep human oversight of every AI system in use. "
        "Judges should check each citation that a chatbot produces before relying on it.\n\n"
        "- Courts publish the list of systems they use.\n- Training is offered to judges every year."
    )
    got = perturb_text(text, "3:doc:1:1")
    assert got is not None
    new_text, sentences = got
    assert new_text != text
    assert len(sentences) == len(split_sentences(text))
    assert [s.text for s in split_sentences(new_text)] == sentences
    originals = [s.text for s in split_sentences(text)]
    assert all(a != b for a, b in zip(originals, sentences, strict=True))
    assert perturb_text(text, "3:doc:1:1") == got  # deterministic for a seed


def test_perturbed_sentence_keeps_its_words_in_place_at_the_ends() -> None:
    rng = random.Random(1)
    s = "Courts should restrict external generative tools that train on prompts."
    out = perturb_sentence(s, rng)
    assert out != s
    assert out.split()[0] == "Courts" and out.endswith("prompts.")
    assert len(out.split()) == len(s.split())


def test_summarize_gives_percentiles() -> None:
    got = summarize([float(x) for x in range(1, 101)])
    assert got["p50"] == pytest.approx(50.5)
    assert got["p95"] == pytest.approx(95.05)
    assert math.isnan(summarize([])["p50"])


def test_targets_pass_fail_and_missing() -> None:
    results = {"latency_ms": {"p50": 120.0, "p95": 500.0}, "cold_start_s": {"first_answer": None},
               "baselines": {"ours_hybrid": {"recall_at_5": 0.96}}}
    by_fig = {t["figure"]: t["pass"] for t in check_targets(results)}
    assert by_fig["latency_ms.p50"] is True
    assert by_fig["latency_ms.p95"] is False
    assert by_fig["cold_start_s.first_answer"] is None
    assert by_fig["baselines.ours_hybrid.recall_at_5"] is True


def test_questions_from_jsonl_text_or_builtin(tmp_path: Path) -> None:
    jl = tmp_path / "q.jsonl"
    jl.write_text('{"question": "What is bias?", "expected_sections": ["glossary:7"]}\n\n{"id": 2, "q": "Why?"}\n')
    cases, source = load_cases(jl, tmp_path / "missing.jsonl")
    assert cases == [BenchCase("What is bias?", ("glossary:7",)), BenchCase("Why?", ())]
    assert source == str(jl)
    txt = tmp_path / "q.txt"
    txt.write_text("# comment\nFirst question?\nSecond question?\n")
    assert [c.question for c in load_cases(txt, tmp_path / "x")[0]] == ["First question?", "Second question?"]
    builtin, source = load_cases(None, tmp_path / "missing.jsonl")
    assert source == "built-in" and len(builtin) >= 15
    assert sum(1 for c in builtin if c.expected_sections) >= 15
    with pytest.raises(Exception, match="does not exist"):
        load_cases(tmp_path / "nope.jsonl", tmp_path / "missing.jsonl")


# --------------------------------------------------------------------------- a full run

NUMBER_KEYS = (
    # (dotted key, lowest allowed value, whether 0 is allowed)
    ("latency_ms.p50", 0, False), ("latency_ms.p95", 0, False), ("latency_ms.mean", 0, False),
    ("latency_ms.retrieve.p50", 0, False), ("latency_ms.retrieve.p95", 0, False),
    ("latency_ms.answer.p50", 0, True), ("latency_ms.answer.p95", 0, True),
    ("latency_ms.verify.p50", 0, True), ("latency_ms.verify.p95", 0, True),
    ("latency_ms.cpu.p50", 0, False), ("latency_ms.first_pass.p50", 0, False),
    ("cold_start_s.first_answer", 0, False), ("cold_start_s.first_page", 0, False),
    ("cold_start_s.ready", 0, False), ("cold_start_s.first_app_answer", 0, False),
    ("cold_start_s.first_answer_french", 0, False), ("cold_start_s.peak_rss_mb_french", 0, False),
    ("cold_start_s.sentence_transformers_path.first_answer", 0, False),
    ("cold_start_s.sentence_transformers_path.first_page", 0, False),
    ("cold_start_s.sentence_transformers_path.ready", 0, False),
    ("cold_start_s.sentence_transformers_path.peak_rss_mb.query", 0, False),
    ("cold_start_s.ratios_new_over_old.first_answer", 0, False),
    ("cold_start_s.ratios_new_over_old.first_page", 0, False),
    ("ingest.chunks", 1, True), ("ingest.documents", 1, True), ("ingest.seconds", 0, False),
    ("ingest.in_run_s", 0, False), ("ingest.chunks_per_s", 0, False), ("ingest.reingest_unchanged_s", 0, True),
    ("ingest.reingest_unchanged_process_s", 0, False),
    ("peak_rss_mb.query", 0, False), ("peak_rss_mb.ingest", 0, False), ("peak_rss_mb.serve", 0, False),
    ("baselines.naive_langchain.recall_at_5", 0, True), ("baselines.naive_langchain.latency_ms.p50", 0, False),
    ("baselines.naive_langchain.latency_ms.p95", 0, False), ("baselines.naive_langchain.build_s", 0, False),
    ("baselines.bm25_only.recall_at_5", 0, True), ("baselines.bm25_only.latency_ms.p50", 0, False),
    ("baselines.bm25_only.latency_ms.p95", 0, False),
    ("baselines.ours_hybrid.recall_at_5", 0, True), ("baselines.ours_hybrid.latency_ms.p50", 0, False),
    ("ratios.ours_hybrid_over_naive_langchain.recall_at_5", 0, False),
    ("ratios.ours_hybrid_over_naive_langchain.latency_p50", 0, False),
    ("ratios.ours_hybrid_over_bm25_only.recall_at_5", 0, False),
    ("ratios.ours_hybrid_over_bm25_only.latency_p50", 0, False),
    ("environment.cpu_count", 1, True),
)


def _get(data: dict, dotted: str):  # type: ignore[no-untyped-def]
    cur = data
    for key in dotted.split("."):
        assert isinstance(cur, dict) and key in cur, f"missing key {dotted}"
        cur = cur[key]
    return cur


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v


@pytest.mark.integration
def test_bench_json_on_a_tiny_corpus(small_corpus: Path, tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text("\n".join(json.dumps(r) for r in [
        {"question": "What share of responding judges use chatbots for work?", "expected_sections": ["survey-x:1"]},
        {"question": "Must AI systems replace the judgment of judges?", "expected_sections": ["court-rules:1"]},
        {"question": "What are the four values of the Charter?", "expected_sections": ["values:1"]},
        {"question": "How do I bake sourdough bread?"},
    ]) + "\n")
    out = tmp_path / "bench-out"
    result = CliRunner().invoke(
        cli,
        ["bench", "--json", "--questions", str(questions), "--out", str(out), "--repeats", "1", "--scale", "1,3",
         "--pdf-pages", "3"],
        env={"TOOLKIT_CORPUS_DIR": str(small_corpus)},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)

    for key, low, zero_ok in NUMBER_KEYS:
        value = _get(data, key)
        assert _is_number(value), f"{key} = {value!r} is not a number"
        assert value >= low if zero_ok else value > low, f"{key} = {value!r} has the wrong sign"
    for key in ("baselines.naive_langchain.recall_at_5", "baselines.bm25_only.recall_at_5",
                "baselines.ours_hybrid.recall_at_5"):
        assert 0.0 <= _get(data, key) <= 1.0
    assert data["latency_ms"]["p95"] >= data["latency_ms"]["p50"]
    assert data["ingest"]["reingest_up_to_date"] is True
    assert data["ingest"]["chunks"] >= 5 and data["ingest"]["documents"] == 3
    assert data["questions"] == {"source": str(questions), "count": 4, "with_expected_sections": 3}
    cold = data["cold_start_s"]
    assert cold["first_page_error"] == ""
    # the page comes before the index is open; a question sent then is answered once it is
    assert cold["first_page"] <= cold["ready"] <= cold["first_app_answer"] + 0.5
    assert set(data["cold_start_s"]["first_answer_timings_ms"]) >= {"retrieve", "answer", "verify", "total"}
    env = data["environment"]
    for key in ("python", "torch", "chromadb", "gradio"):
        assert isinstance(env[key], str) and env[key][0].isdigit()

    rows = {row["factor"]: row for row in data["scale"]}
    assert set(rows) == {1, 3}
    assert rows[1]["chunks"] == data["ingest"]["chunks"]
    assert rows[3]["chunks"] == 3 * rows[1]["chunks"]
    assert rows[3]["sentences"] == 3 * rows[1]["sentences"]
    for row in rows.values():
        assert row["texts_embedded_at_build"] == 0  # replicas reuse (perturbed) vectors
        for key in ("ingest_s", "index_mb", "chunks_per_s"):
            assert _is_number(row[key]) and row[key] > 0
        assert _is_number(row["latency_ms"]["p50"]) and row["latency_ms"]["p50"] > 0
        assert 0.0 <= row["recall_at_5"] <= 1.0
    assert rows[3]["index_mb"] > rows[1]["index_mb"]
    assert any("perturbed vectors" in n for n in data["notes"])

    pdf = data["pdf_ingest"]  # --pdf-pages 3: generated reports through `ingest` in its own process
    assert pdf["pages"] == 3 and pdf["files"] == 1 and pdf["chunks"] > 0 and pdf["embedding"] == "minilm"
    assert pdf["pages_per_s"] > 0 and pdf["peak_rss_mb"] > 50 and pdf["cpu_s"] > 0
    # both are rounded from the same wall time (seconds to 0.01 s): they agree within that rounding
    assert abs(pdf["seconds_per_1000_pages"] - pdf["seconds"] * 1000 / 3) <= 0.005 * 1000 / 3 + 0.05
    assert {"read_s", "embed_sentences_s", "embed_chunks_s"} <= set(pdf["timings_s"])

    targets = {t["figure"]: t for t in data["targets"]}
    assert set(targets) >= {"latency_ms.p50", "latency_ms.p95", "cold_start_s.first_answer",
                            "cold_start_s.first_page", "ingest.seconds"}
    for t in targets.values():
        assert t["pass"] in (True, False)
        assert t["pass"] == (t["value"] <= float(t["target"].split()[1]) if t["target"].startswith("<=")
                             else t["value"] >= float(t["target"].split()[1]))

    png = out / "bench.png"
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert json.loads((out / "bench.json").read_text()) == data
