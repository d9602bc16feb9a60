"""Order exports: a CSV of the orders a filter matched, written by a worker."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from app.models.imports import WorkerJob


class ExportGranularity(StrEnum):
    ORDER = "ORDER"
    ITEM = "ITEM"


class Export(WorkerJob):
    granularity = fields.CharEnumField(ExportGranularity, max_length=8)
    # the OrderFilter, as JSON, resolved by the worker when it writes the file
    order_filter = fields.JSONField(default=dict)
    row_count = fields.IntField(null=True)
    storage_key = fields.CharField(max_length=255, default="")
    # a UTF-8 byte-order mark first, for Excel on Windows (it reads UTF-8 only with one)
    byte_order_mark = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "exports"
