"""Order search: on PostgreSQL the matches are found first through trigram indexes; they must
be exactly what the column-by-column search finds, for staff (notes included) and customers
(their own orders, never notes), wildcards taken literally, and a term that matches too much
falls back to the columns."""

from __future__ import annotations

from typing import Any

import pytest

from app.models import Order, Shipment
from app.services import order_search
from app.services.auth import viewer_from_token
from app.services.orders import OrderFilter, filtered_orders
from app.settings import get_settings
from tests.conftest import Actors, GraphQLClient
from tests.factories import UPDATE_ORDER, address, create_product, placed

ORDERS = """query($filter: OrderFilterInput) {
  orders(first: 100, filter: $filter) { edges { node { number } } }
}"""
TERMS = [
    "shelley",
    "MARY",
    "two@exa",
    "1z999aa1",  # an order's tracking number
    "1ZSHIP0000",  # only a shipment's
    "rude",  # staff notes
    "100%",
    "50_off",
    "back\\slash",
    "%",
    "_",
    "nothing-like-this",
]


async def _orders(gql: GraphQLClient, actors: Actors) -> list[dict[str, Any]]:
    await create_product(gql, actors.admin.token, "A", stock=100)
    shelley = address("Mary", "Shelley", company="100% Frankenstein")
    made = [
        await placed(gql, actors.customer.token, [("A", 1)], billingAddress=shelley),
        await placed(gql, None, [("A", 1)], email="two@example.org"),
        await placed(
            gql, actors.other_customer.token, [("A", 1)], billingAddress=address("Ann", "50_off")
        ),
        await placed(gql, None, [("A", 1)], billingAddress=address("Back\\slash", "X")),
    ]
    await Order.filter(number=made[1]["number"]).update(tracking_number="1Z999AA10123456784")
    await gql.data(
        UPDATE_ORDER, {"id": made[0]["id"], "notes": "rude on the phone"}, actors.admin.token
    )
    first = await Order.get(number=made[2]["number"])
    await Shipment.create(order=first, shipped_to={}, tracking_number="1ZSHIP00001", carrier="ups")
    return made


async def _by_columns(token: str, term: str) -> list[int]:
    viewer = await viewer_from_token(token, get_settings().secret_key)
    found = filtered_orders(viewer, OrderFilter(search=term))  # no matches given: the columns
    return sorted(await found.values_list("number", flat=True))  # type: ignore[arg-type]


async def test_the_matches_found_first_are_what_the_columns_find(
    gql: GraphQLClient, actors: Actors
) -> None:
    made = await _orders(gql, actors)
    numbers = [o["number"] for o in made]
    for token in (actors.admin.token, actors.customer.token, actors.other_customer.token):
        for term in TERMS:
            data = await gql.data(ORDERS, {"filter": {"search": term}}, token)
            found = sorted(e["node"]["number"] for e in data["orders"]["edges"])
            assert found == await _by_columns(token, term), (term, token)

    # and what they find is right, in the shop's words
    async def staff(term: str) -> list[int]:
        data = await gql.data(ORDERS, {"filter": {"search": term}}, actors.admin.token)
        return sorted(e["node"]["number"] for e in data["orders"]["edges"])

    assert await staff("rude") == [numbers[0]]
    assert await staff("100%") == [numbers[0]]  # % is a character, not "anything"
    assert await staff("50_off") == [numbers[2]]
    assert await staff("back\\slash") == [numbers[3]]
    assert await staff("1ZSHIP0000") == [numbers[2]]
    assert await staff("1z999aa1") == [numbers[1]]
    data = await gql.data(ORDERS, {"filter": {"search": "rude"}}, actors.customer.token)
    assert data["orders"]["edges"] == []  # R1: a customer never searches the staff's notes


async def test_a_term_that_matches_too_much_is_searched_column_by_column(
    gql: GraphQLClient, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await _orders(gql, actors)
    monkeypatch.setattr(order_search, "MATCHES_AT_MOST", 1)
    data = await gql.data(ORDERS, {"filter": {"search": "example"}}, actors.admin.token)
    found = sorted(e["node"]["number"] for e in data["orders"]["edges"])
    assert found == await _by_columns(actors.admin.token, "example")
    assert len(found) == len(made)


@pytest.mark.parametrize("by_columns", [False, True])
async def test_a_number_finds_its_order_and_the_text_that_holds_it(
    gql: GraphQLClient, actors: Actors, monkeypatch: pytest.MonkeyPatch, by_columns: bool
) -> None:
    if by_columns:  # every match is too many: PostgreSQL searches column by column too
        monkeypatch.setattr(order_search, "MATCHES_AT_MOST", 0)
    await create_product(gql, actors.admin.token, "A", stock=10)
    first = await placed(gql, None, [("A", 1)], email="first@example.org")
    other = await placed(gql, None, [("A", 1)], email=f"room{first['number']}@example.org")
    for term in (str(first["number"]), f"#{first['number']}"):
        data = await gql.data(ORDERS, {"filter": {"search": term}}, actors.admin.token)
        found = sorted(e["node"]["number"] for e in data["orders"]["edges"])
        expected = [first["number"], other["number"]] if term[0] != "#" else [first["number"]]
        assert found == expected, term


async def test_a_number_too_long_for_any_order_finds_none_and_is_no_error(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=10)
    await placed(gql, None, [("A", 1)])
    for term in ("9999999999", "#12345678901"):  # past any order number (32-bit)
        data = await gql.data(ORDERS, {"filter": {"search": term}}, actors.admin.token)
        assert data["orders"]["edges"] == [], term
