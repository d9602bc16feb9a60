from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.notifications import DeliveryStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

# Events written before this release were told to no one at the time: mark them dispatched,
# so upgrading does not send a flood of old webhooks and emails. The partial index keeps the
# dispatcher's look-up for new events small however long the timeline grows.
MARK_OLD_EVENTS = [
    "UPDATE order_events SET dispatched = TRUE",
    "CREATE INDEX order_events_undispatched ON order_events (id) WHERE NOT dispatched",
]


class Migration(migrations.Migration):
    dependencies = [('models', '0006_exports')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EmailMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order_id', fields.IntField(null=True, db_index=True)),
                ('kind', fields.CharField(max_length=32)),
                ('recipient', fields.CharField(max_length=254)),
                ('subject', fields.CharField(max_length=300)),
                ('text', fields.TextField(unique=False)),
                ('html', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(db_index=True, description='PENDING: PENDING\nRETRYING: RETRYING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED', enum_type=DeliveryStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(default='', max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'email_messages', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A customer email, rendered when its event is dispatched and sent by the worker.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('topic', fields.CharField(max_length=64)),
                ('data', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('dispatched', fields.BooleanField(default=False, db_index=True, db_default=False)),
            ],
            options={'table': 'outbox', 'app': 'models', 'pk_attr': 'id', 'table_description': "An event that belongs to no order's timeline (an import finished, a document ready,"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Webhook',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('url', fields.CharField(max_length=2048)),
                ('events', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('active', fields.BooleanField(default=True)),
                ('description', fields.CharField(default='', max_length=500)),
                ('secret', fields.CharField(max_length=100)),
                ('consecutive_failures', fields.IntField(default=0)),
                ('failing_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('disabled_reason', fields.CharField(default='', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'webhooks', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('webhook', fields.ForeignKeyField('models.Webhook', source_field='webhook_id', db_index=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('message_id', fields.CharField(max_length=64)),
                ('event', fields.CharField(max_length=64)),
                ('payload', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(db_index=True, description='PENDING: PENDING\nRETRYING: RETRYING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED', enum_type=DeliveryStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('response_status', fields.IntField(null=True)),
                ('last_error', fields.CharField(default='', max_length=500)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_deliveries', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One event for one webhook, until it is delivered or given up on. The body is frozen'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OrderEvent',
            name='dispatched',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.RunSQL(MARK_OLD_EVENTS),
    ]
