from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.documents import DocumentKind, DocumentStatus
from app.models.imports import ImportStatus, RowOutcome
from app.models.returns import ReturnAction, ReturnStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Document',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='INVOICE: INVOICE\nPACKING_SLIP: PACKING_SLIP', enum_type=DocumentKind, max_length=16)),
                ('status', fields.CharEnumField(db_index=True, description='PENDING: PENDING\nRUNNING: RUNNING\nREADY: READY\nFAILED: FAILED', enum_type=DocumentStatus, max_length=16)),
                ('order_ids', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('checksum', fields.CharField(db_index=True, max_length=64)),
                ('storage_key', fields.CharField(default='', max_length=255)),
                ('page_count', fields.IntField(null=True)),
                ('error', fields.TextField(default='', unique=False)),
                ('created_by_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'documents', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DocumentOrder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('document', fields.ForeignKeyField('models.Document', source_field='document_id', db_index=True, db_constraint=True, to_field='id', related_name='links', on_delete=OnDelete.CASCADE)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='document_links', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'document_orders', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Return',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='returns', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(db_index=True, description='PENDING: PENDING\nAUTHORIZED: AUTHORIZED\nRECEIVED: RECEIVED\nREPAIRED: REPAIRED\nREFUNDED: REFUNDED\nREJECTED: REJECTED\nCANCELLED: CANCELLED', enum_type=ReturnStatus, max_length=16)),
                ('customer_comment', fields.TextField(default='', unique=False)),
                ('staff_notes', fields.TextField(default='', unique=False)),
                ('restocked', fields.BooleanField(default=False)),
                ('created_by_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'returns', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Refund',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.CASCADE)),
                ('return_request', fields.ForeignKeyField('models.Return', source_field='return_request_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.SET_NULL)),
                ('amount', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('currency', fields.CharField(max_length=3)),
                ('reason', fields.TextField(default='', unique=False)),
                ('items', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('restocked', fields.BooleanField(default=False)),
                ('created_by_id', fields.IntField(null=True)),
                ('created_by', fields.CharField(default='', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'refunds', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReturnItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('return_request', fields.ForeignKeyField('models.Return', source_field='return_request_id', db_index=True, db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('order_item', fields.ForeignKeyField('models.OrderItem', source_field='order_item_id', db_index=True, db_constraint=True, to_field='id', related_name='return_items', on_delete=OnDelete.CASCADE)),
                ('quantity', fields.IntField()),
                ('reason', fields.CharField(default='', max_length=500)),
                ('action', fields.CharEnumField(default=ReturnAction.REFUND, description='REFUND: REFUND\nREPLACE: REPLACE\nREPAIR: REPAIR\nSTORE_CREDIT: STORE_CREDIT', enum_type=ReturnAction, max_length=16)),
            ],
            options={'table': 'return_items', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Shipment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='shipments', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('created_by_id', fields.IntField(null=True)),
                ('created_by', fields.CharField(default='', max_length=300)),
                ('shipped_to', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('search_text', fields.TextField(default='', unique=False)),
                ('tracking_number', fields.CharField(default='', db_index=True, max_length=50)),
                ('carrier', fields.CharField(default='', max_length=50)),
                ('shipping_method', fields.CharField(default='', max_length=100)),
                ('comments', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'shipments', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShipmentItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shipment', fields.ForeignKeyField('models.Shipment', source_field='shipment_id', db_index=True, db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('order_item', fields.ForeignKeyField('models.OrderItem', source_field='order_item_id', db_index=True, db_constraint=True, to_field='id', related_name='shipment_items', on_delete=OnDelete.CASCADE)),
                ('sku', fields.CharField(max_length=64)),
                ('name', fields.CharField(max_length=255)),
                ('quantity', fields.IntField()),
            ],
            options={'table': 'shipment_items', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrackingImport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('status', fields.CharEnumField(db_index=True, description='QUEUED: QUEUED\nRUNNING: RUNNING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED', enum_type=ImportStatus, max_length=16)),
                ('filename', fields.CharField(max_length=255)),
                ('storage_key', fields.CharField(max_length=255)),
                ('size_bytes', fields.BigIntField(default=0)),
                ('create_shipments', fields.BooleanField(default=False)),
                ('set_status', fields.CharField(null=True, max_length=32)),
                ('overwrite', fields.BooleanField(default=False)),
                ('total_rows', fields.IntField(null=True)),
                ('processed_rows', fields.IntField(default=0)),
                ('updated', fields.IntField(default=0)),
                ('shipped', fields.IntField(default=0)),
                ('unchanged', fields.IntField(default=0)),
                ('skipped', fields.IntField(default=0)),
                ('failed', fields.IntField(default=0)),
                ('error', fields.TextField(default='', unique=False)),
                ('created_by_id', fields.IntField(null=True)),
                ('acting_label', fields.CharField(default='', max_length=300)),
                ('acting_permissions', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'tracking_imports', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrackingImportRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tracking_import', fields.ForeignKeyField('models.TrackingImport', source_field='tracking_import_id', db_constraint=True, to_field='id', related_name='rows', on_delete=OnDelete.CASCADE)),
                ('line', fields.IntField()),
                ('order_number', fields.CharField(default='', max_length=100)),
                ('tracking_number', fields.CharField(default='', max_length=100)),
                ('carrier', fields.CharField(default='', max_length=100)),
                ('outcome', fields.CharEnumField(description='UPDATED: UPDATED\nSHIPPED: SHIPPED\nUNCHANGED: UNCHANGED\nSKIPPED: SKIPPED\nFAILED: FAILED', enum_type=RowOutcome, max_length=16)),
                ('code', fields.CharField(null=True, max_length=40)),
                ('message', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'tracking_import_rows', 'app': 'models', 'unique_together': (('tracking_import', 'line'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OrderItem',
            name='quantity_restocked',
            field=fields.IntField(default=0),
        ),
    ]
