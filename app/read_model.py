"""The order read model: each field an order shows (and what it shows with it: its payment,
addresses, items, shipments, refunds, transactions, timeline and customer; and products)
declared once, by its GraphQL name: the columns it reads, who may see it and how its value
is made.

Every reader of an order takes its fields from here:

- the Strawberry types (app/schema/types) make their plain fields with `Entity.values` and
  call `Entity.read` in the resolvers of per-viewer and staff-only fields; a staff-only
  field's permission comes from its `staff_only` (app/schema/permissions.py, `guards`);
- the compiled plans (app/schema/compiled.py) read the same columns and call the same
  `make`, and guard the same fields;
- the webhook snapshots (app/services/snapshots.py) and the export columns
  (app/services/exports.py) name the fields they write with `Entity.pick`, which refuses a
  staff-only or per-viewer field when the module is imported.

So R1 (staff notes, refund reasons: staff only) is one flag, `staff_only`, which every path
obeys; tests/test_read_model.py holds the types, the plans and the snapshots to this
module field by field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cached_property
from operator import attrgetter
from typing import Any, Protocol

from app.carriers import carrier_name, tracking_url
from app.global_ids import encode
from app.services.lifecycle import dues, is_open
from app.services.tracking import tracking_token


class Viewer(Protocol):
    @property
    def is_staff(self) -> bool: ...

    @property
    def user_id(self) -> int | None: ...


class Settings(Protocol):
    @property
    def secret_key(self) -> str: ...

    @property
    def currency(self) -> str: ...


class Reader(Protocol):
    """Who reads (a request's context): what per-viewer fields are made for."""

    @property
    def viewer(self) -> Viewer: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def placed_order_ids(self) -> set[int]: ...


@dataclass(frozen=True)
class Field:
    """A field's value from columns of its row (`^name`: the parent's column, an order
    item's currency say).

    `make(*values)` makes the value; without it, the one column is the value as it is.
    `per_viewer`: `make(reader, *values)`, what this reader may see of it.
    `staff_only` (R1): anyone but staff gets null with FORBIDDEN (the field's permission
    class), and no snapshot or export carries it."""

    columns: tuple[str, ...]
    make: Callable[..., Any] | None = None
    per_viewer: bool = False
    staff_only: bool = False

    def value(self, model: Any, reader: Reader | None = None, parent: Any = None) -> Any:
        values = self._columns(model, parent)
        if self.make is None:
            return values[0]
        if self.per_viewer:
            if reader is None:
                raise ValueError("a per-viewer field is made for a reader")
            return self.make(reader, *values)
        return self.make(*values)

    @cached_property
    def _columns(self) -> Callable[[Any, Any], tuple[Any, ...]]:
        """The field's columns read from (model, parent), worked out once: webhook bodies
        and exports read hundreds of thousands of fields a minute."""
        columns = self.columns
        if any(c.startswith("^") for c in columns):
            return lambda model, parent: tuple(
                getattr(parent, c[1:]) if c.startswith("^") else getattr(model, c) for c in columns
            )
        get = attrgetter(*columns)
        if len(columns) == 1:
            return lambda model, parent: (get(model),)
        return lambda model, parent: get(model)


def _python_name(name: str) -> str:
    """A GraphQL name's Python attribute (Strawberry camel-cases it back)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


@dataclass(frozen=True)
class Entity:
    """A GraphQL object type's fields made from one row (`objects`: objects made from the
    same row, an order's payment and addresses)."""

    type_name: str
    fields: dict[str, Field]
    objects: dict[str, Entity] = field(default_factory=dict)

    @cached_property
    def _plain(self) -> tuple[tuple[str, Field], ...]:
        return tuple(
            (_python_name(n), f)
            for n, f in self.fields.items()
            if not f.staff_only and not f.per_viewer
        )

    @cached_property
    def _per_viewer(self) -> tuple[tuple[str, Field], ...]:
        return tuple((_python_name(n), f) for n, f in self.fields.items() if f.per_viewer)

    def values(
        self, model: Any, reader: Reader | None = None, parent: Any = None
    ) -> dict[str, Any]:
        """The Strawberry type's plain attributes, by Python name: every field but the
        staff-only ones, and the per-viewer ones only for a reader."""
        made = {name: f.value(model, None, parent) for name, f in self._plain}
        if reader is not None:
            made.update((name, f.value(model, reader, parent)) for name, f in self._per_viewer)
        return made

    def read(self, name: str, model: Any, reader: Reader | None = None) -> Any:
        """One field (a staff-only one only behind its permission: the resolver's)."""
        return self.fields[name].value(model, reader)

    def pick(self, *names: str) -> Picked:
        """Fields for what leaves the API as data (webhooks, exports): never a staff-only
        one (R1) nor one made per viewer."""
        for name in names:
            found = self.fields[name]
            if found.staff_only or found.per_viewer:
                raise ValueError(f"{self.type_name}.{name} is not for every reader")
        return Picked(self, tuple((n, self.fields[n]) for n in names))


@dataclass(frozen=True)
class Picked:
    entity: Entity
    fields: tuple[tuple[str, Field], ...]

    def snapshot(self, model: Any) -> dict[str, Any]:
        """The fields as the API writes them in JSON (money and enums as strings)."""
        return {name: as_json(f.value(model)) for name, f in self.fields}


_AS_IS = frozenset({str, int, float, bool, type(None), list, dict})


def as_json(value: Any) -> Any:
    if type(value) in _AS_IS:  # most values: one set lookup, not three isinstance calls
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _one(name: str) -> Field:
    return Field((name,))


def _global_id(type_name: str) -> Field:
    return Field(("id",), lambda pk: encode(type_name, pk))


def _or_none(name: str) -> Field:
    return Field((name,), lambda value: value or None)


def _staff_or_store(reader: Reader, by: str) -> str:
    """Who made it, for staff; customers are told the store did."""
    return by if reader.viewer.is_staff else "store"


def _actor(reader: Reader, actor: str, kind: str) -> str:
    """Customers are not shown which staff member acted ('store')."""
    return actor if reader.viewer.is_staff or kind != "STAFF" else "store"


def _tracking_token(reader: Reader, order_id: int, number: int, customer_id: int | None) -> Any:
    """For staff, the order's customer, and whoever just placed it."""
    viewer = reader.viewer
    if (
        viewer.is_staff
        or (viewer.user_id is not None and viewer.user_id == customer_id)
        or order_id in reader.placed_order_ids
    ):
        return tracking_token(number, reader.settings.secret_key)
    return None


def sees_private_events(reader: Reader) -> bool:
    """An order's timeline: staff see every entry, anyone else PUBLIC ones only."""
    return reader.viewer.is_staff


TRACKING_NUMBER = _or_none("tracking_number")
CARRIER = _or_none("carrier")
TRACKING_URL = Field(
    ("tracking_number", "carrier"), lambda number, carrier: tracking_url(number, carrier or None)
)
CARRIER_NAME = Field(
    ("carrier", "tracking_number"), lambda carrier, number: carrier_name(carrier, number) or None
)

# An address's parts: GraphQL name, key in the JSON column. Each is a string, "" when absent.
ADDRESS_PARTS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "company": "company",
    "street1": "street1",
    "street2": "street2",
    "city": "city",
    "state": "state",
    "postalCode": "postal_code",
    "country": "country",
    "phone": "phone",
}


