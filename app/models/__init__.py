"""Tortoise models, one module per area."""

from app.models import lookups as lookups  # before any lookup: see app/models/lookups.py
from app.models.accounts import ApiToken, Role, User, UserKind
from app.models.bulk import BulkOperation, BulkOperationRow, BulkOutcome
from app.models.catalog import InventoryMovement, Product
from app.models.documents import Document, DocumentKind, DocumentOrder, DocumentStatus
from app.models.exports import Export, ExportGranularity
from app.models.idempotency import IdempotencyKey
from app.models.imports import ImportStatus, RowOutcome, TrackingImport, TrackingImportRow
from app.models.notifications import (
    DeliveryStatus,
    EmailMessage,
    OutboxEntry,
    Webhook,
    WebhookDelivery,
)
from app.models.orders import (
    EventVisibility,
    FulfillmentStatus,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    PaymentStatus,
    PaymentTransaction,
    TransactionKind,
)
from app.models.returns import (
    Refund,
    RefundRequest,
    RefundRequestStatus,
    Return,
    ReturnAction,
    ReturnItem,
    ReturnStatus,
)
from app.models.settings import ShippingMethod
from app.models.shipments import Shipment, ShipmentItem

__all__ = [
    "ApiToken",
    "BulkOperation",
    "BulkOperationRow",
    "BulkOutcome",
    "DeliveryStatus",
    "Document",
    "DocumentKind",
    "DocumentOrder",
    "DocumentStatus",
    "EmailMessage",
    "EventVisibility",
    "Export",
    "ExportGranularity",
    "FulfillmentStatus",
    "IdempotencyKey",
    "ImportStatus",
    "InventoryMovement",
    "Order",
    "OrderEvent",
    "OrderItem",
    "OrderStatus",
    "OutboxEntry",
    "PaymentStatus",
    "PaymentTransaction",
    "Product",
    "Refund",
    "RefundRequest",
    "RefundRequestStatus",
    "Return",
    "ReturnAction",
    "ReturnItem",
    "ReturnStatus",
    "Role",
    "RowOutcome",
    "Shipment",
    "ShipmentItem",
    "ShippingMethod",
    "TrackingImport",
    "TrackingImportRow",
    "TransactionKind",
    "User",
    "UserKind",
    "Webhook",
    "WebhookDelivery",
]
