"""What each printed page says, from rows already loaded (pure): an invoice with its
payments told in words, a packing slip of what is left to ship, and one of what is in a
shipment's box. R9: no staff notes are ever in it, and a packing slip has no prices.

Addresses come both as their parts (`shipping_address`, for shops' own templates) and as
the lines of a label (`shipping_lines`: the city line as the country writes it, the
country by name).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from app.carriers import carrier_name
from app.models import (
    Order,
    OrderItem,
    PaymentTransaction,
    Shipment,
    ShipmentItem,
    TransactionKind,
)
from app.services.addresses import Address
from app.services.lifecycle import KEEPS_NOTHING, NOT_SHIPPABLE, dues
from app.services.postal import address_lines

# Providers and card brands as they are written (anything else keeps its own spelling).
_NAMES = {
    "stripe": "Stripe",
    "paypal": "PayPal",
    "adyen": "Adyen",
    "braintree": "Braintree",
    "square": "Square",
    "klarna": "Klarna",
    "mollie": "Mollie",
    "card": "card",
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "cash": "cash",
    "bank_transfer": "bank transfer",
    "invoice": "invoice",
}
_DONE = {
    TransactionKind.AUTHORIZATION: "Authorized",
    TransactionKind.CAPTURE: "Payment received",
    TransactionKind.VOID: "Authorization released",
    TransactionKind.REFUND: "Refund",
}


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _day(moment: datetime) -> str:
    day = moment.astimezone(UTC)
    return f"{day.day} {day:%B %Y}"


def _name(raw: str) -> str:
    return _NAMES.get(raw.strip().lower(), raw.strip())


def _how(method: str, provider: str) -> str:
    """'card via Stripe', 'Visa', 'Stripe' or ''."""
    method, provider = _name(method), _name(provider)
    if method and provider:
        return f"{method} via {provider}"
    return method or provider


def _addresses(order: Order) -> dict[str, Any]:
    shipping = Address.from_json(order.shipping_address)
    return {
        "shipping_address": shipping.as_json(),
        "shipping_lines": address_lines(shipping),
        "phone": shipping.phone,
    }


def _header(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "date": _day(order.created_at),
        "shipping_method": order.shipping_method,
        "customer_comment": order.customer_comment,
        "cancelled": order.status in KEEPS_NOTHING,
        **_addresses(order),
    }


def invoice(
    order: Order, items: list[OrderItem], moves: list[PaymentTransaction]
) -> dict[str, Any]:
    """An invoice's page: lines, totals, every payment and refund on a line of its own, and
    what is left to pay or to pay back."""
    billing = Address.from_json(order.billing_address)
    return {
        **_header(order),
        "email": order.email,
        "billing_address": billing.as_json(),
        "billing_lines": address_lines(billing),
        "currency": order.currency,
        "items": [
            {
                "sku": i.sku,
                "name": i.name,
                "quantity": i.quantity,
                "unit_price": _money(i.unit_price),
                "total": _money(i.total),
            }
            for i in items
        ],
        "subtotal": _money(order.subtotal),
        "shipping_cost": _money(order.shipping_cost),
        "tax_total": _money(order.tax_total),
        "total": _money(order.total),
        "payment": payment(order, moves),
    }


def payment(order: Order, moves: list[PaymentTransaction]) -> dict[str, Any]:
    """The payment in words: a summary line, a line per transaction and what is due."""
    balance, refund_due = dues(
        order.status,
        order.total,
        order.amount_paid,
        order.amount_refunded,
        order.amount_refund_requested,
    )
    owed = refund_due + order.amount_refund_requested
    lines = []
    for move in moves:
        sign = "-" if move.kind is TransactionKind.REFUND else ""
        how = _how(move.method, move.provider)
        lines.append(
            {
                "date": _day(move.created_at),
                "text": _DONE[move.kind] + (f", {how}" if how else ""),
                "amount": sign + _money(move.amount),
                # authorizations and their release are not money paid: shown apart
                "counted": move.kind in (TransactionKind.CAPTURE, TransactionKind.REFUND),
            }
        )
    return {
        "summary": _summary(order, balance, owed),
        "lines": lines,
        "paid": _money(order.amount_paid),
        "refunded": _money(order.amount_refunded),
        "balance_due": _money(balance),
        "refund_due": _money(owed),
        # as before, for shops' own templates
        "method": order.payment_method,
        "provider": order.payment_provider,
        "status": order.payment_status.value,
        "amount_paid": _money(order.amount_paid),
    }


def _summary(order: Order, balance: Decimal, owed: Decimal) -> str:
    """One sentence: how it was paid and what is still open."""
    how = _how(order.payment_method, order.payment_provider)
    by = f" by {how}" if how else ""
    paid = f"{_money(order.amount_paid)} {order.currency}"
    refunded = order.amount_refunded
    if refunded > 0 and refunded >= order.amount_paid:
        return f"Paid {paid}{by}, refunded in full."
    if owed > 0:
        return f"Paid {paid}{by}; {_money(owed)} {order.currency} to be refunded."
    if order.amount_paid > 0 and balance == 0:
        tail = f", {_money(refunded)} {order.currency} refunded" if refunded else ""
        return f"Paid in full{by}{tail}."
    if order.amount_paid > 0:
        return f"Paid {paid}{by}; {_money(balance)} {order.currency} still to pay."
    if order.amount_authorized > 0:
        return f"Authorized{by}; not yet charged."
    if order.status in KEEPS_NOTHING:
        return "Nothing was paid."
    return f"Not paid yet: {_money(balance)} {order.currency} to pay{by}."


def packing_slip(order: Order, items: list[OrderItem]) -> dict[str, Any]:
    """An order's packing slip: what is left to ship (a cancelled order ships nothing), and
    what shipped before."""
    shippable = order.status not in NOT_SHIPPABLE
    left = [(i, i.quantity - i.quantity_shipped) for i in items]
    return {
        **_header(order),
        "items": [
            {"sku": i.sku, "name": i.name, "quantity": quantity}
            for i, quantity in left
            if quantity > 0 and shippable
        ],
        "shipped": [
            {"sku": i.sku, "name": i.name, "quantity": i.quantity_shipped}
            for i in items
            if i.quantity_shipped > 0
        ],
        "shipment": None,
        "notice": "" if shippable else f"This order is {order.status.value.lower()}: do not ship.",
    }


def shipment_slip(
    order: Order, items: list[OrderItem], shipment: Shipment, lines: list[ShipmentItem]
) -> dict[str, Any]:
    """The slip that goes in one shipment's box: its lines, to the address it was sent to."""
    shipped_to = Address.from_json(shipment.shipped_to)
    to_follow = sum(max(0, i.quantity - i.quantity_shipped) for i in items)
    return {
        **_header(order),
        "shipping_address": shipped_to.as_json(),
        "shipping_lines": address_lines(shipped_to),
        "phone": shipped_to.phone,
        "shipping_method": shipment.shipping_method or order.shipping_method,
        "items": [{"sku": x.sku, "name": x.name, "quantity": x.quantity} for x in lines],
        "shipped": [],
        # units of the order that follow in another parcel
        "to_follow": to_follow if order.status not in NOT_SHIPPABLE else 0,
        "shipment": {
            "date": _day(shipment.created_at),
            "tracking_number": shipment.tracking_number,
            "carrier": carrier_name(shipment.carrier, shipment.tracking_number),
            "comments": shipment.comments,
        },
        "notice": "",
    }