def address_part(data: dict[str, Any] | None, key: str) -> str:
    return str((data or {}).get(key) or "")


def address(column: str) -> Entity:
    """The Address object of a JSON column."""
    return Entity(
        "Address",
        {
            name: Field((column,), lambda data, key=key: address_part(data, key))
            for name, key in ADDRESS_PARTS.items()
        },
    )


def address_values(data: dict[str, Any] | None) -> dict[str, str]:
    """An address's parts by Python name (the Strawberry Address's attributes)."""
    return {key: address_part(data, key) for key in ADDRESS_PARTS.values()}


# the columns of lifecycle.dues, in its order
_DUES = ("status", "total", "amount_paid", "amount_refunded", "amount_refund_requested")

PAYMENT = Entity(
    "Payment",
    {
        "method": _one("payment_method"),
        "provider": _one("payment_provider"),
        "transactionId": _one("payment_transaction_id"),
        "status": _one("payment_status"),
        "amountAuthorized": _one("amount_authorized"),
        "amountPaid": _one("amount_paid"),
        "amountRefunded": _one("amount_refunded"),
        "currency": _one("currency"),
        "refundRequested": _one("amount_refund_requested"),
        "balanceDue": Field(_DUES, lambda *row: dues(*row)[0]),
        "refundDue": Field(_DUES, lambda *row: dues(*row)[1]),
    },
)
ORDER = Entity(
    "Order",
    {
        "id": _global_id("Order"),
        "number": _one("number"),
        "version": _one("version"),
        "status": _one("status"),
        "isOpen": Field(("status", "fulfillment_status"), is_open),
        "fulfillmentStatus": _one("fulfillment_status"),
        "createdAt": _one("created_at"),
        "updatedAt": _one("updated_at"),
        "email": _one("email"),
        "subtotal": _one("subtotal"),
        "shippingCost": _one("shipping_cost"),
        "taxTotal": _one("tax_total"),
        "total": _one("total"),
        "currency": _one("currency"),
        "shippingMethod": _one("shipping_method"),
        "customerComment": _one("customer_comment"),
        "trackingNumber": TRACKING_NUMBER,
        "carrier": CARRIER,
        "carrierName": CARRIER_NAME,
        "trackingUrl": TRACKING_URL,
        "trackingToken": Field(("id", "number", "customer_id"), _tracking_token, per_viewer=True),
        "staffNotes": Field(("staff_notes",), staff_only=True),
    },
    {
        "billingAddress": address("billing_address"),
        "shippingAddress": address("shipping_address"),
        "payment": PAYMENT,
    },
)
ORDER_ITEM = Entity(
    "OrderItem",
    {
        "id": _global_id("OrderItem"),
        "sku": _one("sku"),
        "name": _one("name"),
        "quantity": _one("quantity"),
        "unitPrice": _one("unit_price"),
        "total": _one("total"),
        "quantityShipped": _one("quantity_shipped"),
        "quantityReturned": _one("quantity_returned"),
        "quantityRestocked": _one("quantity_restocked"),
        "currency": _one("^currency"),
    },
)
SHIPMENT_ITEM = Entity(
    "ShipmentItem", {"sku": _one("sku"), "name": _one("name"), "quantity": _one("quantity")}
)
SHIPMENT = Entity(
    "Shipment",
    {
        "id": _global_id("Shipment"),
        "createdAt": _one("created_at"),
        "trackingNumber": TRACKING_NUMBER,
        "carrier": CARRIER,
        "carrierName": CARRIER_NAME,
        "trackingUrl": TRACKING_URL,
        "shippingMethod": _one("shipping_method"),
        "comments": _one("comments"),
        "createdBy": Field(("created_by",), _staff_or_store, per_viewer=True),
    },
    {"shippedTo": address("shipped_to")},
)
TRANSACTION = Entity(
    "PaymentTransaction",
    {
        "id": _global_id("PaymentTransaction"),
        "kind": _one("kind"),
        "amount": _one("amount"),
        "currency": _one("currency"),
        "provider": _one("provider"),
        "reference": _one("reference"),
        "method": _one("method"),
        "createdAt": _one("created_at"),
        "actor": Field(("actor", "actor_kind"), _actor, per_viewer=True),
    },
)
REFUND = Entity(
    "Refund",
    {
        "id": _global_id("Refund"),
        "amount": _one("amount"),
        "currency": _one("currency"),
        "createdAt": _one("created_at"),
        "restocked": _one("restocked"),
        "reason": Field(("reason",), staff_only=True),
        "createdBy": Field(("created_by",), _staff_or_store, per_viewer=True),
    },
)
EVENT = Entity(
    "OrderEvent",
    {
        "id": _global_id("OrderEvent"),
        "type": _one("type"),
        "createdAt": _one("created_at"),
        "actor": Field(("actor", "actor_kind"), _actor, per_viewer=True),
        "message": _one("message"),
        "visibility": _one("visibility"),
        "data": _one("data"),
    },
)
CUSTOMER = Entity(
    "Customer",
    {
        "id": _global_id("User"),
        "email": _one("email"),
        "firstName": _one("first_name"),
        "lastName": _one("last_name"),
    },
)


