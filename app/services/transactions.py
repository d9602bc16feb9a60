"""The payment ledger: every movement of money on an order is a row, and the order's amounts
and payment status are sums over those rows, recomputed on each change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError

from app.models import Order, PaymentStatus, PaymentTransaction, TransactionKind
from app.services.auth import Viewer
from app.services.errors import DomainError, ErrorCode
from app.services.events import actor_kind

# Transactions recorded on one order (20 refunds fit with room for the rest).
MAX_TRANSACTIONS = 50
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Totals:
    """What an order's transactions add up to."""

    total: Decimal
    authorized: Decimal  # authorized and neither captured nor voided yet
    captured: Decimal
    refunded: Decimal
    voided: Decimal

    @property
    def balance(self) -> Decimal:
        """Left to pay: the total less what was captured."""
        return max(ZERO, self.total - self.captured)

    @property
    def refundable(self) -> Decimal:
        return self.captured - self.refunded

    @property
    def covered(self) -> bool:
        """Captured or held in full: the order can be fulfilled."""
        return self.captured + self.authorized >= self.total

    @property
    def status(self) -> PaymentStatus:
        if self.refunded > 0:
            if self.refunded >= self.captured:
                return PaymentStatus.REFUNDED
            return PaymentStatus.PARTIALLY_REFUNDED
        if self.captured > 0:
            return (
                PaymentStatus.PAID if self.captured >= self.total else PaymentStatus.PARTIALLY_PAID
            )
        if self.authorized > 0:
            return PaymentStatus.AUTHORIZED
        if self.voided > 0:
            return PaymentStatus.VOIDED
        # nothing to pay is paid
        return PaymentStatus.PAID if self.total <= 0 else PaymentStatus.PENDING

    def columns(self) -> dict[str, Any]:
        """The order's summary columns for these totals."""
        return {
            "amount_authorized": self.authorized,
            "amount_paid": self.captured,
            "amount_refunded": self.refunded,
            "payment_status": self.status,
        }


def summarise(total: Decimal, moves: Iterable[tuple[TransactionKind, Decimal]]) -> Totals:
    """The totals of an order's transactions, oldest first. Captured, refunded and voided are
    sums; a capture takes what it can from the authorization open at that moment, so a sale
    captured before an authorization does not use that authorization up."""
    sums = dict.fromkeys(TransactionKind, ZERO)
    held = ZERO
    for kind, amount in moves:
        sums[kind] += amount
        if kind is TransactionKind.AUTHORIZATION:
            held += amount
        elif kind in (TransactionKind.CAPTURE, TransactionKind.VOID):
            held -= min(held, amount)
    return Totals(
        total=total,
        authorized=held,
        captured=sums[TransactionKind.CAPTURE],
        refunded=sums[TransactionKind.REFUND],
        voided=sums[TransactionKind.VOID],
    )


async def totals_of(order: Order, total: Decimal | None = None) -> Totals:
    """The order's transactions summed, against its total or the `total` it is about to have."""
    rows = (
        await PaymentTransaction.filter(order_id=order.id)
        .order_by("id")
        .values_list("kind", "amount")
    )
    against = order.total if total is None else total
    return summarise(against, ((TransactionKind(k), Decimal(a)) for k, a in rows))


def normalise_provider(provider: str) -> str:
    return provider.strip().lower()


async def add(
    viewer: Viewer,
    order: Order,
    kind: TransactionKind,
    amount: Decimal,
    *,
    provider: str = "",
    reference: str | None = None,
    method: str = "",
) -> PaymentTransaction:
    """Append one transaction to a locked order (the caller checks the bounds)."""
    if await PaymentTransaction.filter(order_id=order.id).count() >= MAX_TRANSACTIONS:
        raise DomainError(
            ErrorCode.LIMIT_REACHED,
            f"An order has at most {MAX_TRANSACTIONS} payment transactions.",
            ["orderId"],
        )
    try:
        return await PaymentTransaction.create(
            order_id=order.id,
            kind=kind,
            amount=amount,
            currency=order.currency,
            provider=normalise_provider(provider),
            reference=reference or None,
            method=method.strip(),
            actor_id=viewer.user_id,
            actor_kind=actor_kind(viewer),
            actor=viewer.label,
        )
    except IntegrityError:  # the same reference, recorded meanwhile on another order
        raise DomainError(
            ErrorCode.TRANSACTION_CONFLICT,
            f"{provider} {kind.value} {reference} is recorded on another order.",
            ["input", "reference"],
        ) from None
