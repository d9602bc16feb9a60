"""Live updates over graphql-transport-ws on /graphql (see app/live.py for the fan-out).

A connection is authenticated by its `connection_init` payload's Authorization, as a
request is by its header. Staff see every event (or one order's); a customer sees the
PUBLIC events of their own orders, as on their timeline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import suppress
from typing import Any

import strawberry

from app import live
from app.models import EventVisibility, ImportStatus
from app.models import OrderEvent as OrderEventModel
from app.schema.context import Info
from app.schema.errors import QueryError
from app.schema.ids import from_global_id
from app.schema.loaders import Loaders
from app.schema.types.imports import TrackingImport
from app.schema.types.orders import OrderEvent
from app.services import imports, orders
from app.services.auth import viewer_from_token
from app.services.errors import DomainError, ErrorCode, not_found

# An import subscriber looks for itself this often, should a progress message be lost.
IMPORT_LOOK_SECONDS = 5.0
# An idle order-events subscription checks its token is still good this often.
RECHECK_SECONDS = 30.0


def _refused(error: DomainError) -> QueryError:
    return QueryError(error)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Order events as they happen: staff see every event (ORDERS_READ), or one "
        "order's with orderId; a customer sees their own orders' PUBLIC events."
    )
    async def order_events(
        self, info: Info, order_id: strawberry.ID | None = None
    ) -> AsyncGenerator[OrderEvent, None]:
        viewer = info.context.viewer
        try:
            visible = orders.visible_orders(viewer)
            only = from_global_id("Order", order_id, "orderId") if order_id is not None else None
            if only is not None and not await visible.filter(id=only).exists():
                raise not_found("Order", ["orderId"])
        except DomainError as exc:
            if exc.code is ErrorCode.INVALID_INPUT:  # a malformed id is simply not found
                exc = not_found("Order", ["orderId"])
            raise _refused(exc) from None
        staff = viewer.is_staff
        async with info.context.live.listen(live.ORDER_EVENTS) as queue:
            while (message := await _next_or_recheck(info, queue)) is not None:
                if only is not None and message.get("orderId") != only:
                    continue
                if not staff and (
                    message.get("customerId") != viewer.user_id
                    or message.get("visibility") != EventVisibility.PUBLIC.value
                ):
                    continue
                # the event with its order, in one statement (OrderEvent.order reads it)
                event = (
                    await OrderEventModel.filter(id=message.get("id"))
                    .select_related("order")
                    .first()
                )
                if event is not None:
                    await _still_signed_in(info)  # a token revoked since: nothing more
                    # one connection's context lives as long as it does: fresh loaders
                    # for each event, so nothing read for an earlier one is shown again
                    info.context.loaders = Loaders()
                    yield OrderEvent.build(event, info.context, event.order)
        raise QueryError(
            DomainError(ErrorCode.LIMIT_REACHED, "Fell too far behind; subscribe again.")
        )

    @strawberry.subscription(
        description="A tracking import's progress: its state now, then after each set of "
        "rows, ending when it has finished (IMPORTS_WRITE or ORDERS_READ)."
    )
    async def tracking_import_progress(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[TrackingImport, None]:
        viewer = info.context.viewer
        try:
            import_id = from_global_id("TrackingImport", id)
            if await imports.get_import(viewer, import_id) is None:
                raise not_found("Tracking import", ["id"])
        except DomainError as exc:
            if exc.code is ErrorCode.INVALID_INPUT:
                exc = not_found("Tracking import", ["id"])
            raise _refused(exc) from None
        async with info.context.live.listen(live.IMPORT_PROGRESS) as queue:
            seen = None
            while True:
                row = await imports.get_import(viewer, import_id)
                if row is None:
                    return
                state = (row.status, row.processed_rows, row.total_rows)
                if state != seen:
                    seen = state
                    yield TrackingImport.build(row)
                if row.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
                    return
                await _next_for(queue, import_id)


async def _still_signed_in(info: Info) -> None:
    """The connection's token is still good (not revoked, not expired), else
    UNAUTHENTICATED: a sign-out ends the live updates too."""
    context = info.context
    now = await viewer_from_token(context.ws_token, context.settings.secret_key)
    if now.is_anonymous or now.token_id != context.viewer.token_id:
        raise QueryError(
            DomainError(ErrorCode.UNAUTHENTICATED, "Signed out: sign in and subscribe again.")
        )


async def _next_or_recheck(
    info: Info, queue: asyncio.Queue[dict[str, Any] | None]
) -> dict[str, Any] | None:
    """The next message; while none comes, the token is checked every RECHECK_SECONDS."""
    while True:
        try:
            return await asyncio.wait_for(queue.get(), RECHECK_SECONDS)
        except TimeoutError:
            await _still_signed_in(info)


async def _next_for(queue: asyncio.Queue[dict[str, object] | None], import_id: int) -> None:
    """Until a message about this import comes, or it is time to look anyway."""
    loop = asyncio.get_running_loop()
    until = loop.time() + IMPORT_LOOK_SECONDS
    while (left := until - loop.time()) > 0:
        message = None
        with suppress(TimeoutError):
            message = await asyncio.wait_for(queue.get(), left)
        if message is None or message.get("id") == import_id:
            return
