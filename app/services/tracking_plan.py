"""The one planner of tracking numbers on orders, for one order or many, and its one
permission rule: addTracking is the set of one, a tracking import's set path the set of
many. Shipments are never touched (R3): each keeps the number it was created with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from tortoise import connections

from app.db import is_postgres, require_transaction
from app.services import events
from app.services.auth import Permission, Viewer
from app.services.events import NewEvent, tracking_set

# Who sets an order's tracking number: staff who write shipments or orders; an import also
# sets it for whoever may import (its set path changes nothing else).
WRITERS = (Permission.SHIPMENTS_WRITE, Permission.ORDERS_WRITE)


def require_writer(viewer: Viewer, *, importing: bool = False) -> None:
    if importing and viewer.can(Permission.IMPORTS_WRITE):
        return
    viewer.require_any(*WRITERS)


class Decision(StrEnum):
    SET = "SET"  # the number (and carrier) is written
    SAME = "SAME"  # the order has this number and carrier already
    KEPT = "KEPT"  # the order has another number, and the ask may not overwrite it


@dataclass(frozen=True)
class Ask:
    order_id: int
    number: str
    carrier: str  # "" when none is known
    data: dict[str, Any] = field(default_factory=dict)  # added to the event


@dataclass
class TrackingPlan:
    decisions: list[tuple[Decision, str]] = field(default_factory=list)  # per ask: what, was
    final: dict[int, tuple[str, str]] = field(default_factory=dict)
    events: list[tuple[int, NewEvent]] = field(default_factory=list)


def plan(
    viewer: Viewer,
    current: dict[int, tuple[str, str]],
    asks: Sequence[Ask],
    *,
    overwrite: bool,
    importing: bool = False,
) -> TrackingPlan:
    """Decide each ask in order against the orders' (number, carrier) as the earlier asks
    leave them: the same number and carrier change nothing, another number is replaced only
    with `overwrite`."""
    require_writer(viewer, importing=importing)
    result = TrackingPlan()
    for ask in asks:
        number, carrier = result.final.get(ask.order_id, current[ask.order_id])
        if (number, carrier) == (ask.number, ask.carrier):
            result.decisions.append((Decision.SAME, number))
        elif number and number != ask.number and not overwrite:
            result.decisions.append((Decision.KEPT, number))
        else:
            result.decisions.append((Decision.SET, number))
            result.final[ask.order_id] = (ask.number, ask.carrier)
            event = tracking_set(ask.number, ask.carrier or None, **ask.data)
            result.events.append((ask.order_id, event))
    return result


async def write(viewer: Viewer, result: TrackingPlan) -> datetime:
    """One UPDATE for every order the plan changes (version moved on), and one insert of
    its events; returns the time written."""
    require_transaction()
    now = datetime.now(UTC)
    if result.final:
        await _update(result.final, now)
        await events.record_set(viewer, result.events, now)
    return now


async def _update(final: dict[int, tuple[str, str]], now: datetime) -> None:
    """Arrays unnested on PostgreSQL, a VALUES list on SQLite (3.33+ for UPDATE ... FROM)."""
    conn = connections.get("default")
    ids = list(final)
    numbers = [final[i][0] for i in ids]
    carriers = [final[i][1] for i in ids]
    assignments = (
        "tracking_number = v.t, carrier = v.c, version = version + 1, updated_at = {stamp}"
    )
    if is_postgres():
        await conn.execute_query(
            "UPDATE orders SET "  # noqa: S608 - placeholders only
            + assignments.format(stamp="$4")
            + " FROM unnest($1::int[], $2::text[], $3::text[]) AS v(id, t, c)"
            " WHERE orders.id = v.id",
            [ids, numbers, carriers, now],
        )
        return
    values = ", ".join(["(?, ?, ?)"] * len(ids))
    params: list[Any] = [x for triple in zip(ids, numbers, carriers, strict=True) for x in triple]
    await conn.execute_query(
        f"WITH v(id, t, c) AS (VALUES {values}) UPDATE orders SET "  # noqa: S608
        + assignments.format(stamp="?")
        + " FROM v WHERE orders.id = v.id",
        [*params, now.isoformat(sep=" ")],
    )
