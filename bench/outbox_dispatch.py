"""The outbox dispatcher: events per second fanned out, next to a set-based floor, in the
same run.

N orders of 3 lines each get two timeline events (ORDER_PLACED and STATUS_CHANGED), and two
webhooks ask for every event. The measured run is the worker's own `outbox.dispatch`, set by
set until nothing is left: each event becomes two signed-body deliveries (the order built
from its rows) and each placed order a rendered customer email. The floor does the least the
same work could: in one transaction, rolled back, one INSERT … SELECT of the same number of
delivery rows (with a constant body) and one UPDATE marking the events dispatched. The ratio
is what building the bodies and emails, and doing it in sets of 500, costs. PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/outbox_dispatch.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import rolled_back_seconds, scratch_environment, seed_orders

FLOOR = [
    """INSERT INTO webhook_deliveries (webhook_id, message_id, event, payload, status, attempts,
         next_attempt_at, last_error, created_at)
       SELECT w.id, 'msg_oe' || e.id, 'order.created', '{"type": "order.created"}', 'PENDING',
         0, now(), '', now()
       FROM order_events e CROSS JOIN webhooks w WHERE NOT e.dispatched""",
    "UPDATE order_events SET dispatched = true WHERE NOT dispatched",
]


async def main(count: int, notify: bool) -> None:
    from tortoise import Tortoise, connections

    from app.db import insert_rows, migrate_database, tortoise_config
    from app.models import OrderStatus, Webhook
    from app.services import outbox, webhooks
    from app.services.auth import SYSTEM
    from app.services.events import EVENT_COLUMNS, EventType, NewEvent, as_row, status_changed
    from app.settings import get_settings

    settings = replace(get_settings(), notify=notify)
    if settings.is_sqlite:
        sys.exit("Run this on PostgreSQL: set DATABASE_URL.")
    await migrate_database(settings)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        ids = await seed_orders(count)
        now = datetime.now(UTC)
        placed = NewEvent(EventType.ORDER_PLACED, "Order placed.")
        moved = status_changed(OrderStatus.PENDING, OrderStatus.AWAITING_FULFILLMENT)
        rows = [as_row(i, SYSTEM, e, now) for i in ids for e in (placed, moved)]
        await insert_rows("order_events", EVENT_COLUMNS, rows)
        for n in range(2):
            await Webhook.create(
                url=f"https://erp{n}.example.com/hook",
                events=list(webhooks.TOPICS),
                secret=webhooks.new_secret(),
            )
        await connections.get("default").execute_script("ANALYZE")
        events = len(rows)

        floor = events / await rolled_back_seconds(FLOOR)

        start, used = time.perf_counter(), time.process_time()
        deliveries = emails = 0
        while (done := await outbox.dispatch(settings)).events:
            deliveries += done.deliveries
            emails += done.emails
        rate = events / (time.perf_counter() - start)
        # the worker's own CPU: steadier than a rate on a shared machine
        cpu_ms = 1000 * (time.process_time() - used) / events
        assert deliveries == 2 * events, deliveries
        assert emails == (count if notify else 0), emails
    finally:
        await Tortoise.close_connections()
    shown = "on" if notify else "off"
    print(f"outbox dispatch: {count} orders, {events} events, 2 webhooks, emails {shown}")
    print(f"  floor (INSERT … SELECT + UPDATE)  {floor:10.0f} events/s")
    print(
        f"  outbox.dispatch                   {rate:10.0f} events/s   ratio {rate / floor:.2f}"
        f"   ({deliveries} deliveries, {emails} emails)"
    )
    print(f"  the worker's CPU                  {cpu_ms:10.3f} ms an event")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--no-emails", action="store_true", help="BITCART_NOTIFY=0")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Run this on PostgreSQL: set DATABASE_URL.")
    scratch_environment("bitcart_bench_outbox")
    asyncio.run(main(args.orders, not args.no_emails))
