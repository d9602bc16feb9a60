"""Demo data for a first look: staff of each role, a customer, products and orders."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.db import atomic
from app.models import Role, TransactionKind, User
from app.services import accounts, catalog, orders, payments, shipping
from app.services.addresses import Address
from app.services.auth import ANONYMOUS, SYSTEM, viewer_for
from app.services.orders import LineInput, OrderChanges, PaymentInput, PlaceOrderInput


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


DEMO_LOGINS = (
    DemoLogin("ADMIN", "admin@example.com", "demo-admin-pass"),
    DemoLogin("FULFILLMENT", "fulfilment@example.com", "demo-fulfilment-pass"),
    DemoLogin("SUPPORT", "support@example.com", "demo-support-pass"),
    DemoLogin("CUSTOMER", "customer@example.com", "demo-customer-pass"),
)

STANDARD_PRICE = Decimal("4.90")
FREE_OVER = Decimal("50.00")
EXPRESS_PRICE = Decimal("12.00")
PRODUCTS = (
    ("TEE-BLK-M", "Organic cotton T-shirt, black, M", "19.90", 120),
    ("TEE-WHT-L", "Organic cotton T-shirt, white, L", "19.90", 80),
    ("MUG-CLASSIC", "Ceramic mug, 350 ml", "12.50", 200),
    ("CAP-NAVY", "Baseball cap, navy", "24.00", 45),
    ("SOCK-3PK", "Merino socks, 3 pack", "29.95", 60),
    ("BAG-TOTE", "Canvas tote bag", "15.00", 150),
    ("NOTE-A5", "Dotted notebook A5", "9.80", 300),
    ("BOTTLE-750", "Steel bottle, 750 ml", "34.00", 1),
)


def _address(first: str, last: str, street: str, city: str, postal: str, country: str) -> Address:
    return Address(
        first_name=first,
        last_name=last,
        street1=street,
        city=city,
        postal_code=postal,
        country=country,
    )


async def seed_demo(tax_rate: Decimal, currency: str) -> bool:
    """Create the demo data once, all or nothing; False when it is already there."""
    async with atomic():
        if await User.exists(email=DEMO_LOGINS[0].email):
            return False
        customer = await _seed_people()
        await _seed_catalog(currency)
        await _seed_orders(customer, tax_rate, currency)
    return True


async def _seed_people() -> User:
    """The demo staff, and the demo customer (returned)."""
    for login in DEMO_LOGINS[:3]:
        await accounts.create_staff(SYSTEM, login.email, login.password, Role(login.role))
    customer, _ = await accounts.register_customer(
        DEMO_LOGINS[3].email, DEMO_LOGINS[3].password, "Ada", "Lovelace", "demo"
    )
    return customer


async def _seed_catalog(currency: str) -> None:
    for sku, name, price, stock in PRODUCTS:
        await catalog.create_product(SYSTEM, sku, name, Decimal(price), stock)
    await shipping.update_method(
        SYSTEM,
        "standard",
        shipping.MethodInput(price=STANDARD_PRICE, free_over=FREE_OVER),
        currency,
    )
    await shipping.create_method(
        SYSTEM,
        shipping.MethodInput(
            code="express", name="Express (next day)", price=EXPRESS_PRICE, countries=["GB", "US"]
        ),
        currency,
    )


def _demo_orders(customer: User) -> list[tuple[Any, ...]]:
    """(viewer, email, address, lines, comment, shipping method, payment) of each order."""
    ada = _address("Ada", "Lovelace", "12 St James's Square", "London", "SW1Y 4JH", "GB")
    return [
        (
            viewer_for(customer),
            None,
            ada,
            [("TEE-BLK-M", 2), ("MUG-CLASSIC", 1)],
            "Please gift-wrap the mug.",
            "express",
            TransactionKind.CAPTURE,
        ),
        (viewer_for(customer), None, ada, [("SOCK-3PK", 1)], "", "standard", None),
        (
            ANONYMOUS,
            "grace@example.org",
            _address("Grace", "Hopper", "1 Navy Yard", "Arlington", "22202", "US"),
            [("CAP-NAVY", 1), ("NOTE-A5", 3)],
            "Leave at the front desk.",
            "standard",
            TransactionKind.CAPTURE,
        ),
        (
            ANONYMOUS,
            "jose@example.es",
            _address("José", "Núñez", "Calle Mayor 5", "Madrid", "28013", "ES"),
            [("BAG-TOTE", 2)],
            "",
            "standard",
            TransactionKind.AUTHORIZATION,
        ),
    ]


async def _seed_orders(customer: User, tax_rate: Decimal, currency: str) -> None:
    first_order = None
    for number, (viewer, email, address, lines, comment, method, paid) in enumerate(
        _demo_orders(customer)
    ):
        # placed as a storefront would, then paid as its payment back end reports it
        order = await orders.place_order(
            viewer,
            PlaceOrderInput(
                items=[LineInput(sku, qty) for sku, qty in lines],
                billing_address=address,
                email=email,
                shipping_method=method,
                payment=PaymentInput(method="card", provider="stripe"),
                customer_comment=comment,
            ),
            tax_rate,
            currency,
        )
        if paid is not None:
            await payments.record_payment(
                SYSTEM,
                order.id,
                payments.PaymentRecord(kind=paid, provider="stripe", reference=f"demo_{number}"),
            )
        first_order = first_order or order
    assert first_order is not None
    await orders.update_order(
        SYSTEM,
        first_order.id,
        OrderChanges(staff_notes="VIP customer - check the gift-wrap before packing."),
    )
