from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.bulk import BulkOutcome
from app.models.imports import ImportStatus
from app.models.orders import OrderStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_payments_shipping_idempotency')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BulkOperation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('status', fields.CharEnumField(db_index=True, description='QUEUED: QUEUED\nRUNNING: RUNNING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED', enum_type=ImportStatus, max_length=16)),
                ('target_status', fields.CharEnumField(description='INCOMPLETE: INCOMPLETE\nPENDING: PENDING\nAWAITING_PAYMENT: AWAITING_PAYMENT\nAWAITING_FULFILLMENT: AWAITING_FULFILLMENT\nAWAITING_SHIPMENT: AWAITING_SHIPMENT\nAWAITING_PICKUP: AWAITING_PICKUP\nPARTIALLY_SHIPPED: PARTIALLY_SHIPPED\nSHIPPED: SHIPPED\nCOMPLETED: COMPLETED\nCANCELLED: CANCELLED\nDECLINED: DECLINED\nREFUNDED: REFUNDED\nPARTIALLY_REFUNDED: PARTIALLY_REFUNDED\nDISPUTED: DISPUTED\nMANUAL_VERIFICATION_REQUIRED: MANUAL_VERIFICATION_REQUIRED\nRETURNED: RETURNED', enum_type=OrderStatus, max_length=32)),
                ('note', fields.TextField(default='', unique=False)),
                ('total', fields.IntField(default=0)),
                ('processed', fields.IntField(default=0)),
                ('succeeded', fields.IntField(default=0)),
                ('failed', fields.IntField(default=0)),
                ('error', fields.TextField(default='', unique=False)),
                ('created_by_id', fields.IntField(null=True)),
                ('acting_label', fields.CharField(default='', max_length=300)),
                ('acting_permissions', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lease', fields.CharField(default='', max_length=64)),
                ('heartbeat_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'bulk_operations', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BulkOperationRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('operation', fields.ForeignKeyField('models.BulkOperation', source_field='operation_id', db_index=True, db_constraint=True, to_field='id', related_name='rows', on_delete=OnDelete.CASCADE)),
                ('order_id', fields.IntField()),
                ('order_number', fields.IntField()),
                ('outcome', fields.CharEnumField(default=BulkOutcome.PENDING, description='PENDING: PENDING\nSUCCEEDED: SUCCEEDED\nUNCHANGED: UNCHANGED\nFAILED: FAILED', enum_type=BulkOutcome, max_length=16)),
                ('code', fields.CharField(default='', max_length=64)),
                ('message', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'bulk_operation_rows', 'app': 'models', 'indexes': [Index(fields=['operation_id', 'outcome'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
