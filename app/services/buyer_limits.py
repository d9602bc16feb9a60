"""What one buyer may hold unpaid. An order takes its stock when it is placed and gives it
back only when paid for or cancelled by the unpaid-order sweep, so orders nobody pays for
are stock nobody else can buy: buyers (guests and customers) take a bounded number of units
a line and hold a bounded number of unpaid orders, per customer and per client address.
Staff and integration tokens placing orders (ORDERS_WRITE) are not buyers here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise import connections
from tortoise.queryset import QuerySet

from app.db import is_postgres
from app.models import Order
from app.services.auth import Viewer
from app.services.errors import DomainError, ErrorCode, Problems
from app.services.lifecycle import AWAITING_PAYMENT, UNPAID


@dataclass(frozen=True)
class BuyerLimits:
    units_per_line: int
    unpaid_per_customer: int
    unpaid_per_address: int
    client: str = ""  # the client address; "" when not known (a job, the command line)
    redis: Any = None
    # how long an address's orders are remembered: the unpaid-order sweep's wait (0: a day)
    window_seconds: int = 24 * 3600


def unpaid() -> QuerySet[Order]:
    """Orders waiting for a payment that has not come, in a status payments would move
    (not one staff set by hand): what the unpaid-order sweep cancels in time."""
    return Order.filter(
        status__in=list(AWAITING_PAYMENT),
        status_manual=False,
        payment_status__in=sorted(UNPAID),
    )


def is_buyer(viewer: Viewer) -> bool:
    return viewer.is_anonymous or viewer.is_customer


def check_lines(
    limits: BuyerLimits, lines: Sequence[tuple[str, int]], first_index: dict[str, int]
) -> None:
    """LIMIT_REACHED for a line of more units than a buyer takes (lines of one SKU are one)."""
    problems = Problems()
    for sku, quantity in lines:
        if quantity > limits.units_per_line:
            problems.add(
                ["items", str(first_index.get(sku, 0)), "quantity"],
                f"At most {limits.units_per_line} units of {sku} an order.",
                ErrorCode.LIMIT_REACHED,
            )
    problems.raise_if_any()


# the orders an address placed that are remembered at most (the newest)
KEEP_PER_ADDRESS = 1000


def _address_key(client: str) -> str:
    # beside the rate limits' keys (bitcart:rl:*), which it is kin to
    return f"bitcart:rl:unpaid:{client}"


async def check_unpaid(viewer: Viewer, limits: BuyerLimits) -> None:
    """LIMIT_REACHED when the customer, or the client address, holds as many unpaid orders
    as a buyer may. One buyer's checkouts pass here one at a time, until each commits:
    twenty at once on PostgreSQL all counted the same orders, and nine were placed with a
    limit of five (SQLite runs one writer at a time)."""
    await _one_at_a_time(viewer, limits)
    if viewer.is_customer:
        held = await unpaid().filter(customer_id=viewer.user_id).count()
        if held >= limits.unpaid_per_customer:
            raise DomainError(
                ErrorCode.LIMIT_REACHED,
                f"You have {held} unpaid orders; pay for one (or let it lapse) before placing "
                f"another. At most {limits.unpaid_per_customer} unpaid orders are held at once.",
            )
    if limits.redis is None or not limits.client:
        return
    since = time.time() - (limits.window_seconds or 24 * 3600)
    recent = await limits.redis.zrangebyscore(_address_key(limits.client), since, "+inf")
    ids = [int(i) for i in recent]
    if len(ids) < limits.unpaid_per_address:
        return
    held = await unpaid().filter(id__in=ids).count()
    if held >= limits.unpaid_per_address:
        raise DomainError(
            ErrorCode.LIMIT_REACHED,
            f"{held} unpaid orders were placed from this address; pay for one (or let it "
            f"lapse) before placing another. At most {limits.unpaid_per_address} are held "
            "at once.",
        )


async def _one_at_a_time(viewer: Viewer, limits: BuyerLimits) -> None:
    """Hold the buyer's locks (the customer's, the address's) to the end of the transaction."""
    if not is_postgres():
        return
    holders = [f"customer:{viewer.user_id}"] if viewer.is_customer else []
    if limits.client:
        holders.append(f"address:{limits.client}")
    conn = connections.get("default")
    for holder in sorted(holders):  # one order, so two checkouts never wait on each other
        await conn.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [holder])


async def remember(limits: BuyerLimits, order_id: int) -> None:
    """Note the order against its client address for the unpaid-order window. Kept in Redis
    beside the rate limits: an address is no fact of the order's, and is kept no longer."""
    if limits.redis is None or not limits.client:
        return
    key = _address_key(limits.client)
    now = time.time()
    window = limits.window_seconds or 24 * 3600
    async with limits.redis.pipeline(transaction=True) as pipe:
        pipe.zremrangebyscore(key, "-inf", now - window)
        pipe.zadd(key, {str(order_id): now})
        pipe.zremrangebyrank(key, 0, -KEEP_PER_ADDRESS - 1)
        pipe.expire(key, window)
        await pipe.execute()
