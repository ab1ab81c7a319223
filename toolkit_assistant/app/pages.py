"""The cited page of an original PDF, one click from its citation: the page as an image, the quote highlighted.

Routes (Starlette, mounted beside Gradio's by `launch`; with TOOLKIT_AUTH set, `LoginRequired` wants the login
for every one of them, as for every route but /healthz):

* ``GET /original/page?chunk=<chunk id>&span=<start>-<end>[&span=...][&page=<n>]``: a page to read: the PDF page
  the chunk was printed on (or page n of the same document), the quoted spans of the chunk's text highlighted;
* ``GET /original/image?chunk=<chunk id>&page=<n>``: that page as a PNG;
* ``GET /original/file?chunk=<chunk id>``: the whole PDF.

A chunk finds its file through the index's manifest (the file it was read from and that file's SHA-256 at
ingest). A file that has moved or changed since then is not shown: the reader is told why and what to run,
never shown a page that may not be the one cited. Only files the index holds are served, by chunk id: no
path is ever taken from a request.
"""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote

from toolkit_assistant.pdfpage import QuoteOnPage, RenderedPage, locate_quotes, page_labels, render_page

ROUTE = "original"  # the routes' first path segment
RENDER_CACHE = 24  # rendered pages kept in memory


class PageUnavailable(Exception):
    """The original cannot be shown: `status` is the HTTP status, the message says why and what to do."""

    def __init__(self, status: int, message: str) -> None:
        """A reason with its HTTP status."""
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Original:
    """A cited chunk's original PDF, checked against the index: the chunk, its file and the file's pages."""

    chunk: Any
    path: Path
    sha256: str
    labels: tuple[str, ...]


def page_url(chunk: Any, quotes: list[str]) -> str:
    """The link (relative to the app's root) that opens a chunk's page with these quotes highlighted; '' when
    the chunk is not from a PDF page."""
    if not chunk.page or not str(chunk.source_path).lower().endswith(".pdf"):
        return ""
    spans = []
    for q in quotes:
        at = chunk.text.find(q) if q else -1
        if at >= 0:
            spans.append(f"&span={at}-{at + len(q)}")
    return f"{ROUTE}/page?chunk={url_quote(chunk.id, safe='')}" + "".join(spans)


class OriginalPages:
    """Finds, checks and renders the original pages of an assistant's index (thread-safe, small caches)."""

    def __init__(self, assistant: Any) -> None:
        """Serve the originals of this assistant's index."""
        self.assistant = assistant
        self._lock = threading.Lock()
        self._sha: dict[tuple[str, int, int, int], str] = {}
        self._rendered: OrderedDict[tuple[str, int], RenderedPage] = OrderedDict()
        self._labels: dict[str, tuple[str, ...]] = {}

    def _readers(self) -> list[Any]:
        readers = [self.assistant.reader]
        foreign = getattr(self.assistant, "foreign", None)
        if foreign is not None and getattr(foreign, "reader", None) is not None:
            readers.append(foreign.reader)
        return readers

    def _file_sha(self, path: Path) -> str:
        from toolkit_assistant.ingest import file_sha256

        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
        with self._lock:
            if key in self._sha:
                return self._sha[key]
        sha = file_sha256(path)
        with self._lock:
            self._sha[key] = sha
        return sha

    def original(self, chunk_id: str) -> Original:
        """The chunk's original PDF, checked (it is where it was read from, with the same SHA-256).

        Raises:
            PageUnavailable: no such chunk, not a PDF, or the file has moved or changed since ingest.
        """
        for reader in self._readers():
            reader.refresh()
        chunk, manifest = None, None
        for reader in self._readers():
            chunk = reader.by_id.get(chunk_id)
            if chunk is not None:
                manifest = reader.manifest
                break
        if chunk is None:
            raise PageUnavailable(404, "This passage is no longer in the index (the documents were indexed "
                                       "again since it was cited): ask the question again.")
        name = Path(chunk.source_path).name
        if not chunk.page or not name.lower().endswith(".pdf"):
            raise PageUnavailable(404, f"{name or chunk.doc_id} is not a PDF: there is no page to show.")
        entry = _manifest_entry(manifest, chunk)
        if entry is None:
            raise PageUnavailable(404, f"The index does not record where {name} was read from; run "
                                       "toolkit-assistant ingest on it again.")
        key, sha_at_ingest = entry
        path = Path(key)
        if not path.is_file():
            raise PageUnavailable(410, f"The original file {name} is no longer where it was indexed from (moved "
                                       "or deleted since). Put it back, or run toolkit-assistant ingest on its "
                                       "new place, then ask again.")
        try:
            sha = self._file_sha(path)
        except OSError as exc:
            raise PageUnavailable(410, f"The original file {name} cannot be read ({exc.strerror}).") from exc
        if sha != sha_at_ingest:
            raise PageUnavailable(409, f"{name} has changed since it was indexed (its SHA-256 is not the one "
                                       f"recorded at ingest), so its page {chunk.page_label or chunk.page} may not "
                                       "be the page cited. Run toolkit-assistant ingest on it again (or add it "
                                       "again in the Library tab), then ask again.")
        with self._lock:
            labels = self._labels.get(sha)
        if labels is None:
            labels = tuple(page_labels(path))
            with self._lock:
                self._labels[sha] = labels
        return Original(chunk, path, sha, labels)

    def rendered(self, original: Original, page_no: int) -> RenderedPage:
        """A page of the original as a PNG (rendered once, then kept among the last RENDER_CACHE pages)."""
        key = (original.sha256, page_no)
        with self._lock:
            if key in self._rendered:
                self._rendered.move_to_end(key)
                return self._rendered[key]
        page = render_page(original.path, page_no)
        with self._lock:
            self._rendered[key] = page
            while len(self._rendered) > RENDER_CACHE:
                self._rendered.popitem(last=False)
        return page


