"""GraphiQL at GET /graphql (a browser's request): the page built with the console from the
npm `graphiql` package (console/graphiql.html, by scripts/build-console), so it loads
nothing from elsewhere and works offline. The server adds what it opens with, the sign-in
hint, as a JSON data block that no browser runs as a script; the page's CSP allows only
this origin's scripts. Its subscription pane speaks graphql-transport-ws on /graphql."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
from starlette.responses import HTMLResponse

# What GraphiQL opens with: how to sign in, and a query that works for anyone.
DEFAULT_QUERY = """# Welcome to BitCart Orders. To act as staff or a customer, sign in:
#   mutation { login(email: "...", password: "...") { token errors { message } } }
# then put {"Authorization": "Bearer <token>"} in the Headers pane below.
# Headers live only in this page: nothing is stored in the browser.
{
  shippingMethods { code name price currency freeOver }
}
"""
DEFAULT_HEADERS = '{"Authorization": "Bearer "}'
# The page's element the built script reads (console/src/graphiql/settings.ts)
DEFAULTS_ID = "bitcart-graphiql"
# Scripts and styles only from this origin (GraphiQL's fonts are data: URLs in its CSS);
# the API and the socket are the same origin ('self' covers ws: and wss: there).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
NOT_BUILT = """<!doctype html><html lang="en"><meta charset="utf-8">
<title>GraphiQL not built</title><h1>GraphiQL is not built</h1>
<p>It is built with the staff console: run <code>scripts/build-console</code>
(<code>scripts/serve</code> runs it on start). The API answers at this address all the same:
POST a GraphQL request to <code>/graphql</code>.</p>"""


def defaults_block() -> str:
    """The JSON data block the page reads its defaults from (`<` escaped: it sits in HTML)."""
    data = orjson.dumps({"defaultQuery": DEFAULT_QUERY, "defaultHeaders": DEFAULT_HEADERS})
    text = data.decode().replace("<", "\\u003c")
    return f'<script type="application/json" id="{DEFAULTS_ID}">{text}</script>'


async def page(console_dir: Path) -> HTMLResponse:
    """The built GraphiQL page with its defaults, or a 503 saying how to build it."""
    try:
        html = await asyncio.to_thread((console_dir / "graphiql.html").read_text, "utf-8")
    except FileNotFoundError:
        return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": "no-store"})
    return HTMLResponse(html.replace("</head>", f"{defaults_block()}</head>", 1), headers=HEADERS)
