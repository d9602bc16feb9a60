from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.exports import ExportGranularity
from app.models.imports import ImportStatus
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_bulk_operations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Export',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('status', fields.CharEnumField(db_index=True, description='QUEUED: QUEUED\nRUNNING: RUNNING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED', enum_type=ImportStatus, max_length=16)),
                ('granularity', fields.CharEnumField(description='ORDER: ORDER\nITEM: ITEM', enum_type=ExportGranularity, max_length=8)),
                ('order_filter', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('row_count', fields.IntField(null=True)),
                ('storage_key', fields.CharField(default='', max_length=255)),
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
            options={'table': 'exports', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
