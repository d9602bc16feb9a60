"""Per-request DataLoaders: one query per relation per page, whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import TypeVar

from strawberry.dataloader import DataLoader

from app.models import (
    Document,
    Order,
    OrderEvent,
    OrderItem,
    PaymentTransaction,
    Refund,
    RefundRequest,
    Return,
    ReturnItem,
    Shipment,
    ShipmentItem,
    User,
)
from app.services import batches

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


def grouped(
    fetch: Callable[[list[K]], Awaitable[Iterable[R]]], key: Callable[[R], K]
) -> Callable[[Sequence[K]], Awaitable[list[list[R]]]]:
    """A batch function returning, for each key, the rows whose `key(row)` equals it."""

    async def load(keys: Sequence[K]) -> list[list[R]]:
        groups: dict[K, list[R]] = defaultdict(list)
        for row in await fetch(list(keys)):
            groups[key(row)].append(row)
        return [groups.get(k, []) for k in keys]

    return load


def by_id(
    fetch: Callable[[list[K]], Awaitable[Iterable[R]]], key: Callable[[R], K]
) -> Callable[[Sequence[K]], Awaitable[list[R | None]]]:
    async def load(keys: Sequence[K]) -> list[R | None]:
        found = {key(row): row for row in await fetch(list(keys))}
        return [found.get(k) for k in keys]

    return load


class Loaders:
    def __init__(self) -> None:
        self.items_by_order: DataLoader[int, list[OrderItem]] = DataLoader(
            grouped(batches.items_of_orders, lambda item: item.order_id)
        )
        self.user: DataLoader[int, User | None] = DataLoader(by_id(batches.users, lambda u: u.id))
        self.all_events: DataLoader[int, list[OrderEvent]] = DataLoader(
            grouped(batches.all_events_of_orders, lambda e: e.order_id)
        )
        self.public_events: DataLoader[int, list[OrderEvent]] = DataLoader(
            grouped(batches.public_events_of_orders, lambda e: e.order_id)
        )
        self.shipments_by_order: DataLoader[int, list[Shipment]] = DataLoader(
            grouped(batches.shipments_of_orders, lambda s: s.order_id)
        )
        self.items_by_shipment: DataLoader[int, list[ShipmentItem]] = DataLoader(
            grouped(batches.items_of_shipments, lambda i: i.shipment_id)
        )
        self.order: DataLoader[int, Order | None] = DataLoader(
            by_id(batches.orders, lambda o: o.id)
        )
        self.order_item: DataLoader[int, OrderItem | None] = DataLoader(
            by_id(batches.order_items, lambda i: i.id)
        )
        self.returns_by_order: DataLoader[int, list[Return]] = DataLoader(
            grouped(batches.returns_of_orders, lambda r: r.order_id)
        )
        self.items_by_return: DataLoader[int, list[ReturnItem]] = DataLoader(
            grouped(batches.items_of_returns, lambda i: i.return_request_id)
        )
        self.refunds_by_order: DataLoader[int, list[Refund]] = DataLoader(
            grouped(batches.refunds_of_orders, lambda r: r.order_id)
        )
        self.refund_requests_by_order: DataLoader[int, list[RefundRequest]] = DataLoader(
            grouped(batches.refund_requests_of_orders, lambda r: r.order_id)
        )
        self.refund_request_by_refund: DataLoader[int, RefundRequest | None] = DataLoader(
            by_id(batches.refund_requests_of_refunds, lambda r: r.refund_id)
        )
        self.transactions_by_order: DataLoader[int, list[PaymentTransaction]] = DataLoader(
            grouped(batches.transactions_of_orders, lambda t: t.order_id)
        )
        self.documents_by_order: DataLoader[int, list[tuple[int, Document]]] = DataLoader(
            grouped(batches.documents_of_orders, lambda pair: pair[0])
        )
