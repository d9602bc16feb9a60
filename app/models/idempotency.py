"""Idempotency keys: the first call's result, kept so a retry returns it and does nothing."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IdempotencyKey(Model):
    id = fields.IntField(primary_key=True)
    # Who called: "token:<id>" (the token the call came with), "user:<id>" (a job or the
    # command line), or for a guest "guest:<hash of client address and request>" (a guest
    # is known only by where it calls from and what it sent).
    caller = fields.CharField(max_length=80)
    operation = fields.CharField(max_length=64)
    key = fields.CharField(max_length=255)
    # sha256 of the operation's input: the same key with another input is refused
    request_hash = fields.CharField(max_length=64)
    # the ids the first call answered with, e.g. {"order": 12}
    result = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "idempotency_keys"
        unique_together = (("caller", "operation", "key"),)
