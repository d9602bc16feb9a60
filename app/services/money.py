"""Money arithmetic: Decimal, two places, half-up, never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from app.services.errors import DomainError, ErrorCode

CENT = Decimal("0.01")
# what every money column holds (12 digits, two of them decimals), on any database
MAX_AMOUNT = Decimal("9999999999.99")


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(value: Decimal | str | int | None) -> Decimal | None:
    """A non-negative amount with at most two decimals, or None when it is not one."""
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        return None
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        return None
    return money(amount)


def order_total(subtotal: Decimal, shipping: Decimal, tax_rate: Decimal) -> tuple[Decimal, Decimal]:
    """The tax and the total of an order's lines and shipping (see `bounded_total`)."""
    tax_total = money(subtotal * tax_rate)
    return tax_total, bounded_total(subtotal, shipping, tax_total)


def bounded_total(subtotal: Decimal, shipping: Decimal, tax_total: Decimal) -> Decimal:
    """An order's total. Every line, the subtotal and the tax are parts of it, so a total the
    money columns hold holds them all; past it the order is refused (INVALID_INPUT) before
    anything is written."""
    total = subtotal + shipping + tax_total
    if total > MAX_AMOUNT or subtotal > MAX_AMOUNT:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"The order would come to {total}; an order comes to at most {MAX_AMOUNT}. "
            "Split it into smaller orders.",
            ["items"],
        )
    return total
