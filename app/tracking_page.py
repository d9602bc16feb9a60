"""The customer's order-tracking page: server-rendered HTML, no scripts, no external assets.

`GET /track` is a form (order number and email); it answers on the same address with the
order's public view. `GET /track/{token}` is the link a store sends (`Order.trackingToken`).
A wrong email and a missing order get the same answer, and look-ups count against the
tracking rate limit of the client address.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse

from app.http import client_address
from app.models import Order
from app.services import tracking
from app.services.ratelimit import RateLimited
from app.services.tracking import STATUS_TEXT, TrackingView, tracking_view
from app.settings import Settings

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;line-height:1.5;color:#111;
background:#fff;max-width:40rem;margin-inline:auto}
h1{font-size:1.5rem;margin-bottom:0}h2{font-size:1.15rem;margin-top:1.75rem}
label{display:block;margin-top:.75rem;font-weight:600}
input{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;border:1px solid #555;
border-radius:4px}
button{font:inherit;margin-top:1rem;padding:.6rem 1.2rem;border:0;border-radius:4px;
background:#0b57d0;color:#fff}
:focus-visible{outline:3px solid #e8a600;outline-offset:2px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;
border-bottom:1px solid #ccc}caption{text-align:left;font-weight:600}
.status{font-size:1.25rem;font-weight:700}.notice{padding:.75rem;border:2px solid #b3261e}
.placed{margin-top:0;color:#444}
.steps{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem}
.steps li{flex:1 1 7rem;padding:.5rem;border-top:4px solid #bbb;color:#555}
.steps li.done{border-top-color:#1e7d32;color:#111}
.steps li[aria-current]{border-top-color:#0b57d0;font-weight:600;color:#111}
.steps .when{display:block;font-size:.85rem;font-weight:400;color:#444}
.updates{padding-left:1.1rem}.updates time,.parcels time{color:#444}
.parcels li,.returns li{margin-bottom:.5rem}
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# Nothing runs and nothing loads from elsewhere: the one inline style is allowed by its hash.
CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{_STYLE_HASH}'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-store",
}
NOT_FOUND = "We could not find an order with that number and email. Check both and try again."


def _page(settings: Settings, title: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · {escape(settings.store_name)}</title>"
        f"<style>{STYLE}</style></head><body><main>"
        f"<p>{escape(settings.store_name)}</p>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def _form(number: str = "", email: str = "") -> str:
    return (
        '<form method="get" action="/track">'
        '<label for="number">Order number</label>'
        f'<input id="number" name="number" inputmode="numeric" autocomplete="off" required '
        f'value="{escape(number)}">'
        '<label for="email">Email used for the order</label>'
        f'<input id="email" name="email" type="email" autocomplete="email" required '
        f'value="{escape(email)}">'
        '<button type="submit">Track order</button></form>'
    )


def _day(moment: datetime) -> str:
    day = moment.astimezone(UTC)
    return f"{day.day} {day:%B %Y}"


def _time(moment: datetime) -> str:
    return f'<time datetime="{moment.astimezone(UTC).isoformat()}">{_day(moment)}</time>'


def _steps(view: TrackingView) -> str:
    """The progress line: what happened, and the next step marked as the current one."""
    current = next((i for i, step in enumerate(view.steps) if step.under_way), None)
    if current is None:
        current = next((i for i, step in enumerate(view.steps) if not step.done), None)
    entries = []
    for index, step in enumerate(view.steps):
        mark = ' aria-current="step"' if index == current else ""
        state = "done" if step.done or step.under_way else "todo"
        when = _time(step.when) if step.when else ("" if step.done else "not yet")
        entries.append(
            f'<li class="{state}"{mark}>{escape(step.label)}<span class="when">{when}</span></li>'
        )
    return f'<h2>Progress</h2><ol class="steps">{"".join(entries)}</ol>'


def _parcels(view: TrackingView) -> str:
    if not view.parcels:
        return ""
    entries = []
    for parcel in view.parcels:
        days = {_day(d): d for d in parcel.dates}  # a re-ship the same day is one date
        dates = ", ".join(_time(d) for d in days.values())
        shipped = f"Shipped {dates}: " if dates else ""
        by = f" ({escape(parcel.carrier)})" if parcel.carrier else ""
        if parcel.number and parcel.url:
            tracked = (
                f'<a href="{escape(parcel.url)}" rel="noreferrer">Track {escape(parcel.number)}'
                f"</a>{by}"
            )
        elif parcel.number:
            tracked = f"Tracking number {escape(parcel.number)}{by}"
        else:
            tracked = "no tracking number"
        inside = ", ".join(f"{q} × {escape(name)}" for name, q in parcel.items)  # noqa: RUF001
        entries.append(f"<li>{shipped}{tracked}{'. ' + inside if inside else ''}</li>")
    return f'<h2>Shipments</h2><ul class="parcels">{"".join(entries)}</ul>'


def _returns(view: TrackingView) -> str:
    if not view.returns:
        return ""
    entries = []
    for request in view.returns:
        inside = ", ".join(f"{q} × {escape(name)}" for name, q in request.items)  # noqa: RUF001
        send_to = (
            "<br>Send the items to: " + ", ".join(escape(line) for line in request.send_to)
            if request.send_to
            else ""
        )
        entries.append(
            f"<li>Asked {_time(request.created_at)}: {inside}. "
            f"<strong>{escape(request.status)}</strong>{send_to}</li>"
        )
    return f'<h2>Returns</h2><ul class="returns">{"".join(entries)}</ul>'


def _updates(view: TrackingView) -> str:
    if not view.updates:
        return ""
    entries = "".join(f"<li>{_time(u.when)}: {escape(u.text)}</li>" for u in view.updates)
    return f'<h2>Updates</h2><ul class="updates">{entries}</ul>'


async def _view(order: Order, settings: Settings) -> str:
    """The public view: when it was placed, its progress, the items with what has shipped,
    each parcel once with its carrier by name, returns and the store's PUBLIC updates."""
    view = await tracking_view(order, settings.return_address or settings.store_address)
    status = STATUS_TEXT.get(order.status.value, order.status.value)
    rows = "".join(
        f"<tr><td>{escape(i.name)}</td><td>{i.quantity}</td><td>{i.quantity_shipped}</td></tr>"
        for i in view.items
    )
    return "".join(
        [
            f"<h1>Order {order.number}</h1>",
            f'<p class="placed">Placed on {_time(order.created_at)}</p>',
            f'<p>Status: <span class="status">{escape(status)}</span></p>',
            _steps(view),
            '<h2>Items</h2><table><thead><tr><th scope="col">Item</th>'
            '<th scope="col">Ordered</th><th scope="col">Shipped</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>",
            _parcels(view),
            _returns(view),
            _updates(view),
        ]
    )


