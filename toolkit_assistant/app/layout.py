"""The app's Blocks: four tabs (Ask, Prepare a session, Evaluate, Library) and the API endpoints."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit_assistant.app.actions import UPLOAD_TYPES, AppActions, as_tuple
from toolkit_assistant.app.chat import (
    available_backends,
    chat_steps,
    conversation_markdown,
    filter_status,
    sources_for_message,
    warmup_notice,
)
from toolkit_assistant.app.eval_tab import (
    CASE_CATEGORIES,
    gold_case_index,
    progress_adapter,
    render_eval,
    render_explain,
    result_data,
    select_cases,
)
from toolkit_assistant.app.exports import eval_reports_dir, pack_file_keys, write_export, write_pack_files
from toolkit_assistant.app.i18n import (
    EXAMPLE_TOPICS,
    EXAMPLES,
    UI_LANGUAGES,
    UI_TEXT,
    request_language,
    topic_label,
    ui_i18n,
    ui_text,
)
from toolkit_assistant.app.i18n.direction import examples_id
from toolkit_assistant.app.pack_view import render_pack
from toolkit_assistant.app.render import esc, render_documents, render_error, render_sources
from toolkit_assistant.errors import ToolkitError
from toolkit_assistant.evals.cases import GOLD_CASES

if TYPE_CHECKING:
    import gradio as gr

    from toolkit_assistant.config import Settings
    from toolkit_assistant.pipeline import Assistant

APP_TITLE = "toolkit-assistant: AI and the rule of law"


def _filter_choices(rows: list[dict[str, Any]]) -> tuple[list[tuple[str, str]], list[str]]:
    docs = [(f"{r['title']} ({r['doc_id']})", r["doc_id"]) for r in rows]
    kinds = sorted({r["kind"] for r in rows if r.get("kind")})
    return docs, kinds


def build_ui(assistant: Assistant, settings: Settings) -> gr.Blocks:
    """The app's Blocks: four tabs and the API endpoints /ask, /sources, /prepare, /documents.

    Labels, buttons, tab names, placeholders and help texts are i18n keys (UI_TEXT): launch the Blocks with
    `i18n=ui_i18n()` (as `launch` does) so the browser shows them in its language.
    """
    import gradio as gr

    actions = AppActions(assistant, settings)
    limit = settings.concurrency_limit
    # under `serve` the index is still opening: the Library and the filters are filled on page load (library_on_load)
    rows = actions.documents() if actions.ready else []
    doc_choices, kind_choices = _filter_choices(rows)
    i18n = ui_i18n()

    def t(key: str) -> Any:
        """The i18n key for an interface text (a str in HTML f-strings); KeyError names a missing key."""
        if key not in UI_TEXT:
            raise KeyError(f"No interface text {key!r}: add it to every file in toolkit_assistant/app/i18n/")
        return i18n(key)

    empty_sources = render_sources(None, empty=str(t("sources_empty")))
    backends = available_backends(settings)
    max_q = int(settings.max_question_chars)

    with gr.Blocks(title=APP_TITLE, analytics_enabled=False) as demo:
        gr.HTML(
            "<h1 style='margin:.2rem 0'>toolkit-assistant</h1>"
            f"<p class='ta-intro'>{t('app_intro')}</p>",
            js_on_load=None,
        )
        # what the warm-up is doing (serve opens the index after the page is up); empty once everything is open
        warmup_line = gr.HTML("", elem_id="warmup-status", js_on_load=None)

        def on_warmup(request: Any = None) -> Iterator[str]:
            lang = request_language(request)
            shown = None
            while True:
                html, over = warmup_notice(actions.warmup, lang)
                if html != shown:
                    shown = html
                    yield html
                if over:
                    return
                actions.warmup.wait_all(1.0)

        on_warmup.__annotations__ = {"request": gr.Request}
        demo.load(on_warmup, None, warmup_line, api_visibility="private", show_progress="hidden",
                  concurrency_limit=None)  # waits without holding one of the answering workers
        with gr.Tabs():
            # ------------------------------------------------------------ Ask
            with gr.Tab(t("tab_ask"), id="ask", elem_id="tab-ask"):
                gr.HTML(f"<p class='ta-intro'>{t('ask_intro')}</p>", js_on_load=None)
                history = gr.State([])
                # the conversation kept in this browser (localStorage), so that a page reload brings it back
                saved = gr.BrowserState({"messages": [], "hist": []}, storage_key="toolkit-assistant-conversation")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(
                            label=t("chat_label"), height=460, buttons=[],
                            latex_delimiters=[], sanitize_html=True, feedback_options=None,
                            elem_id="chat", layout="bubble", placeholder=t("chat_placeholder"),
                            autoscroll=False,  # the launch JS brings the start of a new answer into view instead
                        )
                        with gr.Row():
                            question = gr.Textbox(
                                label=t("question_label"), placeholder=t("question_placeholder"), lines=1,
                                max_lines=4, scale=5, elem_id="question", autofocus=True, max_length=max_q,
                            )
                            ask_btn = gr.Button(t("ask_button"), variant="primary", scale=1, elem_id="ask-btn")
                        # the length of the question against its limit (the launch JS keeps it up to date)
                        gr.HTML(f'<div id="question-counter" class="ta-counter" data-limit="{max_q}">0 / {max_q}</div>',
                                js_on_load=None)
                        filter_line = gr.HTML("", elem_id="filter-status", js_on_load=None)
                    with gr.Column(scale=2):
                        gr.HTML(f"<h3 style='margin:.2rem 0'>{t('sources_heading')}</h3>", js_on_load=None)
                        sources = gr.HTML(empty_sources, elem_id="sources-panel", js_on_load=None)
                # below the chat and the sources (so on a phone the sources come right after the answer); one block
                # of examples a language, all in the page: the stylesheet shows the page's (i18n/direction.py)
                for lang_ in UI_LANGUAGES:
                    gr.Examples([[e.question] for e in EXAMPLES[lang_]], inputs=[question], label=t("examples_label"),
                                api_visibility="private", elem_id=examples_id("examples", lang_))
                topics = gr.Dataset(components=["textbox"], samples=[], label=t("topics_label"),
                                    visible=False, elem_id="nearest-topics")
                with gr.Row():
                    new_btn = gr.Button(t("new_conversation"), size="sm")
                    download = gr.DownloadButton(t("download_answer"), visible=False, size="sm",
                                                 elem_id="answer-download")
                with gr.Accordion(t("filters_accordion"), open=False):
                    doc_filter = gr.Dropdown(doc_choices, multiselect=True, value=[],
                                             label=t("doc_filter_label"))
                    kind_filter = gr.Dropdown(kind_choices, multiselect=True, value=[],
                                              label=t("kind_filter_label"))
                    backend = gr.Dropdown(backends, value=settings.backend if settings.backend in backends
                                          else "extractive", label=t("backend_label"), info=t("backend_info"))
                with gr.Accordion(t("markdown_accordion"), open=False):
                    md_box = gr.Textbox(label=t("markdown_label"), lines=8, interactive=False,
                                        buttons=["copy"], elem_id="answer-markdown")

                def on_ask(q: str, messages: list[dict[str, Any]], hist: list[dict[str, str]], be: str,
                           docs: list[str], kinds: list[str], request: Any = None) -> Iterator[tuple[Any, ...]]:
                    lang = request_language(request)
                    yield from chat_steps(actions, q, messages, hist, be, docs, kinds, lang)

                # `from __future__ import annotations` turns hints into strings Gradio cannot resolve here;
                # give it the class so it passes the gr.Request (for the browser's Accept-Language).
                on_ask.__annotations__ = {"request": gr.Request}

                ask_outputs = [chat, history, sources, download, md_box, topics, question]
                ask_inputs = [question, chat, history, backend, doc_filter, kind_filter]

                def unlock() -> tuple[Any, ...]:
                    return gr.Textbox(interactive=True), gr.Button(interactive=True)

                # while an answer is being written the button and box are locked (a second question is never
                # silently dropped), and unlocked when it is done; our own 'writing' note replaces Gradio's
                # time estimate, which is wrong for a model's first answer
                for trigger, name in ((ask_btn.click, "chat"), (question.submit, "chat_submit")):
                    trigger(lambda: gr.Button(interactive=False), None, ask_btn, queue=False,
                            api_visibility="private", show_progress="hidden")
                    trigger(on_ask, ask_inputs, ask_outputs, api_name=name, concurrency_limit=limit,
                            show_progress="hidden", api_visibility="undocumented").then(
                        unlock, None, [question, ask_btn], queue=False, api_visibility="private",
                        show_progress="hidden").then(
                        lambda m, h: {"messages": m or [], "hist": h or []}, [chat, history], saved, queue=False,
                        api_visibility="private", show_progress="hidden")

                def on_restore(kept: dict[str, Any] | None, request: Any = None) -> tuple[Any, ...]:
                    kept = kept if isinstance(kept, dict) else {}
                    msgs, hist = list(kept.get("messages") or []), list(kept.get("hist") or [])
                    if not msgs:
                        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
                    panel = str(hist[-1].get("sources")) if hist and hist[-1].get("sources") else empty_sources
                    md = conversation_markdown(hist, request_language(request))
                    dl = (gr.DownloadButton(value=write_export(md, "conversation"), visible=True) if md
                          else gr.skip())
                    return msgs, hist, panel, dl

                on_restore.__annotations__ = {"request": gr.Request}
                demo.load(on_restore, saved, [chat, history, sources, download], api_visibility="private",
                          show_progress="hidden")

                def on_filters(docs: list[str], kinds: list[str], request: Any = None) -> str:
                    lang = request_language(request)
                    now = actions.assistant.reader.documents() if actions.ready else []
                    titles = {r["doc_id"]: str(r.get("title", r["doc_id"])) for r in now}
                    return filter_status(docs, kinds, lang, titles)

                on_filters.__annotations__ = {"request": gr.Request}
                for dd in (doc_filter, kind_filter):
                    dd.change(on_filters, [doc_filter, kind_filter], filter_line, queue=False,
                              api_visibility="private", show_progress="hidden")

                def on_select(hist: list[dict[str, Any]], evt: gr.SelectData) -> Any:
                    index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
                    panel = sources_for_message(hist, int(index))
                    return panel if panel is not None else gr.skip()

                on_select.__annotations__ = {"evt": gr.SelectData}
                chat.select(on_select, history, sources, api_visibility="private", show_progress="hidden")

                def on_new() -> tuple[Any, ...]:
                    return [], [], empty_sources, gr.DownloadButton(visible=False), "", \
                        gr.Dataset(samples=[], visible=False), ""

                new_btn.click(on_new, None, [chat, history, sources, download, md_box, topics, question],
                              api_name="new_conversation", api_visibility="private").then(
                    lambda: {"messages": [], "hist": []}, None, saved, queue=False, api_visibility="private")
                chat.clear(on_new, None, [chat, history, sources, download, md_box, topics, question],
                           api_name="clear_conversation", api_visibility="private").then(
                    lambda: {"messages": [], "hist": []}, None, saved, queue=False, api_visibility="private")
                topics.click(lambda sample: sample[0] if sample else "", topics, question,
                             api_name="nearest_topic", api_visibility="private")

            # ------------------------------------------------------------ Prepare
            with gr.Tab(t("tab_prepare"), id="prepare", elem_id="tab-prepare"):
                gr.HTML(f"<p class='ta-intro'>{t('prepare_intro')}</p>", js_on_load=None)
                with gr.Row():
                    topic = gr.Textbox(label=t("topic_label"), placeholder=t("topic_placeholder"), scale=3,
                                       elem_id="topic")
                    # no minimum/maximum here: Gradio would refuse 10 with a bare toast and an 'Error' badge
                    # over the last pack; on_prepare checks the range and says so where the pack would be
                    minutes = gr.Number(value=60, step=5, label=t("minutes_label"), info=t("minutes_info"),
                                        scale=1, elem_id="minutes")
                    audience = gr.Textbox(label=t("audience_label"), placeholder=t("audience_placeholder"),
                                          scale=2, elem_id="audience", max_length=200)
                with gr.Row():
                    build_btn = gr.Button(t("build_pack"), variant="primary", elem_id="build-pack")
                # the trainer's pack, the handout and the slides (Word and PowerPoint with the office extra)
                file_keys = pack_file_keys()
                labels = {"pack": t("download_pack"), "handout": t("download_handout"), "slides": t("download_slides"),
                          "handout_docx": t("download_handout_docx"), "slides_pptx": t("download_slides_pptx")}
                with gr.Row(elem_id="pack-downloads"):
                    pack_files = [gr.DownloadButton(labels[key], visible=False, size="sm",
                                                    elem_id=f"{key.replace('_', '-')}-download") for key in file_keys]
                for lang_ in UI_LANGUAGES:  # one block a language, as for the example questions
                    topic_examples = gr.Examples(
                        [[x.topic, x.minutes, x.audience] for x in EXAMPLE_TOPICS[lang_]],
                        inputs=[topic, minutes, audience], label=t("example_topics_label"), api_visibility="private",
                        elem_id=examples_id("topic-examples", lang_),
                        example_labels=[topic_label(x, lang_) for x in EXAMPLE_TOPICS[lang_]])
                    # the inputs' labels are i18n keys, which Gradio's Dataset prints raw as column headers: none
                    topic_examples.dataset.headers = []
                pack_html = gr.HTML(f"<p class='ta-empty'>{t('pack_empty')}</p>", elem_id="pack", js_on_load=None)
                with gr.Accordion(t("pack_accordion"), open=False):
                    pack_md = gr.Textbox(label=t("pack_md_label"), lines=12, interactive=False, buttons=["copy"])

                def on_prepare(topic_text: str, mins: float | None, aud: str, request: gr.Request,
                               progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
                    lang = request_language(request)
                    hidden = [gr.DownloadButton(visible=False) for _ in file_keys]
                    if mins is None or not 15 <= float(mins) <= 480:
                        shown = "" if mins is None else f"{float(mins):g}"
                        return (render_error(ui_text("minutes_invalid", lang).format(value=shown or "?")), "",
                                *hidden)
                    try:
                        pack = actions.prepare(topic_text, int(round(float(mins))), aud or "",
                                               progress=lambda f, m: progress(f, desc=m), lang=lang)
                        paths = write_pack_files(pack)
                    except ToolkitError as exc:
                        return render_error(str(exc)), "", *hidden
                    return (render_pack(pack), pack.to_markdown(),
                            *[gr.DownloadButton(value=paths[key], visible=True) for key in file_keys])

                on_prepare.__annotations__ = {"request": gr.Request}
                build_btn.click(on_prepare, [topic, minutes, audience], [pack_html, pack_md, *pack_files],
                                api_name="build_pack", concurrency_limit=limit, api_visibility="undocumented")

            # ------------------------------------------------------------ Evaluate
            with gr.Tab(t("tab_evaluate"), id="evaluate", elem_id="tab-evaluate"):
                gr.HTML(f"<p class='ta-intro'>{t('evaluate_intro')}</p>", js_on_load=None)
                cats, ids = gold_case_index()
                with gr.Row():
                    eval_cats = gr.Dropdown(cats, multiselect=True, value=[], label=t("categories_label"))
                    # a text box, not a dropdown: the dropdown listed only 101 of the ids and took any typed text
                    eval_ids = gr.Textbox(label=t("case_ids_label"), elem_id="case-ids",
                                          placeholder=", ".join(ids[:3]) + (", ..." if len(ids) > 3 else ""))
                    eval_backend = gr.Dropdown(backends, value=settings.backend if settings.backend in backends
                                               else "extractive", label=t("eval_backend_label"))
                run_btn = gr.Button(t("run_eval"), variant="primary", elem_id="run-eval")
                eval_status = gr.HTML("", js_on_load=None)
                eval_metrics = gr.HTML("", js_on_load=None)
                eval_charts = gr.Gallery(label=t("charts_label"), columns=2, height="auto", object_fit="contain",
                                         visible=False)
                eval_fails = gr.HTML("", js_on_load=None)
                with gr.Row():
                    report_file = gr.DownloadButton(t("download_report"), visible=False, elem_id="report-download")
                    results_file = gr.DownloadButton(t("download_results"), visible=False)

                def on_eval(cat_sel: list[str], id_text: str, be: str, request: gr.Request,
                            progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
                    lang = request_language(request)
                    hidden = (gr.Gallery(visible=False), "", gr.DownloadButton(visible=False),
                              gr.DownloadButton(visible=False))
                    try:
                        from toolkit_assistant.evals.cases import load_cases
                        from toolkit_assistant.evals.report import write_report
                        from toolkit_assistant.evals.runner import run_eval
                    except (ImportError, AttributeError):
                        return render_error(ui_text("eval_missing", lang)), "", *hidden
                    id_sel = [x for x in re.split(r"[\s,;]+", id_text or "") if x]
                    unknown = [x for x in id_sel if x not in set(ids)]
                    if unknown:
                        return (render_error(ui_text("eval_unknown_ids", lang).format(
                            ids=", ".join(unknown[:10]), n=len(ids), example=ids[0])), "", *hidden)
                    try:
                        cases = select_cases(load_cases(GOLD_CASES), cat_sel or [], id_sel)
                        if not cases:
                            return render_error(ui_text("eval_no_match", lang)), "", *hidden
                        progress(0, desc=ui_text("eval_running", lang).format(n=len(cases)))
                        result = run_eval(actions.assistant, cases, backend=be or None,
                                          progress=progress_adapter(progress))
                        out_dir = eval_reports_dir(settings) / time.strftime("%Y%m%d-%H%M%S")
                        report = Path(write_report(result, out_dir))
                    except (ToolkitError, OSError, ValueError) as exc:
                        return render_error(ui_text("eval_failed", lang).format(error=exc)), "", *hidden
                    folder = report if report.is_dir() else report.parent
                    data = result_data(result, folder)
                    table, fails = render_eval(data, lang)
                    charts = sorted(str(p) for p in folder.glob("*.png"))
                    html_file = folder / "report.html"
                    json_file = folder / "results.json"
                    warns = "".join(f'<div class="ta-notice">{esc(w)}</div>' for w in data.get("warnings", []))
                    done = esc(ui_text("eval_done", lang)).format(n=len(cases), folder=f"<code>{esc(folder)}</code>")
                    return (f"<p>{done}</p>{warns}", table,
                            gr.Gallery(value=charts, visible=bool(charts)), fails,
                            gr.DownloadButton(value=str(html_file), visible=html_file.is_file()),
                            gr.DownloadButton(value=str(json_file), visible=json_file.is_file()))

                on_eval.__annotations__ = {"request": gr.Request}
                run_btn.click(on_eval, [eval_cats, eval_ids, eval_backend],
                              [eval_status, eval_metrics, eval_charts, eval_fails, report_file, results_file],
                              api_name="run_eval", concurrency_limit=1, api_visibility="undocumented",
                              show_progress_on=[eval_status])  # one progress bar, not one per output

                with gr.Accordion(t("add_case_accordion"), open=True):
                    new_q = gr.Textbox(label=t("new_question_label"), elem_id="new-case-question")
                    new_facts = gr.Textbox(label=t("facts_label"), lines=3, elem_id="new-case-facts")
                    with gr.Row():
                        new_cat = gr.Dropdown(CASE_CATEGORIES, value="answerable", label=t("category_label"))
                        new_sections = gr.Textbox(label=t("sections_label"))
                        new_refuse = gr.Checkbox(label=t("refuse_label"), value=False)
                    add_btn = gr.Button(t("add_case_button"), elem_id="add-case")
                    case_out = gr.HTML("", js_on_load=None, elem_id="new-case-result")

                def on_add_case(q: str, facts: str, cat: str, sections: str, refuse: bool,
                                request: Any = None) -> str:
                    lang = request_language(request)
                    fact_list = [f.strip() for f in (facts or "").splitlines() if f.strip()]
                    try:
                        answer = actions.ask(q, language=lang, explain=True)
                        rec, passed, reasons, path = actions.run_added_case(
                            q, fact_list, cat or "answerable", list(as_tuple(sections)), bool(refuse))
                    except ToolkitError as exc:
                        return render_error(str(exc))
                    verdict = '<span class="ta-pass">PASS</span>' if passed else '<span class="ta-fail">FAIL</span>'
                    probs = "".join(f"<li>{esc(p)}</li>" for p in reasons)
                    saved_to = esc(ui_text("case_saved", lang)).format(path=f"<code>{esc(path)}</code>")
                    return (f"<p>{verdict} <code>{esc(rec['id'])}</code> {esc(answer.question)}</p>"
                            + (f"<ul>{probs}</ul>" if probs else "")
                            + f"<blockquote class='ta-chunk'>{esc(answer.text)}</blockquote>"
                            + render_sources(answer, lang=lang)
                            + render_explain(answer.explain, lang)
                            + f"<p>{saved_to}</p><pre>{esc(json.dumps(rec, ensure_ascii=False))}</pre>")

                on_add_case.__annotations__ = {"request": gr.Request}
                add_btn.click(on_add_case, [new_q, new_facts, new_cat, new_sections, new_refuse], case_out,
                              api_name="add_case", concurrency_limit=1, api_visibility="undocumented")

            # ------------------------------------------------------------ Library
            with gr.Tab(t("tab_library"), id="library", elem_id="tab-library"):
                gr.HTML(f"<p class='ta-intro'>{t('library_intro')}</p>", js_on_load=None)
                docs_html = gr.HTML(render_documents(rows) if actions.ready else
                                    f"<p class='ta-empty'>{t('loading_index')}</p>", elem_id="library-table",
                                    js_on_load=None)
                refresh_btn = gr.Button(t("refresh_list"), size="sm")
                if settings.allow_uploads:
                    gr.HTML(f"<p>{t('upload_help')} <strong>{settings.max_file_mb:g} MB</strong></p>",
                            js_on_load=None, elem_id="upload-help")
                    upload = gr.File(file_count="multiple", file_types=UPLOAD_TYPES, type="filepath",
                                     label=t("files_label"), elem_id="upload")
                    ingest_btn = gr.Button(t("ingest_button"), variant="primary", elem_id="ingest-btn")
                    ingest_out = gr.HTML("", js_on_load=None)

                    def on_ingest(files: list[str] | None, request: gr.Request,
                                  progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
                        try:
                            # "file k/n name, page p/m", then the embeddings, on the progress bar
                            msgs = actions.ingest_uploads(
                                list(files or []), progress=lambda m: progress(None, desc=m),
                                on_step=lambda step: progress(step.fraction(), desc=step.message()))
                        except ToolkitError as exc:
                            return render_error(str(exc)), gr.skip(), gr.skip(), gr.skip()
                        new_rows = actions.documents()
                        dc, kc = _filter_choices(new_rows)
                        items = "".join(f"<li>{esc(m)}</li>" for m in msgs)
                        return (f"<ul>{items}</ul>", render_documents(new_rows, request_language(request)),
                                gr.Dropdown(choices=dc), gr.Dropdown(choices=kc))

                    on_ingest.__annotations__ = {"request": gr.Request}
                    ingest_btn.click(on_ingest, upload, [ingest_out, docs_html, doc_filter, kind_filter],
                                     api_name="ingest", concurrency_limit=1, api_visibility="undocumented",
                                     show_progress_on=[ingest_out])  # one progress bar, under the button
                else:
                    gr.HTML(f"<p class='ta-notice'>{t('uploads_off')}</p>", js_on_load=None, elem_id="uploads-off")

                def on_refresh(request: Any = None) -> tuple[Any, ...]:
                    new_rows = actions.documents()
                    dc, kc = _filter_choices(new_rows)
                    return (render_documents(new_rows, request_language(request)), gr.Dropdown(choices=dc),
                            gr.Dropdown(choices=kc))

                on_refresh.__annotations__ = {"request": gr.Request}

                refresh_btn.click(on_refresh, None, [docs_html, doc_filter, kind_filter],
                                  api_name="library", api_visibility="undocumented")
                demo.load(on_refresh, None, [docs_html, doc_filter, kind_filter], api_name="library_on_load",
                          api_visibility="private")

        # ------------------------------------------------------------ API
        def ask_api(question: str, backend: str = "", doc_ids: list[str] | str = "",
                    kinds: list[str] | str = "") -> dict[str, Any]:
            """Answer a question from the materials: the Answer JSON (question, answer, abstained, citations...)."""
            try:
                return actions.ask(question, backend, doc_ids, kinds).to_dict()
            except ToolkitError as exc:
                raise gr.Error(str(exc)) from exc

        def sources_api(question: str, backend: str = "", doc_ids: list[str] | str = "",
                        kinds: list[str] | str = "") -> str:
            """Answer a question and return its sources panel as HTML (document text escaped)."""
            try:
                return render_sources(actions.ask(question, backend, doc_ids, kinds))
            except ToolkitError as exc:
                raise gr.Error(str(exc)) from exc

        def prepare_api(topic: str, minutes: int = 60, audience: str = "", language: str = "en") -> str:
            """A trainer's session pack on a topic, as Markdown; its own words in `language` (en, fr, es)."""
            try:
                return actions.prepare(topic, minutes, audience, lang=language).to_markdown()
            except ToolkitError as exc:
                raise gr.Error(str(exc)) from exc

        def documents_api() -> list[dict[str, Any]]:
            """The documents in the index with their metadata and chunk counts (file names, not paths)."""
            return [{**{k: v for k, v in r.items() if k != "path"}, "file": Path(str(r.get("path", ""))).name}
                    for r in actions.documents()]

        gr.api(ask_api, api_name="ask", concurrency_limit=limit)
        gr.api(sources_api, api_name="sources", concurrency_limit=limit)
        gr.api(prepare_api, api_name="prepare", concurrency_limit=limit)
        gr.api(documents_api, api_name="documents", concurrency_limit=limit)
    return demo
