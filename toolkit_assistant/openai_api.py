"""An OpenAI-compatible chat API over the Assistant: POST /v1/chat/completions and GET /v1/models.

The model is named `toolkit-assistant`. The reply's `content` is the verified answer with its [n] markers, then the
numbered sources (title, section, page, quote); a decline or a partial answer comes back as such. The full Answer
JSON rides along in the extra field `toolkit_answer` of the response (non-streaming: on the response object; streaming:
on the last chunk before `data: [DONE]`). `TOOLKIT_AUTH` applies: a request must carry
`Authorization: Bearer user:password` (or just the password) or HTTP basic auth.

    from toolkit_assistant.openai_api import openai_router, openai_app
    fastapi_app.include_router(openai_router(assistant, auth))   # or: openai_app(assistant, auth)
"""

from __future__ import annotations

import base64
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import Request  # at module level: FastAPI resolves the handlers' string annotations here

from toolkit_assistant.errors import InputError, ToolkitError

MODEL_NAME = "toolkit-assistant"
EXTRA_FIELD = "toolkit_answer"

AuthPairs = Sequence[tuple[str, str]] | None
AuthChecker = Callable[[str | None], bool]


def auth_checker(pairs: AuthPairs) -> AuthChecker | None:
    """A check of an Authorization header against TOOLKIT_AUTH's user:password pairs (None: no login).

    Accepted: `Basic base64(user:password)`, `Bearer user:password`, or `Bearer password` (any user's password).
    """
    if not pairs:
        return None
    pairs = [(u, p) for u, p in pairs]

    def ok(user: str | None, password: str) -> bool:
        good = False
        for u, p in pairs:
            # compare every pair (constant time each) so timing says nothing about which matched
            match = hmac.compare_digest(p.encode(), password.encode())
            if user is not None:
                match = match and hmac.compare_digest(u.encode(), user.encode())
            good = good or match
        return good

    def check(header: str | None) -> bool:
        if not header:
            return False
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return False
            user, sep, password = decoded.partition(":")
            return bool(sep) and ok(user, password)
        if scheme.lower() == "bearer" and value:
            user, sep, password = value.partition(":")
            return ok(user, password) if sep else ok(None, value)
        return False

    return check


def format_reply(answer: dict[str, Any]) -> str:
    """The chat reply: the verified answer with [n] markers, then the numbered sources with their quotes."""
    lines = [str(answer.get("answer", "")).strip()]
    cites = answer.get("citations") or []
    if cites:
        lines += ["", "Sources:"]
        for c in cites:
            where = f"§{c.get('section')} {c.get('section_title', '')}".strip() if c.get("section") else c.get("section_title", "")
            page = f", p. {c['page']}" if c.get("page") else ""
            url = f" <{c['source_url']}>" if c.get("source_url") else ""
            lines.append(f"[{c.get('n')}] {c.get('title', '')}, {where}{page}{url}")
            lines.append(f'    "{c.get("quote", "")}"')
    for notice in answer.get("notices") or []:
        lines.append(f"Note: {notice}")
    return "\n".join(lines).strip()


def last_user_question(messages: Any) -> tuple[str, str | None]:
    """The last user message's text, and the user message before it (for follow-ups)."""
    if not isinstance(messages, list):
        raise InputError("'messages' must be a list")
    texts: list[str] = []
    for m in messages:
        if not isinstance(m, dict) or m.get("role") != "user":
            continue
        content = m.get("content")
        if isinstance(content, list):  # content parts
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
        if isinstance(content, str):
            texts.append(content)
    if not texts:
        raise InputError("No user message to answer")
    return texts[-1], (texts[-2] if len(texts) > 1 else None)


def _filters(body: dict[str, Any]) -> Any:
    from toolkit_assistant.adapters import make_filters

    extra = body.get("toolkit") if isinstance(body.get("toolkit"), dict) else {}
    return make_filters(extra.get("doc_ids") or body.get("doc_ids"), extra.get("kinds") or body.get("kinds"))


