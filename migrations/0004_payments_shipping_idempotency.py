from decimal import Decimal
from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.orders import PaymentStatus, TransactionKind
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

# Orders placed before payments became transactions carry their record over: an AUTHORIZED
# payment becomes an AUTHORIZATION of the total, an amount paid a CAPTURE, each refund a
# REFUND, and payment_status is derived again from those sums. A transaction id shared by
# several orders (the old API took any) identifies none of them, so it is left out.
REFERENCE = """CASE WHEN o.payment_transaction_id = '' OR EXISTS (
    SELECT 1 FROM orders d WHERE d.id <> o.id AND d.payment_provider = o.payment_provider
    AND d.payment_transaction_id = o.payment_transaction_id) THEN NULL
    ELSE o.payment_transaction_id END"""
COLUMNS = (
    "order_id, kind, amount, currency, provider, reference, method, actor_id, actor_kind,"
    " actor, created_at"
)


class AlterEnumComment(ops.AlterField):
    """An enum's members are only a column comment. SQLite has no comments: its AlterField
    rebuilds the table, dropping the indexes and, through ON DELETE CASCADE, every row that
    refers to an order. So on SQLite only the migration state changes."""

    async def database_forward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if state_editor is not None and state_editor.client.capabilities.dialect == "sqlite":
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)


CARRY_OVER = [
    f"""INSERT INTO payment_transactions ({COLUMNS})
    SELECT o.id, 'AUTHORIZATION', o.total, o.currency, o.payment_provider, {REFERENCE},
    o.payment_method, NULL, 'SYSTEM', 'system', o.created_at FROM orders o
    WHERE o.payment_status = 'AUTHORIZED' AND CAST(o.amount_paid AS REAL) = 0""",
    f"""INSERT INTO payment_transactions ({COLUMNS})
    SELECT o.id, 'CAPTURE', o.amount_paid, o.currency, o.payment_provider, {REFERENCE},
    o.payment_method, NULL, 'SYSTEM', 'system', o.created_at FROM orders o
    WHERE CAST(o.amount_paid AS REAL) > 0""",
    f"""INSERT INTO payment_transactions ({COLUMNS})
    SELECT r.order_id, 'REFUND', r.amount, r.currency, o.payment_provider, NULL,
    o.payment_method, r.created_by_id,
    CASE WHEN r.created_by_id IS NULL THEN 'SYSTEM' ELSE 'STAFF' END, r.created_by, r.created_at
    FROM refunds r JOIN orders o ON o.id = r.order_id""",
    """UPDATE orders SET amount_authorized = total
    WHERE payment_status = 'AUTHORIZED' AND CAST(amount_paid AS REAL) = 0""",
    """UPDATE orders SET payment_status = CASE
    WHEN CAST(amount_refunded AS REAL) > 0 THEN
        CASE WHEN CAST(amount_refunded AS REAL) >= CAST(amount_paid AS REAL)
        THEN 'REFUNDED' ELSE 'PARTIALLY_REFUNDED' END
    WHEN CAST(amount_paid AS REAL) > 0 THEN
        CASE WHEN CAST(amount_paid AS REAL) >= CAST(total AS REAL)
        THEN 'PAID' ELSE 'PARTIALLY_PAID' END
    WHEN CAST(amount_authorized AS REAL) > 0 THEN 'AUTHORIZED'
    WHEN CAST(total AS REAL) = 0 THEN 'PAID'
    ELSE 'PENDING' END""",
]


async def seed_standard_shipping(apps: object, editor: object) -> None:
    """A new store takes orders at once: one free method, everywhere."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from app.settings import load_settings

    client = editor.client  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    currency = load_settings().currency
    if client.capabilities.dialect == "postgres":
        marks = "$1, $2, $3, $4, $5, $6"
        values: list[object] = [Decimal("0.00"), currency, "[]", True, now, now]
    else:
        stamp = now.isoformat(sep=" ")
        marks = "?, ?, ?, ?, ?, ?"
        values = ["0.00", currency, "[]", True, stamp, stamp]
    await client.execute_query(
        "INSERT INTO shipping_methods (code, name, price, currency, countries, active,"
        f" created_at, updated_at) VALUES ('standard', 'Standard', {marks})",
        values,
    )


class Migration(migrations.Migration):
    dependencies = [('models', '0003_worker_leases')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IdempotencyKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('caller', fields.CharField(max_length=80)),
                ('operation', fields.CharField(max_length=64)),
                ('key', fields.CharField(max_length=255)),
                ('request_hash', fields.CharField(max_length=64)),
                ('result', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'idempotency_keys', 'app': 'models', 'unique_together': (('caller', 'operation', 'key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentTransaction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='transactions', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='AUTHORIZATION: AUTHORIZATION\nCAPTURE: CAPTURE\nVOID: VOID\nREFUND: REFUND', enum_type=TransactionKind, max_length=16)),
                ('amount', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('currency', fields.CharField(max_length=3)),
                ('provider', fields.CharField(default='', max_length=50)),
                ('reference', fields.CharField(null=True, max_length=255)),
                ('method', fields.CharField(default='', max_length=50)),
                ('actor_id', fields.IntField(null=True)),
                ('actor_kind', fields.CharField(default='SYSTEM', max_length=16)),
                ('actor', fields.CharField(default='', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'payment_transactions', 'app': 'models', 'unique_together': (('provider', 'kind', 'reference'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShippingMethod',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=50)),
                ('name', fields.CharField(max_length=100)),
                ('price', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('currency', fields.CharField(max_length=3)),
                ('free_over', fields.DecimalField(null=True, max_digits=12, decimal_places=2)),
                ('countries', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'shipping_methods', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        AlterEnumComment(
            model_name='Order',
            name='payment_status',
            field=fields.CharEnumField(description='PENDING: PENDING\nAUTHORIZED: AUTHORIZED\nPARTIALLY_PAID: PARTIALLY_PAID\nPAID: PAID\nPARTIALLY_REFUNDED: PARTIALLY_REFUNDED\nREFUNDED: REFUNDED\nVOIDED: VOIDED', enum_type=PaymentStatus, max_length=32),
        ),
        ops.AddField(
            model_name='Order',
            name='amount_authorized',
            field=fields.DecimalField(default=Decimal("0.00"), db_default=Decimal("0.00"), max_digits=12, decimal_places=2),
        ),
        ops.AddField(
            model_name='Order',
            name='status_manual',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.RunSQL(CARRY_OVER),
        ops.RunPython(seed_standard_shipping),
    ]