def _manifest_entry(manifest: Any, chunk: Any) -> tuple[str, str] | None:
    """(file path, SHA-256 at ingest) of the manifest entry that holds the chunk."""
    files: dict[str, dict[str, Any]] = getattr(manifest, "files", {}) or {}
    for key in (chunk.source_path, str(Path(chunk.source_path).resolve())):
        entry = files.get(key)
        if entry and entry.get("doc_id") == chunk.doc_id:
            return key, str(entry.get("sha256", ""))
    for key, entry in files.items():
        if entry.get("doc_id") == chunk.doc_id and chunk.id in entry.get("chunk_ids", ()):
            return key, str(entry.get("sha256", ""))
    return None


def _spans(values: list[str], text: str) -> list[str]:
    """The quoted parts of a chunk's text named by 'start-end' values (invalid ones dropped)."""
    out = []
    for v in values[:12]:
        a, _, b = v.partition("-")
        if a.isdigit() and b.isdigit() and 0 <= int(a) < int(b) <= len(text):
            out.append(text[int(a) : int(b)])
    return out


_PAGE_CSS = """
body {font-family: system-ui, sans-serif; margin: 0; background: #e5e7eb; color: #111;}
header {background: #fff; padding: .6rem 1rem; border-bottom: 1px solid #d1d5db; position: sticky; top: 0; z-index: 2;}
header h1 {font-size: 1.05rem; margin: 0 0 .2rem 0;}
.ta-page-meta {font-size: .9rem;} .ta-page-nav a {margin-right: 1rem;}
.ta-page-note {margin: .5rem 1rem; padding: .35rem .6rem; border-left: 4px solid #b45309; background: #fff;}
.ta-sheet {position: relative; width: min(1100px, calc(100% - 2rem)); margin: 1rem auto; background: #fff;
  box-shadow: 0 1px 4px rgba(0,0,0,.25);}
.ta-sheet img {display: block; width: 100%; height: auto;}
.ta-hl {position: absolute; background: rgba(250, 204, 21, .38); outline: 2px solid rgba(202, 138, 4, .9);
  mix-blend-mode: multiply; pointer-events: none;}
blockquote {margin: .5rem 1rem 1.5rem; padding: .5rem .8rem; background: #fff; border-left: 4px solid #ca8a04;}
.ta-error {margin: 2rem; padding: 1rem; background: #fff; border-left: 4px solid #b91c1c;}
"""


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def page_html(original: Original, page_no: int, found: list[QuoteOnPage], rendered: RenderedPage) -> str:
    """The page to read: document, section and printed page, the page image with the quotes' boxes on it."""
    ch = original.chunk
    cited = page_no == ch.page
    label = (ch.page_label or original.labels[page_no - 1]) if cited else original.labels[page_no - 1]
    base = f"image?chunk={url_quote(ch.id, safe='')}&page={page_no}"
    nav = []
    if page_no > 1:
        nav.append(f'<a id="prev-page" href="page?chunk={url_quote(ch.id, safe="")}&page={page_no - 1}">'
                   f"&larr; p. {_esc(original.labels[page_no - 2])}</a>")
    if not cited:
        nav.append(f'<a id="cited-page" href="page?chunk={url_quote(ch.id, safe="")}">the cited page</a>')
    if page_no < len(original.labels):
        nav.append(f'<a id="next-page" href="page?chunk={url_quote(ch.id, safe="")}&page={page_no + 1}">'
                   f"p. {_esc(original.labels[page_no])} &rarr;</a>")
    nav.append(f'<a id="whole-file" href="file?chunk={url_quote(ch.id, safe="")}#page={page_no}">'
               f"the whole PDF ({_esc(original.path.name)})</a>")
    boxes = "".join(
        f'<div class="ta-hl" data-quote="{k + 1}" style="left:{b.left * 100:.3f}%;top:{b.top * 100:.3f}%;'
        f'width:{b.width * 100:.3f}%;height:{b.height * 100:.3f}%"></div>'
        for k, q in enumerate(found) for b in q.boxes)
    notes = []
    if found and not any(q.boxes for q in found):
        notes.append("The quoted passage could not be placed on this page image; its text is below.")
    if any(q.continues for q in found):
        notes.append("The quoted sentence goes on overleaf (the next page).")
    section = " ".join(x for x in (ch.section and f"§{ch.section}", ch.section_title) if x)
    quotes = "".join(f"<blockquote>{_esc(q.quote)}</blockquote>" for q in found)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>p. {_esc(label)} · {_esc(ch.title)}</title><style>{_PAGE_CSS}</style></head><body>"
        f"<header><h1 id='page-title'>{_esc(ch.title)}</h1>"
        f"<div class='ta-page-meta'>{_esc(section)} · <strong id='page-label'>p. {_esc(label)}</strong> "
        f"<span id='page-index'>(page {page_no} of {rendered.pages} of the PDF)</span> · {_esc(ch.status)}</div>"
        f"<nav class='ta-page-nav'>{' '.join(nav)}</nav></header>"
        + "".join(f"<p class='ta-page-note'>{_esc(n)}</p>" for n in notes)
        + f"<div class='ta-sheet' id='page-sheet'><img id='page-image' src='{base}' width='{rendered.width}' "
          f"height='{rendered.height}' alt='Page {_esc(label)} of {_esc(ch.title)}'>{boxes}</div>"
        + quotes + "</body></html>"
    )


