"""Money arithmetic: Decimal, two places, half-up, never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
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
