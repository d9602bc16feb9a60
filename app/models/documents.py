"""Printed documents (invoices, packing slips) rendered by a worker."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.models.orders import Order


class DocumentKind(StrEnum):
    INVOICE = "INVOICE"
    PACKING_SLIP = "PACKING_SLIP"


class DocumentStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    READY = "READY"
    FAILED = "FAILED"


class Document(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(DocumentKind, max_length=16)
    status = fields.CharEnumField(DocumentStatus, max_length=16, db_index=True)
    # The orders, in the order they are printed.
    order_ids = fields.JSONField()
    # A packing slip per shipment: the shipments, in print order (empty: one per order).
    shipment_ids = fields.JSONField(null=True)
    # A hash of what the rendering depends on: the same inputs reuse the same file.
    checksum = fields.CharField(max_length=64, db_index=True)
    storage_key = fields.CharField(max_length=255, default="")
    page_count = fields.IntField(null=True)
    error = fields.TextField(default="")
    created_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    # when a worker last worked on it (a RUNNING document whose worker died is sent again)
    heartbeat_at = fields.DatetimeField(null=True)

    class Meta:
        table = "documents"


class DocumentOrder(Model):
    # Which documents print which order (Order.documents).
    id = fields.IntField(primary_key=True)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "models.Document", related_name="links", on_delete=fields.CASCADE, db_index=True
    )
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name="document_links", on_delete=fields.CASCADE, db_index=True
    )

    document_id: int
    order_id: int

    class Meta:
        table = "document_orders"
