"""Issue 24, hardening round three: what the second hostile run (black box, on SQLite and
on PostgreSQL + Redis) still broke, each held by a test that failed before its fix."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from prometheus_client import REGISTRY
from tortoise.exceptions import ValidationError
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.models import Order, Product, Role
from app.schema.ids import to_global_id
from app.services.auth import ROLE_PERMISSIONS
from app.settings import Settings
from tests.conftest import PASSWORD, Actors, GraphQLClient, app_settings
from tests.factories import PLACE_ORDER, create_product, order_input, placed
from tests.processes import free_port, serve, stop, wait_healthy
from tests.test_accounts import CREATE_TOKEN
from tests.test_fast_lane import same, twice
from tests.test_staff import CREATE, DEACTIVATE, LOGIN, REACTIVATE, SET_ROLE
from tests.test_subscriptions import PROTOCOL

FULFILLMENT = sorted(p.value for p in ROLE_PERMISSIONS[Role.FULFILLMENT])


async def test_the_lane_runs_the_operation_the_standard_path_ran(
    http: httpx.AsyncClient, actors: Actors
) -> None:
    """A document of two operations and no operationName: the standard path (Strawberry)
    runs the first; the lane answered the same text again with graphql-core's "Must provide
    operation name" (a 400 where the first send was a 200)."""
    body = {"query": "query A { __typename } query B { me { email } }"}
    for token in (None, actors.customer.token):
        for accept in ("application/json", "application/graphql-response+json"):
            first, second, laned = await twice(http, body, token, Accept=accept)
            assert first.json()["data"] == {"__typename": "Query"}
            assert laned == 1
            same(first, second)