def _stream(reply: str, answer: dict[str, Any], cid: str, created: int) -> Iterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        obj = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL_NAME,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    # the verified answer only (never an unverified draft), sent a line at a time
    for piece in reply.splitlines(keepends=True):
        yield chunk({"content": piece})
    yield chunk({}, "stop", **{EXTRA_FIELD: answer})
    yield "data: [DONE]\n\n"


MAX_BODY_BYTES = 1_000_000


def openai_router(assistant: Any, auth: AuthPairs | AuthChecker = None, *, concurrency: int = 4) -> Any:
    """A FastAPI APIRouter with /v1/models and /v1/chat/completions over `assistant`.

    `auth`: TOOLKIT_AUTH's (user, password) pairs (see auth.parse_auth), or a checker of the Authorization header.
    `concurrency`: questions answered at once (the rest wait), as TOOLKIT_CONCURRENCY_LIMIT does for the app.
    """
    import anyio.to_thread
    from anyio import CapacityLimiter
    from fastapi import APIRouter
    from fastapi.responses import JSONResponse, StreamingResponse

    check = auth if callable(auth) else auth_checker(auth)
    limiter = CapacityLimiter(max(1, concurrency))
    router = APIRouter()

    def error(status: int, message: str, kind: str) -> JSONResponse:
        headers = {"WWW-Authenticate": 'Basic realm="toolkit-assistant"'} if status == 401 else None
        return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status, headers=headers)

    def denied(request: Request) -> JSONResponse | None:
        if check is not None and not check(request.headers.get("authorization")):
            return error(401, "Login required: send a bearer token (user:password) or basic auth", "authentication_error")
        return None

    @router.get("/v1/models")
    async def models(request: Request) -> Any:
        if (resp := denied(request)) is not None:
            return resp
        return {"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "toolkit-assistant"}]}

    @router.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        if (resp := denied(request)) is not None:
            return resp
        if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
            return error(413, f"The request body is larger than {MAX_BODY_BYTES:,} bytes", "invalid_request_error")
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            return error(413, f"The request body is larger than {MAX_BODY_BYTES:,} bytes", "invalid_request_error")
        try:
            body = json.loads(raw)
        except ValueError:
            return error(400, "The body must be JSON", "invalid_request_error")
        if not isinstance(body, dict):
            return error(400, "The body must be a JSON object", "invalid_request_error")
        model = body.get("model", MODEL_NAME)
        if model not in (MODEL_NAME, None, ""):
            return error(404, f"Unknown model {model!r}; this server has {MODEL_NAME!r}", "invalid_request_error")
        try:
            question, previous = last_user_question(body.get("messages"))
            filters = _filters(body)
            result = await anyio.to_thread.run_sync(
                lambda: assistant.ask(question, filters=filters, previous=previous), limiter=limiter)
        except InputError as exc:
            return error(400, str(exc), "invalid_request_error")
        except ToolkitError as exc:
            return error(503, str(exc), "server_error")
        answer = result.to_dict()
        reply = format_reply(answer)
        cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if body.get("stream"):
            return StreamingResponse(_stream(reply, answer, cid, created), media_type="text/event-stream")
        return {
            "id": cid, "object": "chat.completion", "created": created, "model": MODEL_NAME,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            EXTRA_FIELD: answer,
        }

    return router


def openai_app(assistant: Any, auth: AuthPairs | AuthChecker = None, *, concurrency: int = 4) -> Any:
    """A FastAPI app serving only the OpenAI-compatible routes."""
    from fastapi import FastAPI

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(openai_router(assistant, auth, concurrency=concurrency))
    return app


def mount_openai(fastapi_app: Any, assistant: Any, auth: AuthPairs | AuthChecker = None, *, concurrency: int = 4) -> None:
    """Add the OpenAI-compatible routes to an existing FastAPI app (e.g. Gradio's, after launch: `demo.app`)."""
    fastapi_app.include_router(openai_router(assistant, auth, concurrency=concurrency))
