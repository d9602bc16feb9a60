from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Shipment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='shipments', on_delete=OnDelete.CASCADE)),
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
                ('shipment', fields.ForeignKeyField('models.Shipment', source_field='shipment_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('order_item', fields.ForeignKeyField('models.OrderItem', source_field='order_item_id', db_constraint=True, to_field='id', related_name='shipment_items', on_delete=OnDelete.CASCADE)),
                ('sku', fields.CharField(max_length=64)),
                ('name', fields.CharField(max_length=255)),
                ('quantity', fields.IntField()),
            ],
            options={'table': 'shipment_items', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
