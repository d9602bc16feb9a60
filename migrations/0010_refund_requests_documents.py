from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.returns import RefundRequestStatus
from decimal import Decimal
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

# Refund requests (asked of the payment side, confirmed by recordPayment), the sum of an
# order's pending ones, packing slips per shipment and exports with a byte-order mark.


class Migration(migrations.Migration):
    dependencies = [('models', '0009_console_server')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RefundRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='refund_requests', on_delete=OnDelete.CASCADE)),
                ('return_request', fields.ForeignKeyField('models.Return', source_field='return_request_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='refund_requests', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(description='PENDING: PENDING\nCONFIRMED: CONFIRMED\nCANCELLED: CANCELLED', enum_type=RefundRequestStatus, max_length=16)),
                ('amount', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('currency', fields.CharField(max_length=3)),
                ('reason', fields.TextField(default='', unique=False)),
                ('refund_id', fields.IntField(null=True)),
                ('created_by_id', fields.IntField(null=True)),
                ('created_by', fields.CharField(default='', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('settled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'refund_requests', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Staff asking the payment side to pay money back: sent to it as a refund.requested'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Order',
            name='amount_refund_requested',
            field=fields.DecimalField(default=Decimal('0.00'), db_default=Decimal('0.00'), max_digits=12, decimal_places=2),
        ),
        ops.AddField(
            model_name='Document',
            name='shipment_ids',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Export',
            name='byte_order_mark',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
