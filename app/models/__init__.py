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
    "Role",
    "User",
    "UserKind",
]
