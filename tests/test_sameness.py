"""The fast execution path answers exactly as graphql-core does: queries drawn from the
schema (hypothesis-graphql), over orders with items, shipments, returns, refunds, payments
and notes, for staff, a customer and a guest, must give the same bytes both ways. (Every
query the other tests send is compared too: see GraphQLClient.)"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries

from app.models import User
from app.schema import schema
from app.services.auth import issue_token
from app.settings import get_settings
from tests import sameness
from tests.conftest import Actors, GraphQLClient
from tests.factories import NOTE, REFUND, UPDATE_ORDER, create_product, paid, placed
from tests.test_hostile_input import SCALARS
from tests.test_returns import request_return
from tests.test_shipments import ship

# Leaves and a few objects the generated queries hit often: the seeded data makes them real.
ORDER_PAGE = """{ orders(first: 20) { totalCount edges { cursor node {
  id number status total staffNotes trackingToken isOpen fulfillmentStatus
  items { sku quantity unitPrice quantityShipped }
  shipments { id trackingNumber carrier trackingUrl items { sku quantity } }
  returns { id status items { quantity reason } }
  refunds { amount currency }
  payment { status amountPaid transactions { kind amount } }
  events(first: 5) { edges { node { type visibility message } } }
  billingAddress { firstName city } customer { email }
} } pageInfo { hasNextPage endCursor } } }"""


# Every field of it is compiled (app/schema/compiled.py): rows, not models, all the way down.
COMPILED_PAGE = """query($n: Int) { orders(first: 20) { edges { cursor node {
  __typename id number version status isOpen fulfillmentStatus createdAt updatedAt email
  subtotal shippingCost
  taxTotal total currency shippingMethod customerComment trackingNumber carrier trackingUrl
  trackingToken staffNotes customer { __typename id email firstName lastName }
  events(first: 3) { __typename totalCount edges { __typename cursor node { __typename id type
    createdAt actor message visibility data } } pageInfo { hasNextPage hasPreviousPage
    startCursor endCursor } }
  billingAddress { firstName lastName company street1 street2 city state postalCode country phone }
  shippingAddress { city country }
  payment { method provider transactionId status amountAuthorized amountPaid amountRefunded
    currency balanceDue refundDue
    transactions { id kind amount currency provider reference method createdAt actor } }
  items { id sku name quantity unitPrice total quantityShipped quantityReturned
    quantityRestocked currency }
  shipments { __typename id createdAt trackingNumber carrier trackingUrl shippingMethod comments
    createdBy shippedTo { firstName city } items { sku name quantity } }
} } }
  one: order(number: $n) { number staffNotes payment { status balanceDue } items { sku }
    customer { email } refunds { id amount currency createdAt restocked reason createdBy } }
}"""


# The console's other lists, compiled as well: products and shipments.
LISTS_PAGE = """{ products(first: 20) { edges { cursor node {
    __typename id sku name price currency stock inStock active } } pageInfo { hasNextPage } }
  shipments(first: 20) { edges { node { id createdAt trackingNumber carrier trackingUrl
    shippingMethod comments createdBy shippedTo { firstName city country }
    items { sku name quantity } } } }
}"""


async def _store(gql: GraphQLClient, actors: Actors) -> int:
    """Orders with everything a page shows; the number of the first (shipped, returned,
    refunded) one."""
    admin = actors.admin.token
    await create_product(gql, admin, "A", stock=100, price="12.50")
    await create_product(gql, admin, "B", stock=100, price="3.00")
    first = await paid(gql, actors.customer.token, [("A", 2), ("B", 1)], admin)
    await ship(gql, admin, first, items=[(0, 1)], trackingNumber="1Z999AA10123456784")
    await ship(gql, admin, first, items=[(0, 1), (1, 1)])
    await request_return(gql, actors.customer.token, first, [(0, 1)], comment="too big")
    await gql.data(REFUND, {"id": first["id"], "input": {"amount": "2.00", "reason": "r"}}, admin)
    await gql.data(UPDATE_ORDER, {"id": first["id"], "notes": "staff only"}, admin)
    await gql.data(NOTE, {"id": first["id"], "text": "hello"}, actors.customer.token)
    await placed(gql, None, [("B", 3)], email="guest@example.net")
    await placed(gql, actors.other_customer.token, [("A", 1)])
    return int(first["number"])


async def test_generated_queries_answer_the_same_both_ways(
    app: Any, http: httpx.AsyncClient, gql: GraphQLClient, actors: Actors
) -> None:
    number = await _store(gql, actors)
    key = get_settings().secret_key
    viewers: list[str | None] = [None]
    for email in ("admin@shop.test", "alice@example.com"):
        viewers.append(await issue_token(await User.get(email=email), key, name="sameness"))
    drawn: list[tuple[str, int]] = []

    @settings(
        max_examples=int(os.environ.get("BITCART_SAMENESS_EXAMPLES", "60")),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(query=queries(schema.as_str(), custom_scalars=SCALARS), viewer=st.integers(0, 2))
    def draw(query: str, viewer: int) -> None:
        drawn.append((query, viewer))

    draw()
    compared = 0
    extra = [(page, v) for page in (ORDER_PAGE, COMPILED_PAGE, LISTS_PAGE) for v in range(3)]
    for query, viewer in [*drawn, *extra]:
        token = viewers[viewer]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        variables = {"n": number} if query is COMPILED_PAGE else None
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        if response.status_code != 200:
            continue  # refused before execution: nothing to compare
        served = response.json()
        if not sameness.comparable(served):
            continue
        expected = await sameness.reference(app, query, variables, token)
        assert sameness.same(served, expected), (query, viewer, served, expected)
        compared += 1
    assert compared >= len(drawn) // 2
    staff = {"Authorization": f"Bearer {viewers[1]}"}
    page = (await http.post("/graphql", json={"query": ORDER_PAGE}, headers=staff)).json()
    assert "errors" not in page
    assert len(page["data"]["orders"]["edges"]) == 3  # the compared page was a real one


async def test_a_difference_that_stays_is_caught_and_one_that_settles_is_not(
    gql: GraphQLClient, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The harness asks again when the two answers differ (a worker may change rows between
    the runs), but a difference that stays fails the test."""
    query = "{ me { email } }"
    real = sameness.reference
    calls: list[int] = []

    async def stale_once(*args: Any) -> dict[str, Any]:
        calls.append(1)
        answer = await real(*args)
        return {"data": {"me": {"email": "earlier@example.com"}}} if len(calls) == 1 else answer

    monkeypatch.setattr(sameness, "reference", stale_once)
    assert (await gql.data(query, None, actors.admin.token))["me"]["email"] == "admin@shop.test"
    assert len(calls) == 2

    async def always_other(*args: Any) -> dict[str, Any]:
        return {"data": {"me": {"email": "someone@else.example"}}}

    monkeypatch.setattr(sameness, "reference", always_other)
    with pytest.raises(AssertionError):
        await gql.data(query, None, actors.admin.token)


def test_the_check_leaves_to_timing_only_what_graphql_core_does() -> None:
    """Error order, and errors inside a subtree another error nulled, may differ; nothing
    else may."""
    a = {"message": "A", "path": ["one", "staffNotes"], "extensions": {"code": "FORBIDDEN"}}
    b = {"message": "B", "path": ["one", "refunds", 0, "reason"]}
    data = {"one": {"staffNotes": None, "refunds": [{"reason": None}]}}
    assert sameness.same({"data": data, "errors": [a, b]}, {"data": data, "errors": [b, a]})
    assert not sameness.same({"data": data, "errors": [a]}, {"data": data, "errors": [a, b]})
    assert not sameness.same(
        {"data": data, "errors": [a, {**b, "message": "C"}]}, {"data": data, "errors": [a, b]}
    )
    root = {"message": "U", "path": ["shipments", "edges"]}
    stock = {"message": "F", "path": ["products", "edges", 0, "node", "stock"]}
    assert sameness.same({"data": None, "errors": [root, stock]}, {"data": None, "errors": [root]})
    assert not sameness.same({"data": None, "errors": [root]}, {"data": data, "errors": [root]})
