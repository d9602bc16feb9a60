from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.returns import ReturnAction, ReturnStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_shipments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Return',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='returns', on_delete=OnDelete.CASCADE)),
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
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.CASCADE)),
                ('return_request', fields.ForeignKeyField('models.Return', source_field='return_request_id', null=True, db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.SET_NULL)),
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
                ('return_request', fields.ForeignKeyField('models.Return', source_field='return_request_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('order_item', fields.ForeignKeyField('models.OrderItem', source_field='order_item_id', db_constraint=True, to_field='id', related_name='return_items', on_delete=OnDelete.CASCADE)),
                ('quantity', fields.IntField()),
                ('reason', fields.CharField(default='', max_length=500)),
                ('action', fields.CharEnumField(default=ReturnAction.REFUND, description='REFUND: REFUND\nREPLACE: REPLACE\nREPAIR: REPAIR\nSTORE_CREDIT: STORE_CREDIT', enum_type=ReturnAction, max_length=16)),
            ],
            options={'table': 'return_items', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OrderItem',
            name='quantity_restocked',
            field=fields.IntField(default=0),
        ),
    ]