async def track(request: Request) -> HTMLResponse:
    """GET /track: the form, or with number and email the order's public view."""
    settings: Settings = request.app.state.settings
    number = request.query_params.get("number", "").strip().lstrip("#")[:12]
    email = request.query_params.get("email", "").strip()[:254]
    if not number and not email:
        return _page(settings, "Track your order", "<h1>Track your order</h1>" + _form())
    digits = number.isascii() and number.isdigit()  # "²" is a digit Python cannot read
    order = await _find(request, number=int(number) if digits else None, email=email)
    if isinstance(order, HTMLResponse):
        return order
    if order is None:
        body = (
            '<h1>Track your order</h1><p class="notice" role="alert">'
            f"{NOT_FOUND}</p>{_form(number, email)}"
        )
        return _page(settings, "Order not found", body, 404)
    return _page(settings, f"Order {order.number}", await _view(order, settings))


async def track_by_token(request: Request) -> HTMLResponse:
    """GET /track/{token}: the link from the store's emails."""
    settings: Settings = request.app.state.settings
    order = await _find(request, token=request.path_params["token"][:100])
    if isinstance(order, HTMLResponse):
        return order
    if order is None:
        body = (
            '<h1>Track your order</h1><p class="notice" role="alert">'
            "This tracking link is not valid. Enter your order number and email instead.</p>"
            + _form()
        )
        return _page(settings, "Order not found", body, 404)
    return _page(settings, f"Order {order.number}", await _view(order, settings))


async def _find(
    request: Request,
    *,
    number: int | None = None,
    email: str | None = None,
    token: str | None = None,
) -> Order | HTMLResponse | None:
    settings: Settings = request.app.state.settings
    peer = request.client.host if request.client else None
    client = client_address(
        peer, request.headers.get("x-forwarded-for", ""), settings.trusted_proxies
    )
    try:
        return await tracking.find_for_tracking(
            settings,
            request.app.state.redis,
            client,
            number=number,
            email=email,
            token=token,
        )
    except RateLimited as exc:
        body = (
            '<h1>Track your order</h1><p class="notice" role="alert">Too many look-ups from '
            f"here. Please try again in {exc.retry_after} seconds.</p>"
        )
        response = _page(settings, "Too many look-ups", body, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
