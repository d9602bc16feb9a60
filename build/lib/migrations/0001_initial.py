from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.accounts import Role, UserKind
from app.models.orders import EventVisibility, OrderStatus, PaymentStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Product',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sku', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=255)),
                ('price', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('stock', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'products', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InventoryMovement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('models.Product', source_field='product_id', db_index=True, db_constraint=True, to_field='id', related_name='movements', on_delete=OnDelete.RESTRICT)),
                ('delta', fields.IntField()),
                ('reason', fields.CharField(max_length=32)),
                ('note', fields.CharField(default='', max_length=255)),
                ('order_id', fields.IntField(null=True, db_index=True)),
                ('actor_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'inventory_movements', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('password_hash', fields.CharField(max_length=255)),
                ('kind', fields.CharEnumField(description='CUSTOMER: CUSTOMER\nSTAFF: STAFF', enum_type=UserKind, max_length=16)),
                ('role', fields.CharEnumField(null=True, description='ADMIN: ADMIN\nFULFILLMENT: FULFILLMENT\nSUPPORT: SUPPORT', enum_type=Role, max_length=16)),
                ('first_name', fields.CharField(default='', max_length=100)),
                ('last_name', fields.CharField(default='', max_length=100)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'users', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(default='', max_length=100)),
                ('scopes', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_tokens', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Order',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('number', fields.IntField(null=True, unique=True)),
                ('version', fields.IntField(default=1)),
                ('status', fields.CharEnumField(db_index=True, description='INCOMPLETE: INCOMPLETE\nPENDING: PENDING\nAWAITING_PAYMENT: AWAITING_PAYMENT\nAWAITING_FULFILLMENT: AWAITING_FULFILLMENT\nAWAITING_SHIPMENT: AWAITING_SHIPMENT\nAWAITING_PICKUP: AWAITING_PICKUP\nPARTIALLY_SHIPPED: PARTIALLY_SHIPPED\nSHIPPED: SHIPPED\nCOMPLETED: COMPLETED\nCANCELLED: CANCELLED\nDECLINED: DECLINED\nREFUNDED: REFUNDED\nPARTIALLY_REFUNDED: PARTIALLY_REFUNDED\nDISPUTED: DISPUTED\nMANUAL_VERIFICATION_REQUIRED: MANUAL_VERIFICATION_REQUIRED\nRETURNED: RETURNED', enum_type=OrderStatus, max_length=32)),
                ('customer', fields.ForeignKeyField('models.User', source_field='customer_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.SET_NULL)),
                ('email', fields.CharField(db_index=True, max_length=254)),
                ('billing_address', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('shipping_address', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('search_text', fields.TextField(default='', unique=False)),
                ('shipping_method', fields.CharField(default='', max_length=100)),
                ('currency', fields.CharField(max_length=3)),
                ('subtotal', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('shipping_cost', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('tax_total', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('total', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('payment_method', fields.CharField(default='', max_length=50)),
                ('payment_provider', fields.CharField(default='', max_length=50)),
                ('payment_transaction_id', fields.CharField(default='', max_length=255)),
                ('payment_status', fields.CharEnumField(description='PENDING: PENDING\nAUTHORIZED: AUTHORIZED\nPAID: PAID\nPARTIALLY_REFUNDED: PARTIALLY_REFUNDED\nREFUNDED: REFUNDED\nFAILED: FAILED\nVOIDED: VOIDED', enum_type=PaymentStatus, max_length=32)),
                ('amount_paid', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('amount_refunded', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('customer_comment', fields.TextField(default='', unique=False)),
                ('staff_notes', fields.TextField(default='', unique=False)),
                ('tracking_number', fields.CharField(default='', db_index=True, max_length=50)),
                ('carrier', fields.CharField(default='', max_length=50)),
                ('stock_released', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'orders', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrderEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('type', fields.CharField(max_length=64)),
                ('visibility', fields.CharEnumField(description='PUBLIC: PUBLIC\nSTAFF: STAFF', enum_type=EventVisibility, max_length=8)),
                ('actor_id', fields.IntField(null=True)),
                ('actor_kind', fields.CharField(default='SYSTEM', max_length=16)),
                ('actor', fields.CharField(default='', max_length=300)),
                ('message', fields.TextField(default='', unique=False)),
                ('data', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'order_events', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrderItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('product_id', fields.IntField(null=True)),
                ('sku', fields.CharField(max_length=64)),
                ('name', fields.CharField(max_length=255)),
                ('quantity', fields.IntField()),
                ('unit_price', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('total', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('quantity_shipped', fields.IntField(default=0)),
                ('quantity_returned', fields.IntField(default=0)),
            ],
            options={'table': 'order_items', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
