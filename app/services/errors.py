"""Expected failures of business actions, reported to clients as typed errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    DUPLICATE_SKU = "DUPLICATE_SKU"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    PRODUCT_INACTIVE = "PRODUCT_INACTIVE"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    ORDER_NOT_SHIPPABLE = "ORDER_NOT_SHIPPABLE"
    NOTHING_TO_SHIP = "NOTHING_TO_SHIP"
    QUANTITY_EXCEEDS_UNSHIPPED = "QUANTITY_EXCEEDS_UNSHIPPED"
    QUANTITY_EXCEEDS_RETURNABLE = "QUANTITY_EXCEEDS_RETURNABLE"
    INVALID_TRACKING_NUMBER = "INVALID_TRACKING_NUMBER"
    INVALID_STATUS_TRANSITION = "INVALID_STATUS_TRANSITION"
    REFUND_EXCEEDS_PAYMENT = "REFUND_EXCEEDS_PAYMENT"
    RATE_LIMITED = "RATE_LIMITED"
    SHIPMENT_HAS_RETURNS = "SHIPMENT_HAS_RETURNS"
    LIMIT_REACHED = "LIMIT_REACHED"
    INVALID_SHIPPING_METHOD = "INVALID_SHIPPING_METHOD"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    PAYMENT_EXCEEDS_BALANCE = "PAYMENT_EXCEEDS_BALANCE"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    NOTHING_TO_VOID = "NOTHING_TO_VOID"
    TRANSACTION_CONFLICT = "TRANSACTION_CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    ORDER_NOT_EDITABLE = "ORDER_NOT_EDITABLE"
    QUANTITY_BELOW_SHIPPED = "QUANTITY_BELOW_SHIPPED"
    INVALID_WEBHOOK_URL = "INVALID_WEBHOOK_URL"
    LAST_ADMIN = "LAST_ADMIN"


@dataclass(frozen=True)
class Issue:
    code: ErrorCode
    message: str
    field: tuple[str, ...] | None = None


class DomainError(Exception):
    """Raised by a service when an action is refused; the transaction is rolled back."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        field: Sequence[str] | None = None,
        *,
        more: Sequence[Issue] = (),
    ) -> None:
        super().__init__(message)
        first = Issue(code, message, tuple(field) if field is not None else None)
        self.issues: list[Issue] = [first, *more]

    @classmethod
    def from_issues(cls, issues: Sequence[Issue]) -> DomainError:
        first, *rest = issues
        return cls(first.code, first.message, first.field, more=rest)

    @property
    def code(self) -> ErrorCode:
        return self.issues[0].code


def not_found(what: str, field: Sequence[str] | None = None) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"{what} not found.", field)


class Problems:
    """Collects input problems so one answer lists all of them."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(
        self, field: Sequence[str], message: str, code: ErrorCode = ErrorCode.INVALID_INPUT
    ) -> None:
        self.issues.append(Issue(code, message, tuple(field)))

    def raise_if_any(self) -> None:
        if self.issues:
            raise DomainError.from_issues(self.issues)
