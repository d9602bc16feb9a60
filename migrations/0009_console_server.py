from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# The order list's filters by payment status, shipping country and SKU (issue 26), each
# paging by keyset on (created_at, id) as the default sort does: an index each, on both
# databases. The shipping country gets a column of its own, filled here from the address
# (one statement; at a million orders it rewrites each row once).
FILL_COUNTRY = {
    "postgres": "UPDATE orders SET shipping_country ="
    " COALESCE(LEFT(shipping_address->>'country', 2), '')",
    "sqlite": "UPDATE orders SET shipping_country ="
    " COALESCE(substr(json_extract(shipping_address, '$.country'), 1, 2), '')",
}
INDEXES = [
    "CREATE INDEX IF NOT EXISTS orders_payment_created_id"
    " ON orders (payment_status, created_at, id)",
    "CREATE INDEX IF NOT EXISTS orders_country_created_id"
    " ON orders (shipping_country, created_at, id)",
    "CREATE INDEX IF NOT EXISTS order_items_sku_order ON order_items (sku, order_id)",
]


async def fill_and_index(apps: Any, editor: Any) -> None:
    client = editor.client
    await client.execute_script(FILL_COUNTRY[client.capabilities.dialect])
    for statement in INDEXES:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [('models', '0008_search_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ApiToken',
            name='last_used_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Order',
            name='shipping_country',
            field=fields.CharField(default='', db_default='', max_length=2),
        ),
        ops.AddField(
            model_name='Product',
            name='active',
            field=fields.BooleanField(default=True, db_default=True),
        ),
        ops.RunPython(fill_and_index),
    ]
