"""Serving the app: login pairs from TOOLKIT_AUTH, the index opened (or first built), Gradio launched."""

from __future__ import annotations

from typing import Any

from toolkit_assistant.app.exports import eval_reports_dir, export_dir
from toolkit_assistant.app.i18n import ui_i18n
from toolkit_assistant.app.i18n.direction import LANG_CSS, with_lang_js
from toolkit_assistant.app.layout import build_ui
from toolkit_assistant.app.pack_view import PACK_CSS
from toolkit_assistant.app.pages import page_routes
from toolkit_assistant.app.render import CSS, JS
from toolkit_assistant.auth import parse_auth
from toolkit_assistant.config import Settings, apply_offline_env
from toolkit_assistant.health import health_routes
from toolkit_assistant.wiring import open_assistant


def launch(settings: Settings) -> None:
    """Open (or first build) the index and serve the app on settings.host:settings.port until stopped."""
    apply_offline_env(settings.state_dir)
    auth = parse_auth(settings.auth)
    assistant = open_assistant(settings, echo=lambda m: print(m, flush=True))
    demo = build_ui(assistant, settings)
    from toolkit_assistant.openai_api import openai_router  # /v1/chat/completions, /v1/models
    app_kwargs: dict[str, Any] = {"routes": [
        *health_routes(assistant),  # GET /healthz, no login
        *page_routes(assistant),  # GET /original/page, /image, /file: behind the login like the rest
        *openai_router(assistant, auth, concurrency=settings.concurrency_limit).routes,
    ]}
    if auth:  # every route wants the login, not only those Gradio checks (see app/login.py)
        from starlette.middleware import Middleware

        from toolkit_assistant.app.login import LoginRequired

        app_kwargs["middleware"] = [Middleware(LoginRequired)]
    demo.queue(max_size=settings.max_queue, default_concurrency_limit=settings.concurrency_limit)
    print(f"toolkit-assistant: http://{settings.host}:{settings.port}" + (" (login required)" if auth else ""),
          flush=True)
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
    )
