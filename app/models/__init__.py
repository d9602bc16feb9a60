"""Tortoise models, one module per area."""

from app.models.accounts import ApiToken, Role, User, UserKind
from app.models.catalog import InventoryMovement, Product
from app.models.orders import (
    EventVisibility,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    PaymentStatus,
)
from app.models.returns import Refund, Return, ReturnAction, ReturnItem, ReturnStatus
from app.models.shipments import Shipment, ShipmentItem

__all__ = [
    "ApiToken",
    "EventVisibility",
    "InventoryMovement",
    "Order",
    "OrderEvent",
    "OrderItem",
    "OrderStatus",
    "PaymentStatus",
    "Product",
    "Refund",
    "Return",
    "ReturnAction",
    "ReturnItem",
    "ReturnStatus",
    "Role",
    "Shipment",
    "ShipmentItem",
    "User",
    "UserKind",
]
