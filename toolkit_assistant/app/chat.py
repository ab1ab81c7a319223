"""The Ask tab's conversation: follow-ups rewritten with the previous question, answers streamed as steps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from toolkit_assistant.app.actions import error_text
from toolkit_assistant.app.exports import write_export
from toolkit_assistant.app.i18n import ui_text
from toolkit_assistant.app.render import (
    answer_markdown,
    chat_text,
    draft_message,
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


def chat_steps(actions: AppActions, q: str, messages: list[dict[str, Any]] | None, hist: list[dict[str, str]] | None,
               be: str, docs: Any, kinds: Any, lang: str = "en") -> Iterator[tuple[Any, ...]]:
    """The Ask tab's chat handler, as a generator of the outputs (chat, history, sources, download, markdown,
    nearby topics, question box).

    An LLM backend yields a step per batch of streamed text, marked as an unverified draft, then the verified
    answer with its sources panel; the extractive backend yields the answer in one step.
    """
    import gradio as gr

    q = (q or "").strip()
    if not q:
        gr.Warning(ui_text("warn_empty_question", lang))
        yield (gr.skip(),) * 7
        return
    previous = hist[-1]["effective"] if hist else None
    effective = rewrite_followup(q, previous)
    messages = list(messages or []) + [{"role": "user", "content": md_escape(q)}]
    answer: Answer | None = None
    try:
        for step in actions.stream_ask(effective, be, docs, kinds):
            if isinstance(step, str):
                shown = [*messages, {"role": "assistant", "content": draft_message(step, lang)}]
                yield shown, gr.skip(), render_checking(lang), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            else:
                answer = step
    except ToolkitError as exc:
        shown = error_text(exc, lang)  # the index server not answering: said in the user's language
        messages.append({"role": "assistant", "content": f"**Not asked:** {md_escape(shown)}"})
        yield (messages, hist, render_error(shown), gr.skip(), gr.skip(), gr.Dataset(samples=[], visible=False),
               q)
        return
    assert answer is not None  # stream_ask always ends with the Answer
    messages.append({"role": "assistant", "content": chat_text(answer, q, effective)})
    hist = (list(hist or []) + [{"question": q, "effective": effective}])[-20:]
    md = answer_markdown(answer, asked=q)
    path = write_export(md, f"answer-{q[:40]}")
    samples = [[f"What do the materials say about {re.split(r' [(]', t, maxsplit=1)[0]}?"]
               for t in useful_topics(answer)]
    yield (messages, hist, render_sources(answer), gr.DownloadButton(value=path, visible=True), md,
           gr.Dataset(samples=samples, visible=bool(samples)), "")
