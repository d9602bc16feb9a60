"""The public order-tracking view: by number and email, or by the token in a store's email."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from app.db import fits_id
from app.models import Order
from app.services import ratelimit
from app.services.auth import normalise_email
from app.settings import Settings

_TOKEN_BYTES = 18  # 144 bits: unguessable, and short enough for a link


def tracking_token(order_number: int, secret_key: str) -> str:
    """`<number>-<mac>`: derived, so nothing is stored and every order has one."""
    mac = hmac.new(secret_key.encode(), f"order-tracking:{order_number}".encode(), hashlib.sha256)
    code = base64.urlsafe_b64encode(mac.digest()[:_TOKEN_BYTES]).decode()
    return f"{order_number}-{code}"


def _number_from_token(token: str, secret_key: str) -> int | None:
    number, _, _ = token.strip().partition("-")
    if not number.isascii() or not number.isdigit() or not fits_id(int(number)):
        return None
    expected = tracking_token(int(number), secret_key)
    given = token.strip().encode()  # bytes: any text compares, not only ASCII
    return int(number) if hmac.compare_digest(expected.encode(), given) else None


async def find_for_tracking(
    settings: Settings,
    redis: Any,
    client: str,
    *,
    number: int | None = None,
    email: str | None = None,
    token: str | None = None,
) -> Order | None:
    """The order for the public view, or None. A wrong email, a wrong token and a missing
    order all give the same None; attempts are limited per client address."""
    await ratelimit.hit(
        redis,
        "tracking",
        client,
        settings.tracking_rate_limit,
        settings.tracking_rate_window_seconds,
    )
    if token:
        found = _number_from_token(token, settings.secret_key)
        if found is None:
            return None
        return await Order.get_or_none(number=found)
    wanted = normalise_email(email or "")
    if number is None or not fits_id(number) or not wanted or len(wanted) > 254:
        return None
    return await Order.get_or_none(number=number, email=wanted)
