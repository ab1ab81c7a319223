"""A Model Context Protocol server (the `mcp` package) with three tools over the Assistant:

- `ask(question, doc_ids=None, kinds=None)`: the Answer JSON (verified answer, citations, coverage);
- `search(query, k=8)`: the hits, each with its text and citation fields;
- `sources()`: the documents in the index.

`toolkit-assistant mcp` speaks stdio (what desktop MCP clients start). `toolkit-assistant mcp --http` serves
streamable HTTP at http://127.0.0.1:PORT/mcp instead: bound to loopback only, and TOOLKIT_AUTH's login applies
(bearer user:password, or basic auth).
"""

from __future__ import annotations

import sys
from typing import Any

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def build_server(assistant: Any) -> Any:
    """An MCPServer with the ask, search and sources tools over `assistant`."""
    from mcp.server.mcpserver import MCPServer

    from toolkit_assistant.adapters import hit_metadata, make_filters
    from toolkit_assistant.intake import validate_question

    server = MCPServer(
        "toolkit-assistant",
        instructions=(
            "Answers from UNESCO's materials on AI and the rule of law, with verified citations. "
            "Quote the answer with its [n] markers and cite the sources; when coverage is 'none' the materials "
            "do not cover the question, and 'partial' means only part of it is covered: say so, do not fill the gap."
        ),
        log_level="WARNING",
    )

    @server.tool()
    def ask(question: str, doc_ids: list[str] | None = None, kinds: list[str] | None = None) -> dict[str, Any]:
        """Answer a question from the indexed materials, with citations (or decline). Returns the Answer JSON:
        answer (text with [n] markers), coverage (answered | partial | none), abstained, citations
        [{n, doc_id, title, section, page, source_url, chunk_id, quote, score}], verification, notices."""
        return dict(assistant.ask(question, filters=make_filters(doc_ids, kinds)).to_dict())

    @server.tool()
    def search(query: str, k: int = 8) -> dict[str, Any]:
        """Retrieve the passages most relevant to `query` (hybrid dense + BM25); each hit has its text and its
        citation fields (chunk_id, doc_id, title, section, section_title, page, status, source_url, score)."""
        q = validate_question(query, assistant.max_question_chars)
        hits, _ = assistant.retrieve(q, k=max(1, min(int(k), 50)))
        return {"query": q, "hits": [{**hit_metadata(h), "text": h.chunk.text} for h in hits]}

    @server.tool()
    def sources() -> dict[str, Any]:
        """The documents in the index: doc_id, title, kind, year, status, language, source_url, chunks, sections."""
        docs = [{k: v for k, v in row.items() if k != "path"} for row in assistant.reader.documents()]
        return {"documents": docs}

    return server


class _LoginMiddleware:
    """ASGI middleware: 401 unless the Authorization header passes `check`."""

    def __init__(self, app: Any, check: Any) -> None:
        self.app, self.check = app, check

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            if not self.check(headers.get("authorization")):
                from starlette.responses import PlainTextResponse

                resp = PlainTextResponse("Login required", status_code=401,
                                         headers={"WWW-Authenticate": 'Basic realm="toolkit-assistant"'})
                await resp(scope, receive, send)
                return
        await self.app(scope, receive, send)


def http_app(assistant: Any, auth: Any = None) -> Any:
    """The streamable-HTTP ASGI app (path /mcp), behind TOOLKIT_AUTH's login when set."""
    from toolkit_assistant.openai_api import auth_checker

    app = build_server(assistant).streamable_http_app(host="127.0.0.1")
    check = auth_checker(auth)
    return _LoginMiddleware(app, check) if check else app


def main(settings: Any = None, *, http: bool = False, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the tools over stdio (default) or, with http=True, streamable HTTP on a loopback address."""
    from toolkit_assistant.config import apply_offline_env, load_settings
    from toolkit_assistant.pipeline import Assistant

    if http and host not in LOOPBACK:
        raise SystemExit(f"toolkit-assistant mcp --http binds loopback only (127.0.0.1), not {host!r}")
    settings = settings or load_settings()
    apply_offline_env(settings.state_dir)
    assistant = Assistant.from_settings(settings)
    if not http:
        build_server(assistant).run("stdio")
        return
    import uvicorn

    from toolkit_assistant.auth import parse_auth

    app = http_app(assistant, parse_auth(settings.auth))
    print(f"toolkit-assistant MCP: http://{host}:{port}/mcp", file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
