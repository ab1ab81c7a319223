"""GET /healthz: whether a question could be answered now, for a reverse proxy or a monitor (no login).

200 with the index generation, its document count and the embedding model when the index can answer
(``degraded`` when it answers from an earlier generation or a part was rebuilt); 503 with the reason
when not: ``starting`` while `serve` is still opening the index and the models (or building the index on a
first run), ``unavailable`` when the index is missing or damaged, or the Chroma server does not answer.
Nothing else is disclosed (no paths, no documents, no questions).
"""

from __future__ import annotations

from typing import Any

from toolkit_assistant.errors import IndexDamagedError, IndexNotBuiltError, IndexServerDown, ToolkitError
from toolkit_assistant.warmup import Warmup

DAMAGED_REASON = "the index is damaged or missing; run: toolkit-assistant check"


def health(assistant: Any) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for the assistant's index right now."""
    from toolkit_assistant.store.integrity import catchable, check_files

    reader = assistant.reader
    location = reader.location
    try:
        reader.refresh(min_interval_s=0)
        heartbeat = getattr(location, "heartbeat", None)
        if heartbeat is not None:
            heartbeat()
        else:
            problems = check_files(location, reader.manifest, sqlite_check=False).problems
            if problems:
                return 503, {"status": "unavailable", "reason": DAMAGED_REASON}
    except IndexServerDown as exc:
        return 503, {"status": "unavailable", "reason": f"the index server at {exc.url} does not answer"}
    except ToolkitError as exc:
        return 503, {"status": "unavailable", "reason": str(exc).split(" at ")[0]}
    except BaseException as exc:  # noqa: BLE001 - a Rust panic from a damaged store is a BaseException
        if not catchable(exc):
            raise
        return 503, {"status": "unavailable", "reason": f"the index cannot be read ({type(exc).__name__})"}
    manifest = reader.manifest
    return 200, {
        "status": "degraded" if reader.notices else "ok",
        "generation": manifest.generation,
        "documents": len(manifest.files),
        "chunks": len(reader.chunks),
        "embedding": manifest.embedding,
    }


STARTING_REASON = "loading the index and the models (on a first run: building the index)"


def warmup_health(warmup: Warmup) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of an Assistant that may still be opening: 503 "starting" until it is open."""
    state, _ = warmup.status()
    if state == "starting":
        return 503, {"status": "starting", "reason": STARTING_REASON}
    if state == "failed":
        try:
            warmup.get(timeout=0)
        except IndexServerDown as exc:
            return 503, {"status": "unavailable", "reason": f"the index server at {exc.url} does not answer"}
        except (IndexDamagedError, IndexNotBuiltError):
            return 503, {"status": "unavailable", "reason": DAMAGED_REASON}
        except ToolkitError as exc:
            return 503, {"status": "unavailable", "reason": str(exc).split(" at ")[0]}
    return health(warmup.get(timeout=0))


def health_routes(assistant: Any) -> list[Any]:
    """The /healthz route (Starlette), outside the app's login; `assistant` may be a Warmup."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def healthz(request: Request) -> JSONResponse:
        code, body = warmup_health(assistant) if isinstance(assistant, Warmup) else health(assistant)
        return JSONResponse(body, status_code=code, headers={"Cache-Control": "no-store"})

    return [Route("/healthz", healthz, methods=["GET", "HEAD"])]
