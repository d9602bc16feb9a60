"""Live updates over graphql-transport-ws, spoken by the `websockets` package to a real
`serve` process, while the change is made through another API process (this test's own)
and published by the worker through Redis."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from app.services import outbox
from app.settings import Settings
from tests.conftest import PASSWORD, Actors, GraphQLClient, run_jobs, upload
from tests.factories import NOTE, create_product, placed
from tests.processes import free_port, serve, stop, wait_healthy
from tests.test_console_server import SET_STAFF_NOTES
from tests.test_imports import IMPORT

PROTOCOL = Subprotocol("graphql-transport-ws")
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
ORDER_EVENTS = "subscription($id: ID) { orderEvents(orderId: $id) { type visibility message } }"
PROGRESS = "subscription($id: ID!) { trackingImportProgress(id: $id) { status processedRows } }"


@pytest.fixture(scope="module")
def other_api(settings_with_redis: Settings, app: Any) -> Iterator[str]:
    """A second API process on the same database and Redis (no worker of its own)."""
    assert settings_with_redis.redis_url
    port = free_port()
    env = {"REDIS_URL": settings_with_redis.redis_url, "SECRET_KEY": os.environ["SECRET_KEY"]}
    process = serve(
        Path(settings_with_redis.data_dir), port, "--skip-migrate", keep_databases=True, env=env
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        stop(process)


@asynccontextmanager
async def session(url: str, token: str | None) -> AsyncIterator[ClientConnection]:
    async with connect(url, subprotocols=[PROTOCOL], open_timeout=10) as ws:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send(orjson.dumps({"type": "connection_init", "payload": payload}).decode())
        frame = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(frame, str), frame  # a TEXT frame: browsers' graphql-ws needs it
        assert orjson.loads(frame)["type"] == "connection_ack"
        yield ws


async def subscribe(ws: ClientConnection, op: str, query: str, **variables: Any) -> None:
    message = {"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables}}
    await ws.send(orjson.dumps(message).decode())


async def next_message(ws: ClientConnection, seconds: float = 10) -> dict[str, Any]:
    frame = await asyncio.wait_for(ws.recv(), seconds)
    # every graphql-transport-ws message is a TEXT frame (recv gives str); a binary one
    # (bytes) is what browsers' graphql-ws refuses: "Message is missing the 'type' property"
    assert isinstance(frame, str), frame
    message: dict[str, Any] = orjson.loads(frame)
    return message


async def refusal(ws: ClientConnection) -> tuple[str, str]:
    """A subscription refused when it starts: its one result is the error, then complete."""
    refused = await next_message(ws)
    assert refused["type"] == "next"
    assert refused["payload"]["data"] is None
    (error,) = refused["payload"]["errors"]
    assert await next_message(ws) == {"id": refused["id"], "type": "complete"}
    return refused["id"], error["extensions"]["code"]


async def publish_until_heard(
    settings: Settings, redis: Any, ws: ClientConnection
) -> dict[str, Any]:
    """Dispatch what is waiting (as the worker does), then publish it until the subscription
    answers: it may still be setting up its Redis subscription when the first goes out."""
    done = await outbox.dispatch(settings)
    assert done.live
    for _ in range(40):
        await outbox.publish(redis, done)
        try:
            return await next_message(ws, 0.5)
        except TimeoutError:
            continue
    raise AssertionError("the subscription heard nothing")


async def test_staff_hear_an_order_placed_through_another_process(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings, app: Any, other_api: str
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    async with session(other_api, actors.admin.token) as ws:
        await subscribe(ws, "all", ORDER_EVENTS)
        order = await placed(gql, actors.customer.token, [("TEE", 1)])
        heard = await publish_until_heard(settings_with_redis, app.state.redis, ws)
        assert heard["id"] == "all"
        assert heard["type"] == "next"
        assert heard["payload"]["data"]["orderEvents"]["type"] == "ORDER_PLACED"
        assert str(order["number"]) in heard["payload"]["data"]["orderEvents"]["message"]

        await gql.data(NOTE, {"id": order["id"], "text": "staff only"}, actors.admin.token)
        done = await outbox.dispatch(settings_with_redis)
        await outbox.publish(app.state.redis, done)
        note = await next_message(ws)
        assert note["payload"]["data"]["orderEvents"] == {
            "type": "NOTE",
            "visibility": "STAFF",
            "message": "staff only",
        }


async def test_a_customer_hears_only_their_own_public_events(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings, app: Any, other_api: str
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=50)
    mine = await placed(gql, actors.customer.token, [("TEE", 1)])
    async with session(other_api, actors.customer.token) as ws:
        await subscribe(ws, "mine", ORDER_EVENTS)
        await outbox.dispatch(settings_with_redis)  # what happened before is not news
        await placed(gql, actors.other_customer.token, [("TEE", 1)])  # someone else's
        await gql.data(NOTE, {"id": mine["id"], "text": "staff only"}, actors.admin.token)
        await gql.data(NOTE, {"id": mine["id"], "text": "Hello"}, actors.customer.token)
        heard = await publish_until_heard(settings_with_redis, app.state.redis, ws)
        assert heard["payload"]["data"]["orderEvents"] == {
            "type": "NOTE",
            "visibility": "PUBLIC",
            "message": "Hello",
        }
        with pytest.raises(TimeoutError):  # the others never come, however often sent
            await next_message(ws, 1)

        # another customer's order, by id, is not found
        await subscribe(ws, "theirs", ORDER_EVENTS, id="T3JkZXI6MTA=")
        assert await refusal(ws) == ("theirs", "NOT_FOUND")


async def test_who_may_subscribe(actors: Actors, other_api: str) -> None:
    async with session(other_api, None) as ws:
        await subscribe(ws, "1", ORDER_EVENTS)
        assert await refusal(ws) == ("1", "UNAUTHENTICATED")
    with pytest.raises(ConnectionClosed) as closed:  # a token that is not valid: closed
        async with session(other_api, "not-a-token") as ws:
            await next_message(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403
    with pytest.raises(InvalidStatus):  # a browser page of another site may not connect
        async with connect(other_api, subprotocols=[PROTOCOL], origin="https://evil.example"):
            pass


async def test_import_progress_is_heard_until_it_finishes(
    gql: GraphQLClient,
    actors: Actors,
    settings_with_redis: Settings,
    app: Any,
    other_api: str,
    http: Any,
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    order = await placed(gql, actors.customer.token, [("TEE", 1)])
    csv = f"order,tracking,carrier\n{order['number']},1Z999AA10123456784,ups\n"
    body = await upload(http, IMPORT, {}, csv.encode(), actors.fulfillment.token)
    import_id = body["data"]["importTracking"]["trackingImport"]["id"]
    async with session(other_api, actors.fulfillment.token) as ws:
        await subscribe(ws, "p", PROGRESS, id=import_id)
        first = await next_message(ws)
        assert first["payload"]["data"]["trackingImportProgress"]["status"] == "QUEUED"
        await run_jobs(settings_with_redis)
        seen = [first]
        while (message := await next_message(ws))["type"] == "next":
            seen.append(message)
        assert message == {"id": "p", "type": "complete"}
    assert seen[-1]["payload"]["data"]["trackingImportProgress"] == {
        "status": "SUCCEEDED",
        "processedRows": 1,
    }


async def test_signing_out_ends_the_live_updates(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings, app: Any, other_api: str
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    order = await placed(gql, actors.customer.token, [("TEE", 1)])
    await outbox.dispatch(settings_with_redis)
    login = await gql.data(LOGIN, {"e": actors.customer.email, "p": PASSWORD})
    token = login["login"]["token"]
    async with session(other_api, token) as ws:
        await subscribe(ws, "mine", ORDER_EVENTS)
        await gql.data(NOTE, {"id": order["id"], "text": "Before"}, token)
        heard = await publish_until_heard(settings_with_redis, app.state.redis, ws)
        assert heard["payload"]["data"]["orderEvents"]["message"] == "Before"

        await gql.data("mutation { logout { revoked } }", token=token)
        await gql.data(NOTE, {"id": order["id"], "text": "After"}, actors.customer.token)
        ended = await publish_until_heard(settings_with_redis, app.state.redis, ws)
        assert ended["type"] == "next"
        assert ended["payload"]["data"] is None
        assert ended["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert await next_message(ws) == {"id": "mine", "type": "complete"}


EVENTS_WITH_ORDER = """subscription($id: ID) {
  orderEvents(orderId: $id) { type order { id number status } }
}"""


async def test_frames_are_text_and_events_name_their_order(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings, app: Any, other_api: str
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    async with connect(other_api, subprotocols=[PROTOCOL], open_timeout=10) as ws:
        init = {
            "type": "connection_init",
            "payload": {"Authorization": f"Bearer {actors.admin.token}"},
        }
        await ws.send(orjson.dumps(init).decode())
        frames = [await asyncio.wait_for(ws.recv(), 10)]
        await subscribe(ws, "all", EVENTS_WITH_ORDER)
        order = await placed(gql, actors.customer.token, [("TEE", 1)])
        await outbox.publish(app.state.redis, await outbox.dispatch(settings_with_redis))
        frames.append(await asyncio.wait_for(ws.recv(), 10))
        await ws.send(orjson.dumps({"id": "all", "type": "complete"}).decode())
        await ws.send(orjson.dumps({"type": "ping"}).decode())
        frames.append(await asyncio.wait_for(ws.recv(), 10))
    assert [type(f) for f in frames] == [str, str, str]
    assert [orjson.loads(f)["type"] for f in frames] == ["connection_ack", "next", "pong"]
    assert orjson.loads(frames[1])["payload"]["data"]["orderEvents"] == {
        "type": "ORDER_PLACED",
        "order": {"id": order["id"], "number": order["number"], "status": order["status"]},
    }


async def test_a_customers_live_event_shows_their_order_but_never_its_staff_notes(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings, app: Any, other_api: str
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    mine = await placed(gql, actors.customer.token, [("TEE", 1)])
    notes = {"id": mine["id"], "notes": "fraud check"}
    assert (await gql.data(SET_STAFF_NOTES, notes, actors.admin.token))["updateOrder"] == {
        "errors": []
    }
    await outbox.dispatch(settings_with_redis)
    query = "subscription { orderEvents { message order { number staffNotes } } }"
    async with session(other_api, actors.customer.token) as ws:
        await subscribe(ws, "mine", query)
        await gql.data(NOTE, {"id": mine["id"], "text": "Where is it?"}, actors.customer.token)
        heard = await publish_until_heard(settings_with_redis, app.state.redis, ws)
    assert heard["payload"]["data"] == {
        "orderEvents": {
            "message": "Where is it?",
            "order": {"number": mine["number"], "staffNotes": None},
        }
    }
    (error,) = heard["payload"]["errors"]  # R1: null, and FORBIDDEN for that path
    assert error["path"] == ["orderEvents", "order", "staffNotes"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "fraud check" not in orjson.dumps(heard).decode()
