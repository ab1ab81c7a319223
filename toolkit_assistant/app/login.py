"""With TOOLKIT_AUTH set, every route of the app wants a login: an ASGI middleware in front of Gradio's own.

Gradio checks the login on its API routes, but some of its routes answer anyone (FastAPI's /openapi.json with the
list of routes, /gradio_api/app_id, /gradio_api/runs, /monitoring, validation errors of /gradio_api/reset, ...).
This middleware lets through only the login page and the static files it needs; everything else wants Gradio's
session cookie. The /v1 routes check their own `Authorization: Bearer user:password` and pass through.
"""

from __future__ import annotations

from typing import Any

PUBLIC_PATHS = frozenset({"/", "/login", "/login/", "/logout", "/favicon.ico", "/theme.css", "/gradio_api/theme.css",
                          "/robots.txt", "/manifest.json",
                          "/gradio_api/startup-events",  # Gradio calls it at launch; it answers a bool
                          "/healthz"})  # the reverse proxy's health check: status only, no data
PUBLIC_PREFIXES = ("/static/", "/assets/", "/svelte/", "/pwa_icon", "/v1/")


def _cookies(scope: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key:
                    out[key] = val
    return out


class LoginRequired:
    """ASGI middleware: a request to a non-public path without a valid Gradio login gets 401."""

    def __init__(self, app: Any) -> None:
        """Wrap the ASGI app (Starlette passes it)."""
        self.app = app

    def logged_in(self, scope: dict[str, Any]) -> bool:
        """Whether the request carries a session cookie that Gradio issued (at /login)."""
        gradio_app = scope.get("app")
        tokens = getattr(gradio_app, "tokens", None)
        cookie_id = getattr(gradio_app, "cookie_id", None)
        if tokens is None or cookie_id is None:
            return False
        cookies = _cookies(scope)
        token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
        return bool(token) and tokens.get(token) is not None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Pass public paths and logged-in requests on; answer 401 to the rest."""
        if scope.get("type") not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "") or "/"
        root = scope.get("root_path", "") or ""
        if root and path.startswith(root):
            path = path[len(root):] or "/"
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or self.logged_in(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = b'{"detail": "Not authenticated: sign in first"}'
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
