"""The customer's order-tracking page: server-rendered HTML, no scripts, no external assets.

`GET /track` is a form (order number and email); it answers on the same address with the
order's public view. `GET /track/{token}` is the link a store sends (`Order.trackingToken`).
A wrong email and a missing order get the same answer, and look-ups count against the
tracking rate limit of the client address.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse

from app.carriers import tracking_url
from app.http import client_address
from app.models import Order, OrderItem, Shipment
from app.services import tracking
from app.services.ratelimit import RateLimited
from app.settings import Settings

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;line-height:1.5;color:#111;
background:#fff;max-width:40rem;margin-inline:auto}
h1{font-size:1.5rem}label{display:block;margin-top:.75rem;font-weight:600}
input{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;border:1px solid #555;
border-radius:4px}
button{font:inherit;margin-top:1rem;padding:.6rem 1.2rem;border:0;border-radius:4px;
background:#0b57d0;color:#fff}
:focus-visible{outline:3px solid #e8a600;outline-offset:2px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;
border-bottom:1px solid #ccc}
.status{font-size:1.25rem;font-weight:700}.notice{padding:.75rem;border:2px solid #b3261e}
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
STATUS_TEXT = {
    "PENDING": "Received",
    "AWAITING_PAYMENT": "Awaiting payment",
    "AWAITING_FULFILLMENT": "Being prepared",
    "AWAITING_SHIPMENT": "Ready to ship",
    "AWAITING_PICKUP": "Ready for pickup",
    "PARTIALLY_SHIPPED": "Partly shipped",
    "SHIPPED": "Shipped",
    "COMPLETED": "Completed",
    "CANCELLED": "Cancelled",
    "DECLINED": "Declined",
    "REFUNDED": "Refunded",
    "PARTIALLY_REFUNDED": "Partly refunded",
    "DISPUTED": "Under review",
    "MANUAL_VERIFICATION_REQUIRED": "Under review",
    "RETURNED": "Returned",
    "INCOMPLETE": "Incomplete",
}


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


async def _view(order: Order) -> str:
    """The public view: status, items with what has shipped, and each shipment's link."""
    items = await OrderItem.filter(order_id=order.id).order_by("id")
    shipments = await Shipment.filter(order_id=order.id).order_by("id")
    status = STATUS_TEXT.get(order.status.value, order.status.value)
    rows = "".join(
        f"<tr><td>{escape(i.name)}</td><td>{i.quantity}</td><td>{i.quantity_shipped}</td></tr>"
        for i in items
    )
    parts = [
        f"<h1>Order {order.number}</h1>",
        f'<p>Status: <span class="status">{escape(status)}</span></p>',
        '<table><caption>Items</caption><thead><tr><th scope="col">Item</th>'
        '<th scope="col">Ordered</th><th scope="col">Shipped</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>",
    ]
    if shipments:
        entries = []
        for shipment in shipments:
            when = shipment.created_at.strftime("%d %B %Y")
            number = shipment.tracking_number
            link = tracking_url(number, shipment.carrier or None) if number else None
            carrier = f" ({escape(shipment.carrier)})" if shipment.carrier else ""
            tracked = (
                f'<a href="{escape(link)}" rel="noreferrer">Track {escape(number)}</a>{carrier}'
                if link
                else (escape(number) + carrier if number else "No tracking number yet")
            )
            entries.append(f"<li>Shipped {escape(when)}: {tracked}</li>")
        parts.append(f"<h2>Shipments</h2><ul>{''.join(entries)}</ul>")
    elif order.tracking_number:
        link = tracking_url(order.tracking_number, order.carrier or None)
        number = escape(order.tracking_number)
        parts.append(
            f'<p>Tracking: <a href="{escape(link)}" rel="noreferrer">{number}</a></p>'
            if link
            else f"<p>Tracking number: {number}</p>"
        )
    return "".join(parts)


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
    return _page(settings, f"Order {order.number}", await _view(order))


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
    return _page(settings, f"Order {order.number}", await _view(order))


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
