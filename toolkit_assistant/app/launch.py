"""Serving the app: login pairs from TOOLKIT_AUTH, the index opened (or first built), Gradio launched."""

from __future__ import annotations

from pathlib import Path

from toolkit_assistant.app.exports import eval_reports_dir, export_dir
from toolkit_assistant.app.i18n import ui_i18n
from toolkit_assistant.app.layout import build_ui
from toolkit_assistant.app.render import CSS
from toolkit_assistant.config import Settings, apply_offline_env
from toolkit_assistant.wiring import open_assistant


def parse_auth(spec: str | None) -> list[tuple[str, str]] | None:
    """Login pairs from 'user:pass,user2:pass2' or from a file with one user:pass a line.

    Raises:
        ConfigError: the setting is present but holds no valid user:pass pair.
    """
    from toolkit_assistant.errors import ConfigError

    if not spec or not spec.strip():
        return None
    spec = spec.strip()
    path = Path(spec).expanduser()
    if ":" not in spec or path.is_file():
        if not path.is_file():
            raise ConfigError(f"TOOLKIT_AUTH: {spec!r} is neither user:pass pairs nor a readable file")
        entries = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    else:
        entries = [e.strip() for e in spec.split(",")]
    pairs = []
    for entry in entries:
        if not entry or entry.startswith("#"):
            continue
        user, sep, password = entry.partition(":")
        if not sep or not user.strip() or not password:
            raise ConfigError("TOOLKIT_AUTH: each entry must be user:password (one that is not was found)")
        pairs.append((user.strip(), password))
    if not pairs:
        raise ConfigError("TOOLKIT_AUTH is set but holds no user:password pair")
    return pairs


def launch(settings: Settings) -> None:
    """Open (or first build) the index and serve the app on settings.host:settings.port until stopped."""
    apply_offline_env(settings.state_dir)
    auth = parse_auth(settings.auth)
    assistant = open_assistant(settings, echo=lambda m: print(m, flush=True))
    demo = build_ui(assistant, settings)
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
        css=CSS,
    )