def _store_currency(reader: Reader) -> str:
    return reader.settings.currency


PRODUCT = Entity(
    "Product",
    {
        "id": _global_id("Product"),
        "sku": _one("sku"),
        "name": _one("name"),
        "price": _one("price"),
        "currency": Field((), _store_currency, per_viewer=True),  # the store's
        "stock": Field(("stock",), staff_only=True),
        "inStock": Field(("stock",), lambda stock: stock > 0),
        "active": _one("active"),
    },
)


def subset(entity: Entity, type_name: str, names: Iterable[str]) -> Entity:
    """Some of an entity's fields, as another type shows them (the public tracking view)."""
    return Entity(type_name, {name: entity.fields[name] for name in names})


# The public tracking view's lines and parcels: the same fields, fewer of them.
TRACKING_ITEM = subset(ORDER_ITEM, "TrackingItem", ("sku", "name", "quantity", "quantityShipped"))
TRACKING_SHIPMENT = subset(
    SHIPMENT,
    "TrackingShipment",
    ("createdAt", "trackingNumber", "carrier", "carrierName", "trackingUrl"),
)
ORDER_TRACKING = subset(
    ORDER,
    "OrderTracking",
    ("number", "status", "createdAt", "trackingNumber", "carrier", "carrierName", "trackingUrl"),
)

ENTITIES = (
    ORDER,
    PAYMENT,
    ORDER_ITEM,
    SHIPMENT_ITEM,
    SHIPMENT,
    TRANSACTION,
    REFUND,
    EVENT,
    CUSTOMER,
    TRACKING_ITEM,
    TRACKING_SHIPMENT,
    ORDER_TRACKING,
    PRODUCT,
)
