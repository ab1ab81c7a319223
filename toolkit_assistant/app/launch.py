"""Serving the app: Gradio up first, then the index opened (or first built) in the background.

The first page does not wait for the index or the embedding models: `launch` imports Gradio (without the parts
of its import the app never uses, app/gradio_import.py), builds the Blocks and starts the server, and only then
opens the Assistant in a warm-up thread (toolkit_assistant/warmup.py). Until it is open the page shows a
"loading" notice, a question waits for it (the chat says so), /healthz answers 503 "starting", and the API
routes wait for it too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any

from toolkit_assistant.auth import parse_auth
from toolkit_assistant.config import Settings, apply_offline_env
from toolkit_assistant.warmup import Warmup


class _Current:
    """The Assistant the warm-up has open now, for the page routes (a request waits until one is open)."""

    def __init__(self, warmup: Warmup) -> None:
        self.warmup = warmup

    @property
    def reader(self) -> Any:
        """The open Assistant's index reader."""
        return self.warmup.get().reader

    @property
    def foreign(self) -> Any:
        """Its multilingual Assistant, if open."""
        return getattr(self.warmup.get(), "foreign", None)


def launch(settings: Settings) -> None:
    """Serve the app on settings.host:settings.port until stopped; the index opens (or is built) meanwhile."""
    apply_offline_env(settings.state_dir)
    auth = parse_auth(settings.auth)
    from toolkit_assistant.app.gradio_import import import_gradio

    import_gradio()
    from toolkit_assistant.app.exports import eval_reports_dir, export_dir
    from toolkit_assistant.app.i18n import ui_i18n
    from toolkit_assistant.app.i18n.direction import LANG_CSS, with_lang_js
    from toolkit_assistant.app.layout import build_ui
    from toolkit_assistant.app.pack_view import PACK_CSS
    from toolkit_assistant.app.pages import page_routes
    from toolkit_assistant.app.render import CSS, JS
    from toolkit_assistant.health import health_routes
    from toolkit_assistant.openai_api import openai_router  # /v1/chat/completions, /v1/models
    from toolkit_assistant.wiring import open_in_steps

    def say(message: str) -> None:
        print(message, flush=True)

    def steps(report: Callable[[str], None]) -> Iterator[Any]:
        try:
            yield from open_in_steps(settings, lambda m: (say(m), report(m)))
        except Exception as exc:  # the app stays up and says so (page, /healthz); the console says it too
            print(f"toolkit-assistant: the index could not be opened: {exc}", file=sys.stderr, flush=True)
            raise

    warmup = Warmup(steps)
    demo = build_ui(warmup, settings)
    app_kwargs: dict[str, Any] = {"routes": [
        *health_routes(warmup),  # GET /healthz, no login
        *page_routes(_Current(warmup)),  # GET /original/page, /image, /file: behind the login like the rest
        *openai_router(warmup, auth, concurrency=settings.concurrency_limit).routes,
    ]}
    if auth:  # every route wants the login, not only those Gradio checks (see app/login.py)
        from starlette.middleware import Middleware

        from toolkit_assistant.app.login import LoginRequired

        app_kwargs["middleware"] = [Middleware(LoginRequired)]
    demo.queue(max_size=settings.max_queue, default_concurrency_limit=settings.concurrency_limit)
    demo.launch(
        i18n=ui_i18n(),
        server_name=settings.host,
        server_port=settings.port,
        share=False,
        auth=auth,
        auth_message="Sign in to toolkit-assistant." if auth else None,
        max_file_size=f"{settings.max_file_mb:g}mb",
        allowed_paths=[str(export_dir()), str(eval_reports_dir(settings))],
        footer_links=["api"],
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        show_error=False,
        quiet=True,
        css=CSS + PACK_CSS + LANG_CSS,  # LANG_CSS: the page's language (examples shown, right to left for Arabic)
        js=with_lang_js(JS),
        app_kwargs=app_kwargs,
        prevent_thread_lock=True,  # returns once the server answers; block_thread() below keeps it serving
    )
    print(f"toolkit-assistant: http://{settings.host}:{settings.port}" + (" (login required)" if auth else "")
          + "; loading the index and the models...", flush=True)
    warmup.start()
    demo.block_thread()
