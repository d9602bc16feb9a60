"""Order exports: a CSV of the orders a filter matched, written by a worker."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.models.imports import ImportStatus


class ExportGranularity(StrEnum):
    ORDER = "ORDER"
    ITEM = "ITEM"


class Export(Model):
    id = fields.IntField(primary_key=True)
    status = fields.CharEnumField(ImportStatus, max_length=16, db_index=True)
    granularity = fields.CharEnumField(ExportGranularity, max_length=8)
    # the OrderFilter, as JSON, resolved by the worker when it writes the file
    order_filter = fields.JSONField(default=dict)
    row_count = fields.IntField(null=True)
    storage_key = fields.CharField(max_length=255, default="")
    error = fields.TextField(default="")
    created_by_id = fields.IntField(null=True)
    acting_label = fields.CharField(max_length=300, default="")
    acting_permissions = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    started_at = fields.DatetimeField(null=True)
    lease = fields.CharField(max_length=64, default="")
    heartbeat_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "exports"
