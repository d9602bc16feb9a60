"""Bulk tracking-number imports and the outcome of every row."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ImportStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class RowOutcome(StrEnum):
    UPDATED = "UPDATED"
    SHIPPED = "SHIPPED"
    UNCHANGED = "UNCHANGED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


class WorkerJob(Model):
    """A long job a staff member started and a worker runs (an import, a bulk operation,
    an export): its lifecycle, who it acts as, and the lease of the worker running it."""

    id = fields.IntField(primary_key=True)
    status = fields.CharEnumField(ImportStatus, max_length=16, db_index=True)
    error = fields.TextField(default="")
    created_by_id = fields.IntField(null=True)
    # Who the worker acts as: the uploader's label and permissions when it was uploaded.
    acting_label = fields.CharField(max_length=300, default="")
    acting_permissions = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    started_at = fields.DatetimeField(null=True)
    # The worker running it holds the lease and renews heartbeat_at while it works; a lease
    # whose heartbeat is older than the lease time is taken over by the next worker.
    lease = fields.CharField(max_length=64, default="")
    heartbeat_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        abstract = True


class TrackingImport(WorkerJob):
    filename = fields.CharField(max_length=255)
    storage_key = fields.CharField(max_length=255)
    size_bytes = fields.BigIntField(default=0)
    create_shipments = fields.BooleanField(default=False)
    set_status = fields.CharField(max_length=32, null=True)
    overwrite = fields.BooleanField(default=False)
    total_rows = fields.IntField(null=True)
    processed_rows = fields.IntField(default=0)
    updated = fields.IntField(default=0)
    shipped = fields.IntField(default=0)
    unchanged = fields.IntField(default=0)
    skipped = fields.IntField(default=0)
    failed = fields.IntField(default=0)

    class Meta:
        table = "tracking_imports"


class TrackingImportRow(Model):
    id = fields.IntField(primary_key=True)
    tracking_import: fields.ForeignKeyRelation[TrackingImport] = fields.ForeignKeyField(
        "models.TrackingImport", related_name="rows", on_delete=fields.CASCADE
    )
    line = fields.IntField()
    order_number = fields.CharField(max_length=100, default="")
    tracking_number = fields.CharField(max_length=100, default="")
    carrier = fields.CharField(max_length=100, default="")
    outcome = fields.CharEnumField(RowOutcome, max_length=16)
    code = fields.CharField(max_length=40, null=True)
    message = fields.CharField(max_length=500, default="")

    tracking_import_id: int

    class Meta:
        table = "tracking_import_rows"
        unique_together = (("tracking_import", "line"),)
