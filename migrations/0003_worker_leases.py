from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_fulfilment_returns_workers')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Document',
            name='heartbeat_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='TrackingImport',
            name='heartbeat_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='TrackingImport',
            name='lease',
            field=fields.CharField(default='', max_length=64),
        ),
    ]
