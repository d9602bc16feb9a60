"""Staff management from the API (STAFF_MANAGE): list, add, change role, deactivate,
reactivate, and the rule that the store always keeps an active admin. Accounts live for
the whole session (tests/conftest.py), so each test makes its own, with its own email,
and puts back what it changed."""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from tortoise.transactions import in_transaction

from app.db import is_postgres
from app.models import ApiToken, Role, User, UserKind
from tests.conftest import PASSWORD, Actors, GraphQLClient

STAFF_FIELDS = "id email role firstName lastName active createdAt"
STAFF = f"""query($active: Boolean, $after: String) {{
  staffUsers(first: 100, after: $after, active: $active) {{
    edges {{ node {{ {STAFF_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
CREATE = f"""mutation($input: CreateStaffUserInput!) {{
  createStaffUser(input: $input) {{
    staffUser {{ {STAFF_FIELDS} }} errors {{ code message field }} }} }}"""
SET_ROLE = """mutation($id: ID!, $role: Role!) {
  setStaffRole(id: $id, role: $role) { staffUser { email role active } errors { code field } } }"""
DEACTIVATE = """mutation($id: ID!) {
  deactivateStaffUser(id: $id) { staffUser { email role active } errors { code field } } }"""
REACTIVATE = """mutation($id: ID!) {
  reactivateStaffUser(id: $id) { staffUser { email role active } errors { code field } } }"""
LOGIN = """mutation($e: String!, $p: String!) {
  login(email: $e, password: $p) { token errors { code } } }"""
ME = "{ me { email role permissions } }"


def new_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}@shop.test"


async def add_staff(
    gql: GraphQLClient, token: str, role: str, label: str = "staff", **extra: str
) -> dict[str, Any]:
    email = new_email(label)
    data = await gql.data(
        CREATE, {"input": {"email": email, "password": PASSWORD, "role": role, **extra}}, token
    )
    payload = data["createStaffUser"]
    assert payload["errors"] == [], payload["errors"]
    user: dict[str, Any] = payload["staffUser"]
    return user


async def sign_in(gql: GraphQLClient, email: str, password: str = PASSWORD) -> str | None:
    data = await gql.data(LOGIN, {"e": email, "p": password})
    token: str | None = data["login"]["token"]
    return token


async def listed(
    gql: GraphQLClient, token: str, active: bool | None = None
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await gql.data(STAFF, {"active": active, "after": after}, token))["staffUsers"]
        found += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_an_admin_adds_staff_who_sign_in_with_their_role(
    gql: GraphQLClient, actors: Actors
) -> None:
    made = await add_staff(
        gql, actors.admin.token, "FULFILLMENT", firstName=" Pat ", lastName="Lee"
    )
    assert (made["role"], made["firstName"], made["lastName"], made["active"]) == (
        "FULFILLMENT",
        "Pat",
        "Lee",
        True,
    )
    assert made in await listed(gql, actors.admin.token)
    emails = [u["email"] for u in await listed(gql, actors.admin.token)]
    assert "admin@shop.test" in emails
    assert "alice@example.com" not in emails  # customers are not staff
    row = await User.get(email=made["email"])
    assert row.kind is UserKind.STAFF
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    token = await sign_in(gql, made["email"])
    assert token is not None
    me = (await gql.data(ME, token=token))["me"]
    assert me == {
        "email": made["email"],
        "role": "FULFILLMENT",
        "permissions": ["DOCUMENTS_WRITE", "IMPORTS_WRITE", "ORDERS_READ", "SHIPMENTS_WRITE"],
    }


async def test_adding_staff_refuses_bad_input_by_name_and_adds_no_one(
    gql: GraphQLClient, actors: Actors
) -> None:
    before = await User.filter(kind=UserKind.STAFF).count()
    for input_, expected in (
        (
            {"email": "admin@shop.test", "password": PASSWORD, "role": "SUPPORT"},
            [("EMAIL_TAKEN", ["email"])],
        ),
        (
            {"email": "not-an-email", "password": "short", "role": "SUPPORT"},
            [("INVALID_INPUT", ["email"]), ("INVALID_INPUT", ["password"])],
        ),
        (
            {
                "email": new_email("x"),
                "password": PASSWORD,
                "role": "SUPPORT",
                "firstName": "x" * 101,
            },
            [("INVALID_INPUT", ["firstName"])],
        ),
    ):
        data = await gql.data(CREATE, {"input": input_}, actors.admin.token)
        payload = data["createStaffUser"]
        assert payload["staffUser"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == expected
    assert await User.filter(kind=UserKind.STAFF).count() == before


async def test_only_staff_managers_see_or_change_staff(gql: GraphQLClient, actors: Actors) -> None:
    target = await add_staff(gql, actors.admin.token, "SUPPORT")
    for token, code in (
        (actors.support.token, "FORBIDDEN"),
        (actors.fulfillment.token, "FORBIDDEN"),
        (actors.customer.token, "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ):
        body = await gql(STAFF, {}, token, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == code
        variables = {"input": {"email": new_email("no"), "password": PASSWORD, "role": "ADMIN"}}
        made = (await gql.data(CREATE, variables, token))["createStaffUser"]
        assert [e["code"] for e in made["errors"]] == [code]
        role = await gql.data(SET_ROLE, {"id": target["id"], "role": "ADMIN"}, token)
        assert [e["code"] for e in role["setStaffRole"]["errors"]] == [code]
        off = await gql.data(DEACTIVATE, {"id": target["id"]}, token)
        assert [e["code"] for e in off["deactivateStaffUser"]["errors"]] == [code]
    row = await User.get(email=target["email"])
    assert (row.role, row.is_active) == (Role.SUPPORT, True)


async def test_a_new_role_applies_from_the_next_request(gql: GraphQLClient, actors: Actors) -> None:
    made = await add_staff(gql, actors.admin.token, "FULFILLMENT")
    token = await sign_in(gql, made["email"])
    changed = await gql.data(SET_ROLE, {"id": made["id"], "role": "SUPPORT"}, actors.admin.token)
    assert changed["setStaffRole"] == {
        "staffUser": {"email": made["email"], "role": "SUPPORT", "active": True},
        "errors": [],
    }
    me = (await gql.data(ME, token=token))["me"]
    assert me["role"] == "SUPPORT"
    assert "SHIPMENTS_WRITE" not in me["permissions"]
    assert "RETURNS_WRITE" in me["permissions"]


async def test_deactivating_ends_sessions_and_sign_in_until_reactivated(
    gql: GraphQLClient, actors: Actors
) -> None:
    made = await add_staff(gql, actors.admin.token, "SUPPORT")
    session = await sign_in(gql, made["email"])
    assert (await gql.data(ME, token=session))["me"]["email"] == made["email"]
    off = await gql.data(DEACTIVATE, {"id": made["id"]}, actors.admin.token)
    assert off["deactivateStaffUser"]["staffUser"]["active"] is False
    assert (await gql.data(ME, token=session))["me"] is None
    assert await ApiToken.filter(user__email=made["email"]).count() == 0
    refused = await gql.data(LOGIN, {"e": made["email"], "p": PASSWORD})
    assert refused["login"] == {"token": None, "errors": [{"code": "INVALID_CREDENTIALS"}]}
    assert made["email"] in [u["email"] for u in await listed(gql, actors.admin.token, False)]
    assert made["email"] not in [u["email"] for u in await listed(gql, actors.admin.token, True)]
    # twice is the same as once
    again = await gql.data(DEACTIVATE, {"id": made["id"]}, actors.admin.token)
    assert again["deactivateStaffUser"]["errors"] == []

    on = await gql.data(REACTIVATE, {"id": made["id"]}, actors.admin.token)
    assert on["reactivateStaffUser"]["staffUser"]["active"] is True
    assert (await gql.data(ME, token=session))["me"] is None  # the old session stays ended
    fresh = await sign_in(gql, made["email"])
    assert (await gql.data(ME, token=fresh))["me"]["email"] == made["email"]


async def test_a_customer_or_a_missing_id_is_not_staff(gql: GraphQLClient, actors: Actors) -> None:
    customer_id = (await gql.data("{ me { id } }", token=actors.customer.token))["me"]["id"]
    for id_ in (customer_id, "VXNlcjo5OTk5OTk=", "not-an-id"):
        data = await gql.data(DEACTIVATE, {"id": id_}, actors.admin.token)
        payload = data["deactivateStaffUser"]
        assert payload["staffUser"] is None
        assert [e["field"] for e in payload["errors"]] == [["id"]]
    assert (await gql.data(ME, token=actors.customer.token))["me"] is not None


@pytest_asyncio.fixture
async def only_admin(gql: GraphQLClient, actors: Actors) -> AsyncIterator[dict[str, Any]]:
    """A new admin, for the test the only active one: every other admin of the session is
    set inactive while it runs, and put back afterwards."""
    made = await add_staff(gql, actors.admin.token, "ADMIN", label="solo")
    others = await User.filter(
        kind=UserKind.STAFF, role=Role.ADMIN, is_active=True, email__not=made["email"]
    ).values_list("id", flat=True)
    await User.filter(id__in=list(others)).update(is_active=False)
    token = await sign_in(gql, made["email"])
    try:
        yield {**made, "token": token}
    finally:
        await User.filter(id__in=list(others)).update(is_active=True)
        await User.filter(email=made["email"]).update(is_active=False)


async def test_the_last_active_admin_can_neither_step_down_nor_be_deactivated(
    gql: GraphQLClient, only_admin: dict[str, Any]
) -> None:
    token, me = only_admin["token"], only_admin["id"]
    demoted = await gql.data(SET_ROLE, {"id": me, "role": "SUPPORT"}, token)
    assert demoted["setStaffRole"] == {
        "staffUser": None,
        "errors": [{"code": "LAST_ADMIN", "field": ["id"]}],
    }
    off = await gql.data(DEACTIVATE, {"id": me}, token)
    assert off["deactivateStaffUser"]["errors"] == [{"code": "LAST_ADMIN", "field": ["id"]}]
    row = await User.get(email=only_admin["email"])
    assert (row.role, row.is_active) == (Role.ADMIN, True)
    assert (await gql.data(ME, token=token))["me"]["role"] == "ADMIN"

    # with a second admin, either may step down, and then the other is the last
    second = await add_staff(gql, token, "ADMIN", label="second")
    stepped = await gql.data(SET_ROLE, {"id": me, "role": "SUPPORT"}, token)
    assert stepped["setStaffRole"]["staffUser"]["role"] == "SUPPORT"
    second_token = await sign_in(gql, second["email"])
    last = await gql.data(DEACTIVATE, {"id": second["id"]}, second_token)
    assert last["deactivateStaffUser"]["errors"] == [{"code": "LAST_ADMIN", "field": ["id"]}]
    await User.filter(email=second["email"]).update(is_active=False)


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    gql: GraphQLClient, only_admin: dict[str, Any]
) -> None:
    other = await add_staff(gql, only_admin["token"], "ADMIN", label="rival")
    other_token = await sign_in(gql, other["email"])
    try:
        results = await asyncio.gather(
            gql.data(SET_ROLE, {"id": other["id"], "role": "SUPPORT"}, only_admin["token"]),
            gql.data(SET_ROLE, {"id": only_admin["id"], "role": "SUPPORT"}, other_token),
        )
        codes = sorted(tuple(e["code"] for e in r["setStaffRole"]["errors"]) for r in results)
        # the loser is refused either as the last admin or, when the winner's change came
        # first, as no longer an admin at all
        assert codes in ([(), ("LAST_ADMIN",)], [(), ("FORBIDDEN",)])
        admins = await User.filter(
            kind=UserKind.STAFF, role=Role.ADMIN, is_active=True
        ).values_list("email", flat=True)
        assert len(admins) == 1
        assert admins[0] in (other["email"], only_admin["email"])
    finally:
        await User.filter(email=other["email"]).update(is_active=False)


API_TOKENS = """{ apiTokens(first: 100) { edges { node {
  id name permissions issuedBy createdAt expiresAt lastUsedAt } } } }"""
CREATE_TOKEN = """mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token errors { code } } }"""


async def test_integration_tokens_are_listed_with_their_last_use_never_their_secret(
    gql: GraphQLClient, actors: Actors
) -> None:
    name = f"carrier-{uuid.uuid4().hex[:6]}"
    made = await gql.data(
        CREATE_TOKEN,
        {"input": {"name": name, "permissions": ["IMPORTS_WRITE"]}},
        actors.admin.token,
    )
    secret = made["createApiToken"]["token"]

    async def mine() -> dict[str, Any]:
        body = await gql(API_TOKENS, token=actors.admin.token)
        assert secret not in str(body)
        [token] = [
            e["node"] for e in body["data"]["apiTokens"]["edges"] if e["node"]["name"] == name
        ]
        return token

    listed_before = await mine()
    assert (listed_before["permissions"], listed_before["lastUsedAt"]) == (["IMPORTS_WRITE"], None)
    started = datetime.now(UTC)
    await gql.data("{ me { email } }", token=secret)
    used = datetime.fromisoformat((await mine())["lastUsedAt"])
    assert started - timedelta(seconds=1) <= used <= datetime.now(UTC)
    # within five minutes a use writes nothing; after, the next use moves it on
    await gql.data("{ me { email } }", token=secret)
    assert datetime.fromisoformat((await mine())["lastUsedAt"]) == used
    await ApiToken.filter(name=name).update(last_used_at=used - timedelta(minutes=6))
    await gql.data("{ me { email } }", token=secret)
    assert datetime.fromisoformat((await mine())["lastUsedAt"]) >= started


async def test_webhook_events_are_listed_for_webhook_managers(
    gql: GraphQLClient, actors: Actors
) -> None:
    from app.services.webhooks import TOPICS

    data = await gql.data("{ webhookEvents }", token=actors.admin.token)
    assert data["webhookEvents"] == list(TOPICS)
    body = await gql("{ webhookEvents }", token=actors.fulfillment.token, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_staff_change_waits_for_one_in_progress_and_then_sees_it(
    gql: GraphQLClient, only_admin: dict[str, Any]
) -> None:
    """Another transaction demoting the only admin holds the admins' rows: a change asked
    for meanwhile waits for it, and then counts the admins as they are after it."""
    if not is_postgres():
        pytest.skip("SQLite runs one writer at a time: nothing to wait for")
    other = await add_staff(gql, only_admin["token"], "ADMIN", label="rival")
    outside = contextvars.copy_context()  # the request's task must not join our transaction
    try:
        async with in_transaction() as conn:
            await conn.execute_query(
                "SELECT id FROM users WHERE role = 'ADMIN' AND is_active FOR UPDATE"
            )
            asked = asyncio.create_task(
                gql.data(SET_ROLE, {"id": other["id"], "role": "SUPPORT"}, only_admin["token"]),
                context=outside,
            )
            await asyncio.sleep(0.5)
            assert not asked.done()  # waiting for the admins' rows
            await conn.execute_query(
                "UPDATE users SET role = 'SUPPORT' WHERE email = $1", [only_admin["email"]]
            )
        result = await asyncio.wait_for(asked, 10)
        assert result["setStaffRole"]["errors"] == [{"code": "LAST_ADMIN", "field": ["id"]}]
        assert (await User.get(email=other["email"])).role is Role.ADMIN
    finally:
        await User.filter(email=other["email"]).update(is_active=False)
