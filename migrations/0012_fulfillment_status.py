from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from app.models.orders import FulfillmentStatus

# An order's fulfilment, derived from its lines (app.services.lifecycle.fulfillment_of) and
# kept beside payment_status: shippable, editable and open are decided from it. Existing
# orders get theirs from what their lines say now.
_LINES = "SELECT 1 FROM order_items i WHERE i.order_id = orders.id AND "
FILL = [
    "UPDATE orders SET fulfillment_status = CASE"
    f" WHEN NOT EXISTS ({_LINES}i.quantity_shipped > 0) THEN 'UNFULFILLED'"
    f" WHEN EXISTS ({_LINES}i.quantity_shipped < i.quantity) THEN 'PARTIALLY_FULFILLED'"
    f" WHEN NOT EXISTS ({_LINES}i.quantity_returned > 0) THEN 'FULFILLED'"
    f" WHEN NOT EXISTS ({_LINES}i.quantity_returned < i.quantity_shipped) THEN 'RETURNED'"
    " ELSE 'PARTIALLY_RETURNED' END",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0011_email_render_at_send")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Order",
            name="fulfillment_status",
            field=fields.CharEnumField(
                db_default="UNFULFILLED",
                default=FulfillmentStatus.UNFULFILLED,
                description="UNFULFILLED: UNFULFILLED\nPARTIALLY_FULFILLED: PARTIALLY_FULFILLED\nFULFILLED: FULFILLED\nPARTIALLY_RETURNED: PARTIALLY_RETURNED\nRETURNED: RETURNED",
                enum_type=FulfillmentStatus,
                max_length=32,
            ),
        ),
        ops.RunSQL(FILL),
    ]
