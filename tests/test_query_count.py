"""No N+1: a page of 100 orders with their relations costs what a page of 1 costs."""

from __future__ import annotations

from tests.conftest import Actors, GraphQLClient, count_queries
from tests.factories import create_product, placed
from tests.test_shipments import SHIP

PAGE = """query($first: Int!) {
  orders(first: $first) {
    edges { node {
      number status total staffNotes
      customer { email }
      items { sku quantity unitPrice quantityShipped }
      shipments { trackingNumber createdBy items { sku quantity } }
      events(first: 10) { edges { node { type message } } }
    } }
  }
}"""


async def test_order_page_query_count_does_not_grow_with_page_size(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=1000)
    await create_product(gql, actors.admin.token, "B", stock=1000)
    for i in range(100):
        token = actors.customer.token if i % 2 else None
        order = await placed(gql, token, [("A", 1), ("B", 2)])
        if i % 3 == 0:
            await gql.data(SHIP, {"id": order["id"]}, actors.admin.token)

    with count_queries() as one:
        data = await gql.data(PAGE, {"first": 1}, actors.admin.token)
    assert len(data["orders"]["edges"]) == 1
    with count_queries() as hundred:
        data = await gql.data(PAGE, {"first": 100}, actors.admin.token)
    assert len(data["orders"]["edges"]) == 100
    assert all(len(e["node"]["items"]) == 2 for e in data["orders"]["edges"])
    assert sum(len(e["node"]["shipments"]) for e in data["orders"]["edges"]) == 34
    # token lookup, the page, items, customers, events, shipments, shipment items
    assert one.count == hundred.count == 7, hundred.statements


async def test_customer_page_costs_the_same(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A", stock=1000)
    for _ in range(30):
        await placed(gql, actors.customer.token, [("A", 1)])
    with count_queries() as counter:
        data = await gql.data(PAGE.replace("staffNotes", ""), {"first": 30}, actors.customer.token)
    assert len(data["orders"]["edges"]) == 30
    assert counter.count == 6, counter.statements  # no shipments: no shipment items query