def error_html(message: str) -> str:
    """A page that says why the original cannot be shown."""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Page not available</title>"
            f"<style>{_PAGE_CSS}</style></head><body><div class='ta-error' id='page-error' role='alert'>"
            f"<strong>The page cannot be shown.</strong><p>{_esc(message)}</p></div></body></html>")


HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"}


def page_routes(assistant: Any) -> list[Any]:
    """The /original/page, /original/image and /original/file routes for an assistant's index."""
    from starlette.requests import Request
    from starlette.responses import FileResponse, HTMLResponse, Response
    from starlette.routing import Route

    pages = OriginalPages(assistant)

    def _page_no(request: Request, original: Original) -> int:
        raw = request.query_params.get("page", "")
        page_no = int(raw) if raw.isdigit() else int(original.chunk.page)
        if not 1 <= page_no <= len(original.labels):
            raise PageUnavailable(404, f"{original.path.name} has no page {raw} (it has {len(original.labels)}).")
        return page_no

    def view(request: Request) -> Response:
        try:
            original = pages.original(request.query_params.get("chunk", ""))
            page_no = _page_no(request, original)
            rendered = pages.rendered(original, page_no)
            quotes = _spans(request.query_params.getlist("span"), original.chunk.text) if page_no == original.chunk.page else []
            found = locate_quotes(original.path, page_no, quotes) if quotes else []
        except PageUnavailable as exc:
            return HTMLResponse(error_html(str(exc)), status_code=exc.status, headers=HEADERS)
        return HTMLResponse(page_html(original, page_no, found, rendered), headers=HEADERS)

    def image(request: Request) -> Response:
        try:
            original = pages.original(request.query_params.get("chunk", ""))
            rendered = pages.rendered(original, _page_no(request, original))
        except PageUnavailable as exc:
            return Response(str(exc), status_code=exc.status, media_type="text/plain", headers=HEADERS)
        return Response(rendered.png, media_type="image/png", headers={**HEADERS, "Cache-Control": "private, max-age=300"})

    def whole(request: Request) -> Response:
        try:
            original = pages.original(request.query_params.get("chunk", ""))
        except PageUnavailable as exc:
            return HTMLResponse(error_html(str(exc)), status_code=exc.status, headers=HEADERS)
        return FileResponse(original.path, media_type="application/pdf", filename=original.path.name,
                            content_disposition_type="inline", headers={"Cache-Control": "private, no-store",
                                                                        "X-Content-Type-Options": "nosniff"})

    # plain functions: Starlette runs them in its thread pool, so pdfium and hashing stay off the event loop
    return [Route(f"/{ROUTE}/page", view, methods=["GET"]),
            Route(f"/{ROUTE}/image", image, methods=["GET"]),
            Route(f"/{ROUTE}/file", whole, methods=["GET"])]
