"""Payment transactions and shipping methods as GraphQL sees them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from app import read_model
from app.models import PaymentTransaction as PaymentTransactionModel
from app.models import ShippingMethod as ShippingMethodModel
from app.models import TransactionKind as TransactionKindModel
from app.schema.cost import most
from app.schema.ids import to_global_id
from app.services.refund_requests import PaymentWarning as PaymentWarningModel
from app.services.refund_requests import WarningCode as WarningCodeModel

strawberry.enum(TransactionKindModel, name="TransactionKind")
TransactionKind = TransactionKindModel
strawberry.enum(WarningCodeModel, name="WarningCode")
WarningCode = WarningCodeModel

# every ISO 3166-1 country, the most a method lists
MAX_COUNTRIES = 249


@strawberry.type(description="One movement of money, as the payment side reported it.")
class PaymentTransaction:
    id: strawberry.ID
    kind: TransactionKind
    amount: Decimal
    currency: str
    provider: str
    reference: str | None = strawberry.field(description="The provider's id for it.")
    method: str
    created_at: datetime
    actor: str = strawberry.field(
        description="Who recorded it; customers see 'store' for a staff member."
    )

    @classmethod
    def build(cls, row: PaymentTransactionModel, reader: read_model.Reader) -> PaymentTransaction:
        return cls(**read_model.TRANSACTION.values(row, reader))


@strawberry.type(description="A way to ship that a storefront offers at checkout.")
class ShippingMethod:
    id: strawberry.ID
    code: str = strawberry.field(description="What placeOrder's shippingMethod names.")
    name: str
    price: Decimal
    currency: str
    free_over: Decimal | None = strawberry.field(
        description="Free at or above this subtotal; null: never free."
    )
    countries: list[str] = strawberry.field(
        description="ISO 3166-1 alpha-2 codes it ships to; empty: everywhere.",
        directives=[most(MAX_COUNTRIES)],
    )
    active: bool

    @classmethod
    def build(cls, row: ShippingMethodModel) -> ShippingMethod:
        return cls(
            id=to_global_id("ShippingMethod", row.id),
            code=row.code,
            name=row.name,
            price=row.price,
            currency=row.currency,
            free_over=row.free_over,
            countries=list(row.countries),
            active=row.active,
        )


@strawberry.type(description="Something about the money to act on; the action itself was done.")
class PaymentWarning:
    code: WarningCode
    message: str
    amount: Decimal
    currency: str

    @classmethod
    def build(cls, warning: PaymentWarningModel) -> PaymentWarning:
        return cls(
            code=warning.code,
            message=warning.message,
            amount=warning.amount,
            currency=warning.currency,
        )


def warning_list() -> Any:
    """A payload's `warnings` field: empty when there is nothing to act on."""
    return strawberry.field(default_factory=list, directives=[most(2)])