async def test_deeply_nested_variables_are_answered_not_raised(http: httpx.AsyncClient) -> None:
    """900 nested lists in an unused variable (within the JSON parser's depth): the NUL check
    recursed past Python's limit, an unmasked "maximum recursion depth exceeded" with a
    thousand-frame traceback logged on the standard path, and on the fast lane an
    exception out of the application (the connection dropped, a 500)."""
    nested = b"[" * 900 + b"]" * 900
    for query in (b"{ __typename }", b"query Q { __typename }"):
        for attempt in range(3):  # the first send learns the text; the others take the lane
            body = b'{"query": "' + query + b'", "variables": {"a": ' + nested + b"}}"
            response = await http.post(
                "/graphql", content=body, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 200, attempt
            assert response.json() == {
                "data": {"__typename": "Query"},
                "extensions": {"cost": {"requested": 0, "limit": 120000}},
            }
    # a NUL deep inside is still found
    body = b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 900 + b'"\\u0000"'
    body += b"]" * 900 + b"}}"
    response = await http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_a_lookup_by_text_longer_than_its_column_finds_nothing(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Tortoise held a filter's value to the column's length: each of these was an
    "Unexpected error" (the whole text logged), a guest's login included."""
    await create_product(gql, actors.admin.token, "MUG", stock=5)
    await placed(gql, actors.customer.token, [("MUG", 1)])
    long = "x" * 300
    admin = actors.admin.token
    body = await gql("query($s: String!) { product(sku: $s) { sku } }", {"s": long})
    assert body == {"data": {"product": None}}
    body = await gql("query($s: String!) { product(sku: $s) { sku } }", {"s": long}, admin)
    assert body == {"data": {"product": None}}
    login = """mutation($e: String!) { login(email: $e, password: "wrong password") {
      token errors { code } } }"""
    body = await gql(login, {"e": long + "@example.com"})
    assert body["data"]["login"] == {"token": None, "errors": [{"code": "INVALID_CREDENTIALS"}]}
    orders = "query($e: String) { orders(first: 5, filter: {email: $e}) { edges { node { id } } } }"
    body = await gql(orders, {"e": long}, admin)
    assert body["data"]["orders"]["edges"] == []
    adjust = """mutation($s: String!) { adjustStock(sku: $s, delta: 1, reason: "count") {
      product { sku } errors { code } } }"""
    body = await gql(adjust, {"s": long}, admin)
    assert body["data"]["adjustStock"] == {"product": None, "errors": [{"code": "UNKNOWN_SKU"}]}
    update = """mutation($s: String!) { updateProduct(sku: $s, input: {name: "N"}) {
      product { sku } errors { code } } }"""
    body = await gql(update, {"s": long}, admin)
    assert body["data"]["updateProduct"] == {"product": None, "errors": [{"code": "UNKNOWN_SKU"}]}
    # what is saved is still held to the column
    product = await Product.get(sku="MUG")
    product.name = "n" * 300
    with pytest.raises(ValidationError):
        await product.save()
    assert (await Product.get(sku="MUG")).name == "Product MUG"


async def test_a_client_holds_a_bounded_number_of_websockets(
    settings_with_redis: Settings, app: Any, actors: Actors
) -> None:
    """One customer opened 200 WebSockets with 20 subscriptions each: a single note on their
    order was then 4,000 deliveries, and /healthz waited 6.5 s behind them. A client address
    holds at most BITCART_MAX_WEBSOCKETS_PER_CLIENT at once; closing one frees its place."""
    assert settings_with_redis.redis_url
    port = free_port()
    env = {
        "REDIS_URL": settings_with_redis.redis_url,
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "BITCART_MAX_WEBSOCKETS_PER_CLIENT": "2",
    }
    process = serve(
        Path(settings_with_redis.data_dir), port, "--skip-migrate", keep_databases=True, env=env
    )
    url = f"ws://127.0.0.1:{port}/graphql"
    init = {
        "type": "connection_init",
        "payload": {"Authorization": f"Bearer {actors.customer.token}"},
    }

    async def opened() -> Any:
        ws = await connect(url, subprotocols=[PROTOCOL], open_timeout=10)
        await ws.send(orjson.dumps(init).decode())
        assert orjson.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        return ws

    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
        first, second = await opened(), await opened()
        with pytest.raises(InvalidStatus) as refused:
            await opened()
        assert refused.value.response.status_code == 429
        assert refused.value.response.headers["Retry-After"] == "5"
        await first.close()
        await asyncio.sleep(0.2)  # the server sees the close
        third = await opened()  # the place the first held
        for ws in (second, third):
            await ws.close()
    finally:
        stop(process)


async def test_a_staff_managing_token_gives_no_role_wider_than_itself(
    gql: GraphQLClient, actors: Actors
) -> None:
    """A token holding only STAFF_MANAGE (it may not mint a token wider than itself) made an
    ADMIN with a password of its choosing, and promoted SUPPORT to ADMIN."""
    data = await gql.data(
        CREATE_TOKEN,
        {"input": {"name": "hr sync", "permissions": ["STAFF_MANAGE"]}},
        actors.admin.token,
    )
    token = data["createApiToken"]["token"]
    email = "made-by-token@shop.test"
    new_staff = {"email": email, "password": PASSWORD, "role": "ADMIN"}
    body = await gql.data(CREATE, {"input": new_staff}, token)
    assert body["createStaffUser"]["staffUser"] is None
    assert [e["code"] for e in body["createStaffUser"]["errors"]] == ["FORBIDDEN"]
    login = await gql.data(LOGIN, {"e": email, "p": PASSWORD})
    assert login["login"]["token"] is None
    support = to_global_id("User", actors.support.user_id)
    admin = to_global_id("User", actors.admin.user_id)
    for mutation, variables in (
        (SET_ROLE, {"id": support, "role": "ADMIN"}),
        (SET_ROLE, {"id": admin, "role": "SUPPORT"}),
        (DEACTIVATE, {"id": admin}),
        (REACTIVATE, {"id": admin}),
    ):
        answer = next(iter((await gql.data(mutation, variables, token)).values()))
        assert answer["staffUser"] is None
        assert [e["code"] for e in answer["errors"]] == ["FORBIDDEN"], mutation
    me = "{ me { role } }"
    assert (await gql.data(me, token=actors.support.token))["me"]["role"] == "SUPPORT"
    # a token holding a role's permissions (and STAFF_MANAGE) may give that role
    wider = await gql.data(
        CREATE_TOKEN,
        {"input": {"name": "packers", "permissions": [*FULFILLMENT, "STAFF_MANAGE"]}},
        actors.admin.token,
    )
    packer = {**new_staff, "email": f"packer-{uuid.uuid4().hex[:8]}@shop.test"}
    body = await gql.data(
        CREATE, {"input": {**packer, "role": "FULFILLMENT"}}, wider["createApiToken"]["token"]
    )
    assert body["createStaffUser"]["errors"] == []
    assert body["createStaffUser"]["staffUser"]["role"] == "FULFILLMENT"


async def test_an_upload_map_naming_no_place_is_a_400(http: httpx.AsyncClient) -> None:
    """A guest's multipart request whose map names a place the operations lack (through a
    null, a string, a non-number index) or is not an object of lists: Strawberry caught
    only a missing file, so each was a 500 ("Exception in ASGI application")."""
    operations = orjson.dumps(
        {
            "query": "mutation($f: Upload!) { importTracking(file: $f) { errors { code } } }",
            "variables": {"f": None, "list": [None], "text": "x"},
        }
    ).decode()
    for files_map in (
        {"0": ["variables.f.x"]},
        {"0": ["variables.text.x"]},
        {"0": ["variables.list.first"]},
        {"0": ["variables.list.5"]},
        {"0": "variables.f"},
        ["variables.f"],
    ):
        response = await http.post(
            "/graphql",
            data={"operations": operations, "map": orjson.dumps(files_map).decode()},
            files={"0": ("t.csv", b"order_number,tracking_number\n", "text/csv")},
        )
        assert response.status_code == 400, files_map


async def test_concurrent_checkouts_keep_the_unpaid_order_limits(
    gql: GraphQLClient, app: Any, actors: Actors
) -> None:
    """Twenty placeOrders at once by one customer, with a limit of five unpaid orders: on
    PostgreSQL all counted the same orders and nine were placed. Then twenty guests' at
    once from the same address, which may hold seven."""
    await create_product(gql, actors.admin.token, "MUG", stock=100)
    mine = {"input": order_input([("MUG", 1)])}
    guest = {"input": order_input([("MUG", 1)], email="g@example.net")}

    async def at_once(variables: dict[str, Any], token: str | None) -> int:
        answers = await asyncio.gather(
            *(gql.data(PLACE_ORDER, variables, token) for _ in range(20))
        )
        refused = [a for a in answers if a["placeOrder"]["order"] is None]
        assert {a["placeOrder"]["errors"][0]["code"] for a in refused} <= {"LIMIT_REACHED"}
        return 20 - len(refused)

    with app_settings(app, max_unpaid_orders_per_customer=5, max_unpaid_orders_per_address=7):
        assert await at_once(mine, actors.other_customer.token) == 5
        assert await at_once(guest, None) == 2
    assert await Order.all().count() == 7


def _top_errors(code: str) -> float:
    labels = {"code": code, "where": "top"}
    return REGISTRY.get_sample_value("bitcart_graphql_errors_total", labels) or 0.0


async def test_a_refused_variable_is_counted_as_a_request_error_not_an_internal_one(
    gql: GraphQLClient,
) -> None:
    """A variable its type refuses (an Int past 32 bits, a Decimal that is no number) was
    counted INTERNAL_SERVER_ERROR: any guest could fire the internal-error alert at will."""
    before = (_top_errors("INTERNAL_SERVER_ERROR"), _top_errors("GRAPHQL_VALIDATION_FAILED"))
    tracking = 'query($n: Int) { orderTracking(number: $n, email: "a@b.c") { status } }'
    price = """mutation($p: Decimal!) { createProduct(input: {sku: "X", name: "X",
      price: $p, stock: 1}) { errors { code } } }"""
    for query, variables in ((tracking, {"n": 2**31}), (price, {"p": "abc"})):
        body = await gql(query, variables, expect_errors=True)
        assert body["data"] is None
        assert "invalid value" in body["errors"][0]["message"]
    after = (_top_errors("INTERNAL_SERVER_ERROR"), _top_errors("GRAPHQL_VALIDATION_FAILED"))
    assert (after[0] - before[0], after[1] - before[1]) == (0, 2)


async def test_a_text_where_a_file_is_expected_is_refused(
    gql: GraphQLClient, actors: Actors
) -> None:
    """importTracking(file:) given a string in JSON variables (or inline): the resolver
    read it as a file, an "Unexpected error" with two tracebacks logged."""
    query = """mutation($f: Upload!) { importTracking(file: $f) {
      trackingImport { id } errors { code field } } }"""
    body = await gql.data(query, {"f": "order_number,tracking_number"}, actors.admin.token)
    assert body["importTracking"] == {
        "trackingImport": None,
        "errors": [{"code": "INVALID_INPUT", "field": ["file"]}],
    }
    inline = 'mutation { importTracking(file: "x") { errors { code } } }'
    body = await gql.data(inline, token=actors.admin.token)
    assert body["importTracking"]["errors"] == [{"code": "INVALID_INPUT"}]


async def test_long_query_texts_and_variable_names_are_not_kept(
    http: httpx.AsyncClient,
) -> None:
    """150 guest queries, each one 900 KB string literal, grew the process by 290 MB: the
    parser, validation, cost and fast-lane caches kept about 2 MB a text, up to 1,024 of
    them. Texts past MAX_CACHED_QUERY_CHARS (20,000), and variables named at length, are worked out
    each time and kept nowhere; a short text is still kept, and takes the lane."""
    from strawberry.extensions.parser_cache import DEFAULT_MAXSIZE, _get_parse_cache

    from app.schema.cost import _estimates
    from app.schema.lane import _KNOWN
    from app.schema.limits import _validated

    def held() -> int:
        texts = [key[1] for key in _KNOWN] + [
            found[1].loc.source.body for found in _validated.values() if found[1].loc
        ]
        texts += [found[1].loc.source.body for found in _estimates.values() if found[1].loc]
        names = [name for key in _estimates for name, _ in key[3]]
        cached = _get_parse_cache(DEFAULT_MAXSIZE).cache_info().currsize
        return sum(len(t) for t in texts) + sum(len(n) for n in names) + cached

    long_text = '{ product(sku: "' + "x" * 30_000 + '") { sku } }'
    short = "{ shippingMethods { code } }"
    _KNOWN.clear()
    await http.post("/graphql", json={"query": short})  # a short text is kept as before
    assert any(key[1] == short for key in _KNOWN)
    for body in (
        {"query": long_text},
        {"query": long_text},
        {"query": short, "variables": {"v" * 200_000: 1}},
    ):
        before = held()
        response = await http.post("/graphql", json=body)
        assert "errors" not in response.json()
        assert held() == before, body.keys()
