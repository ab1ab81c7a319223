"""What the app does, without Gradio types in its signatures: ask, stream a draft, upload, prepare, add a case."""

from __future__ import annotations

import json
import queue
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit_assistant.errors import IndexServerDown, InputError
from toolkit_assistant.warmup import Warmup
from toolkit_assistant.wiring import ingest_with

if TYPE_CHECKING:
    from toolkit_assistant.config import Settings
    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.session.pack import SessionPack
    from toolkit_assistant.types import Answer

UPLOAD_TYPES = [".pdf", ".md", ".markdown", ".txt"]
DRAFT_POLL_S = 0.1  # how long the chat handler waits for more streamed text before it checks the worker again


def as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """A filter value from the UI or the API: a list, or a comma-separated string."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return tuple(v.strip() for v in items if v and v.strip())


def check_case(answer: Answer, facts: Sequence[str], must_refuse: bool) -> tuple[bool, list[str]]:
    """Quick check of one added case: (passed, problems), with facts as case-insensitive regexes."""
    problems: list[str] = []
    if must_refuse:
        if not answer.abstained:
            problems.append("expected the assistant to decline, but it answered")
        return not problems, problems
    if answer.abstained:
        return False, ["the assistant declined, but an answer was expected"]
    text = re.sub(r"\s*\[\d+\]", "", answer.text)
    for fact in facts:
        try:
            ok = re.search(fact, text, re.IGNORECASE) is not None
        except re.error:
            ok = fact.lower() in text.lower()
        if not ok:
            problems.append(f"expected fact not found: {fact}")
    return not problems, problems


def error_text(exc: BaseException, lang: str = "en") -> str:
    """What the app shows for an error, in the user's language where the app has the text (the index server
    not answering); other errors keep their own (English) message."""
    if isinstance(exc, IndexServerDown):
        from toolkit_assistant.app.i18n import ui_text

        return ui_text("index_server_down", lang).format(url=exc.url)
    return str(exc)


class AppActions:
    """The app's actions, without Gradio types in their signatures where possible."""

    def __init__(self, assistant: Assistant | Warmup, settings: Settings) -> None:
        """Serve this assistant (or the one a warm-up is opening) with these settings."""
        self.warmup = assistant if isinstance(assistant, Warmup) else Warmup.of(assistant)
        self.settings = settings

    @property
    def assistant(self) -> Assistant:
        """The Assistant, waiting for the warm-up when it is still opening the index (ToolkitError if it failed)."""
        return self.warmup.get()

    @property
    def ready(self) -> bool:
        """Whether the Assistant is open (a question is answered without waiting for the index and models)."""
        return self.warmup.ready

    # --- ask
    def ask(self, question: str, backend: str = "", doc_ids: Any = "", kinds: Any = "",
            language: str | None = None, explain: bool = False) -> Answer:
        """One answer (raises InputError for a bad question); the assistant's own sentences (declines, partial
        answers, notices) in `language` when given (the interface's), else in the question's. With `explain`,
        the answer carries the trace of its decision (the Evaluate tab shows it)."""
        from toolkit_assistant.retrieve import Filters

        filters = Filters(doc_ids=as_tuple(doc_ids), kinds=as_tuple(kinds))
        return self.assistant.ask(question or "", backend=(backend or None), filters=filters,
                                  reply_language=language, explain=explain)

    def stream_ask(self, question: str, backend: str = "", doc_ids: Any = "", kinds: Any = "",
                   *, poll_s: float = DRAFT_POLL_S, language: str | None = None) -> Iterator[str | Answer]:
        """The growing raw draft (str) while an LLM backend writes, then the final verified Answer.

        The extractive backend yields the Answer only. For the others, Assistant.ask runs in a worker thread and
        its `on_token` pieces are collected here; citations and verification apply to the complete draft only,
        so every str yielded is unverified model text.

        Raises:
            ToolkitError: what ask() raises (e.g. InputError for a bad question), once the worker has ended.
        """
        from toolkit_assistant.retrieve import Filters

        name = backend or self.assistant.backend
        if name == "extractive":
            yield self.ask(question, name, doc_ids, kinds, language)
            return
        filters = Filters(doc_ids=as_tuple(doc_ids), kinds=as_tuple(kinds))
        pieces: queue.Queue[str] = queue.Queue()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["answer"] = self.assistant.ask(question or "", backend=name, filters=filters,
                                                       on_token=pieces.put, reply_language=language)
            except Exception as exc:  # noqa: BLE001 - handed to the caller's thread below
                outcome["error"] = exc

        worker = threading.Thread(target=work, name=f"ask-{name}", daemon=True)
        worker.start()
        draft = ""
        while True:
            finished = not worker.is_alive()  # read before draining: a finished worker has queued every piece
            new = _drain(pieces, 0.0 if finished else poll_s)
            if new:
                draft += new
                yield draft
            if finished:
                break
        worker.join()
        if "error" in outcome:
            raise outcome["error"]
        yield outcome["answer"]

    def documents(self) -> list[dict[str, Any]]:
        """The documents in the index (re-read if another process published a new index)."""
        self.assistant.reader.refresh(min_interval_s=0)
        return self.assistant.reader.documents()

    # --- uploads
    def uploads_dir(self) -> Path:
        """Where uploaded files are kept (beside the index)."""
        return self.settings.index_dir.parent / "uploads"

    def ingest_uploads(self, files: Sequence[str], progress: Callable[[str], None] | None = None,
                       on_step: Callable[[Any], None] | None = None) -> list[str]:
        """Copy uploaded files into the uploads folder and index them; one message per file.

        A file that cannot be read is named with the reason; it leaves the index as it was. `on_step` hears
        where the ingest is (an `indexer.IngestStep`: file k/n, page p/m, embeddings done).
        """
        if not self.settings.allow_uploads:
            raise InputError("Uploads are turned off on this server (TOOLKIT_ALLOW_UPLOADS=false)")
        if not files:
            raise InputError("Choose one or more files (PDF, Markdown or text) first")
        folder = self.uploads_dir()
        folder.mkdir(parents=True, exist_ok=True)
        messages: list[str] = []
        staged: dict[str, tuple[Path, bytes | None]] = {}
        for f in files:
            src = Path(f)
            name = re.sub(r"[^\w.-]+", "_", src.name).lstrip(".") or "upload.txt"
            if Path(name).suffix.lower() not in UPLOAD_TYPES:
                messages.append(f"{src.name}: not added: unsupported file type (use {', '.join(UPLOAD_TYPES)})")
                continue
            dest = folder / name
            backup = dest.read_bytes() if dest.exists() else None
            shutil.copyfile(src, dest)
            staged[str(dest.resolve())] = (dest, backup)
        if not staged:
            return messages
        report = ingest_with(self.settings, [p for p, _ in staged.values()], embedder=self.assistant.embedder,
                             progress=progress, on_step=on_step)
        bad = {str(Path(f).resolve()): reason for f, reason in report.skipped}
        for key, (dest, backup) in staged.items():
            if key in bad:
                messages.append(f"{dest.name}: not added: {bad[key]}")
                if backup is None:
                    dest.unlink(missing_ok=True)
                else:
                    dest.write_bytes(backup)
            elif any(key == str(Path(a).resolve()) for a in report.added):
                messages.append(f"{dest.name}: added")
            elif any(key == str(Path(a).resolve()) for a in report.updated):
                messages.append(f"{dest.name}: updated (its old chunks were replaced)")
            else:
                messages.append(f"{dest.name}: already in the index, unchanged")
        self.assistant.reader.refresh(min_interval_s=0)
        messages.append(f"The index now holds {report.documents} documents, {report.chunks} chunks.")
        return messages

    # --- session packs
    def prepare(self, topic: str, minutes: int = 60, audience: str = "",
                progress: Callable[[float, str], None] | None = None, lang: str = "en") -> SessionPack:
        """A session pack on a topic, its own words in `lang` (raises InputError when the topic is not covered)."""
        from toolkit_assistant.session.build import build_session

        return build_session(self.assistant, topic, minutes=int(minutes or 60), audience=audience or "",
                             progress=progress, lang=lang)

    def custom_cases_path(self) -> Path:
        """Where cases added in the Evaluate tab are saved."""
        return self.settings.index_dir.parent / "evals" / "custom.jsonl"

    def run_added_case(self, question: str, facts: list[str], category: str, sections: list[str],
                       must_refuse: bool) -> tuple[dict[str, Any], bool, list[str], Path]:
        """Score one new case at once (with the eval suite when it is installed) and save it.

        Returns:
            The case record, whether it passed, the reasons it failed, and the file it was saved to.

        Raises:
            InputError: the question or a field of the case is not valid.
        """
        from toolkit_assistant.intake import validate_question
        from toolkit_assistant.text import detect_language

        question = validate_question(question, self.assistant.max_question_chars)
        rec: dict[str, Any] = {"id": f"app-{time.strftime('%Y%m%d-%H%M%S')}", "category": category,
                               "language": detect_language(question), "question": question, "key_facts": facts,
                               "expected_sections": sections, "must_refuse": must_refuse or category == "out_of_scope"}
        try:
            from toolkit_assistant.evals.cases import parse_case
            from toolkit_assistant.evals.runner import run_eval
        except (ImportError, AttributeError):
            passed, reasons = check_case(self.assistant.ask(question), facts, rec["must_refuse"])
        else:
            try:
                case = parse_case(rec, "the case added in the app")
                result = run_eval(self.assistant, [case])
            except ValueError as exc:
                raise InputError(str(exc)) from exc
            outcome = result.cases[0]
            passed = bool(outcome.passed)
            reasons = list(outcome.reasons) + ([outcome.error] if outcome.error else [])
            rec = case.to_dict()
        path = self.custom_cases_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return rec, passed, reasons, path


def _drain(pieces: queue.Queue[str], wait_s: float) -> str:
    """Every piece in the queue, joined; waits up to wait_s for the first one (0: no wait)."""
    got: list[str] = []
    try:
        got.append(pieces.get(timeout=wait_s) if wait_s > 0 else pieces.get_nowait())
        while True:
            got.append(pieces.get_nowait())
    except queue.Empty:
        pass
    return "".join(got)
