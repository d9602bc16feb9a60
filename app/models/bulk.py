"""Bulk operations on many orders, worked through by a worker, with every order's outcome."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.models.imports import ImportStatus, WorkerJob
from app.models.orders import OrderStatus

# The same lifecycle as a tracking import: QUEUED, RUNNING, SUCCEEDED, FAILED.
BulkStatus = ImportStatus


class BulkOutcome(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    UNCHANGED = "UNCHANGED"
    FAILED = "FAILED"


class BulkOperation(WorkerJob):
    # what each order is moved to (the same rules as setStatus)
    target_status = fields.CharEnumField(OrderStatus, max_length=32)
    note = fields.TextField(default="")
    total = fields.IntField(default=0)
    processed = fields.IntField(default=0)
    succeeded = fields.IntField(default=0)
    failed = fields.IntField(default=0)

    class Meta:
        table = "bulk_operations"


class BulkOperationRow(Model):
    id = fields.IntField(primary_key=True)
    operation: fields.ForeignKeyRelation[BulkOperation] = fields.ForeignKeyField(
        "models.BulkOperation", related_name="rows", on_delete=fields.CASCADE, db_index=True
    )
    order_id = fields.IntField()
    order_number = fields.IntField()
    outcome = fields.CharEnumField(BulkOutcome, max_length=16, default=BulkOutcome.PENDING)
    code = fields.CharField(max_length=64, default="")
    message = fields.TextField(default="")

    operation_id: int

    class Meta:
        table = "bulk_operation_rows"
        indexes = (("operation_id", "outcome"),)
