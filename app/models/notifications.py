"""What the store tells others: webhooks and their deliveries, customer emails, and the
outbox of events that are not on an order's timeline."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

# the longest webhook URL and description kept (the service refuses longer ones)
URL_MAX = 2048
DESCRIPTION_MAX = 500


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    RETRYING = "RETRYING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class Webhook(Model):
    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=URL_MAX)
    # the topics it receives ("order.created", ...)
    events = fields.JSONField(default=list)
    active = fields.BooleanField(default=True)
    description = fields.CharField(max_length=DESCRIPTION_MAX, default="")
    # "whsec_" + base64: kept as is, since every delivery is signed with it
    secret = fields.CharField(max_length=100)
    consecutive_failures = fields.IntField(default=0)
    # the first failed attempt since the last success; failing for a day disables it
    failing_since = fields.DatetimeField(null=True)
    disabled_at = fields.DatetimeField(null=True)
    disabled_reason = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhooks"


class WebhookDelivery(Model):
    """One event for one webhook, until it is delivered or given up on. The body is frozen
    when the event is dispatched, so every attempt sends the same signed bytes."""

    id = fields.IntField(primary_key=True)
    webhook: fields.ForeignKeyRelation[Webhook] = fields.ForeignKeyField(
        "models.Webhook", related_name="deliveries", on_delete=fields.CASCADE, db_index=True
    )
    # the Standard Webhooks message id (webhook-id): the same on every attempt and redelivery
    message_id = fields.CharField(max_length=64)
    event = fields.CharField(max_length=64)
    payload = fields.TextField()
    status = fields.CharEnumField(DeliveryStatus, max_length=16, db_index=True)
    attempts = fields.IntField(default=0)
    # when the next attempt is due; null once it succeeded or failed for good
    next_attempt_at = fields.DatetimeField(null=True, db_index=True)
    response_status = fields.IntField(null=True)
    last_error = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    delivered_at = fields.DatetimeField(null=True)

    webhook_id: int

    class Meta:
        table = "webhook_deliveries"


class OutboxEntry(Model):
    """An event that belongs to no order's timeline (an import finished, a document ready,
    a webhook disabled), written in the transaction of the change and dispatched after it.
    Order events are dispatched from order_events itself (its `dispatched` flag)."""

    id = fields.IntField(primary_key=True)
    topic = fields.CharField(max_length=64)
    data = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    dispatched = fields.BooleanField(default=False, db_default=False, db_index=True)

    class Meta:
        table = "outbox"


class EmailMessage(Model):
    """A customer email, rendered when its event is dispatched and sent by the worker."""

    id = fields.IntField(primary_key=True)
    order_id = fields.IntField(null=True, db_index=True)
    kind = fields.CharField(max_length=32)
    recipient = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=300)
    text = fields.TextField()
    html = fields.TextField()
    status = fields.CharEnumField(DeliveryStatus, max_length=16, db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True, db_index=True)
    last_error = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    # what the templates are given, as the event said it at dispatch; the sender renders
    # subject, text and html from it before the first attempt (null once rendered)
    context = fields.JSONField(null=True)

    class Meta:
        table = "email_messages"
