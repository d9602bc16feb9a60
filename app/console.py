"""GET /console: the staff console (console/, built by scripts/build-console), same origin as
/graphql so it needs no CORS. Hashed assets are cached for a year; index.html is never
cached, so a new build is picked up on the next visit; client routes get index.html."""

from __future__ import annotations

import asyncio
import functools
import gzip
import secrets
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

# Scripts only from this origin, never inline; the socket and the API are the same origin
# ('self' covers ws: and wss: there). React Aria adds one <style> element of its own
# (touch-action for pressable elements): it carries the nonce of a <meta property=csp-nonce>
# the page is given, a new one each time.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
ASSET_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
}
NOT_BUILT = """<!doctype html><html lang="en"><meta charset="utf-8">
<title>Console not built</title><h1>The staff console is not built</h1>
<p>Run <code>scripts/build-console</code> (<code>scripts/serve</code> runs it on start), or set
<code>BITCART_CONSOLE_DIR</code> to a folder holding a built console
(its <code>index.html</code> and <code>assets/</code>).</p>"""


# Text assets go out gzipped (the entry script is a third of its size so): compressed once
# per file and kept, since a hashed asset never changes; the mtime keys a rebuild's copy.
COMPRESSIBLE = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}


@functools.lru_cache(maxsize=128)
def _gzipped(path: Path, mtime_ns: int) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)


def _inside(folder: Path, relative: str) -> Path | None:
    """The file `relative` names under folder, or None if it is elsewhere or missing."""
    candidate = (folder / relative).resolve()
    if not candidate.is_relative_to(folder.resolve()) or not candidate.is_file():
        return None
    return candidate


def routes(console_dir: Path) -> list[BaseRoute]:
    """/console, its assets, and index.html for every client route below it."""
    index = console_dir / "index.html"

    async def redirect(request: Request) -> Response:
        return RedirectResponse("/console/", status_code=308)

    async def asset(request: Request) -> Response:
        found = await asyncio.to_thread(
            _inside, console_dir / "assets", request.path_params["path"]
        )
        if found is None:
            return Response("Not found.", status_code=404, media_type="text/plain")
        if found.suffix in COMPRESSIBLE and "gzip" in request.headers.get("accept-encoding", ""):
            body = await asyncio.to_thread(_gzipped, found, found.stat().st_mtime_ns)
            headers = {**ASSET_HEADERS, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
            return Response(body, headers=headers, media_type=COMPRESSIBLE[found.suffix])
        return FileResponse(found, headers={**ASSET_HEADERS, "Vary": "Accept-Encoding"})

    async def page(request: Request) -> Response:
        try:
            html = await asyncio.to_thread(index.read_text, "utf-8")
        except FileNotFoundError:
            return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": "no-store"})
        nonce = secrets.token_urlsafe(18)
        html = html.replace("<head>", f'<head><meta property="csp-nonce" nonce="{nonce}">', 1)
        headers = {**PAGE_HEADERS, "Content-Security-Policy": CSP.format(nonce=nonce)}
        return HTMLResponse(html, headers=headers)

    return [
        Route("/console", redirect),
        Route("/console/assets/{path:path}", asset),
        Route("/console/{path:path}", page),
    ]
