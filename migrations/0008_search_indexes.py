from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

# Search at a million orders: on PostgreSQL, trigram indexes (pg_trgm, a trusted extension the
# database's owner may create) answer `ILIKE '%term%'` on every column the order search reads
# (see app/services/order_search.py). SQLite searches by scanning, as before.
TRIGRAM = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS orders_email_trgm ON orders USING gin (email gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS orders_search_trgm ON orders USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS orders_tracking_trgm ON orders"
    " USING gin (tracking_number gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS orders_notes_trgm ON orders USING gin (staff_notes gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS shipments_tracking_trgm ON shipments"
    " USING gin (tracking_number gin_trgm_ops)",
]
# Every documented sort pages by keyset on (key, id): an index each, on both databases.
SORTS = [
    "CREATE INDEX IF NOT EXISTS orders_total_id ON orders (total, id)",
    "CREATE INDEX IF NOT EXISTS orders_updated_id ON orders (updated_at, id)",
    "CREATE INDEX IF NOT EXISTS orders_created_id ON orders (created_at, id)",
    "CREATE INDEX IF NOT EXISTS orders_status_created_id ON orders (status, created_at, id)",
]


async def create_indexes(apps: Any, editor: Any) -> None:
    client = editor.client
    statements = SORTS + (TRIGRAM if client.capabilities.dialect == "postgres" else [])
    for statement in statements:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [('models', '0007_webhooks_emails_outbox')]

    initial = False

    operations = [
        ops.RunPython(create_indexes),
    ]
