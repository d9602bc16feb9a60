"""Sign-in, sign-up, roles and scoped API tokens."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.models import ApiToken, OrderEvent, User
from app.schema.ids import from_global_id
from app.services.auth import issue_token
from app.settings import get_settings
from tests.conftest import PASSWORD, Actors, GraphQLClient
from tests.factories import NOTE, create_product, placed, rate_limited_wait, timeline

LOGIN = """mutation($e: String!, $p: String!) {
  login(email: $e, password: $p) { token errors { code message field } } }"""
ME = "{ me { email kind role permissions } }"
REGISTER = """mutation($input: RegisterCustomerInput!) {
  registerCustomer(input: $input) { token errors { code message field } } }"""
CREATE_TOKEN = """mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token errors { code message field } } }"""


async def test_login_gives_a_working_token(gql: GraphQLClient, actors: Actors) -> None:
    data = await gql.data(LOGIN, {"e": " ADMIN@shop.test ", "p": PASSWORD})
    token = data["login"]["token"]
    assert token.startswith("bco_")
    assert data["login"]["errors"] == []
    me = (await gql.data(ME, token=token))["me"]
    assert me["email"] == "admin@shop.test"
    assert me["kind"] == "STAFF"
    assert me["role"] == "ADMIN"
    assert len(me["permissions"]) == 11
    # a sign-in lasts 30 days (README), then it is anonymous
    session = await ApiToken.filter(user__email="admin@shop.test").order_by("-id").first()
    assert session is not None
    assert session.expires_at is not None
    left = session.expires_at - datetime.now(UTC)
    assert timedelta(days=30) - timedelta(minutes=1) < left <= timedelta(days=30)
    await ApiToken.filter(id=session.id).update(expires_at=datetime.now(UTC))
    assert (await gql.data(ME, token=token))["me"] is None
    await ApiToken.filter(id=session.id).delete()


async def test_a_deactivated_accounts_tokens_sign_in_no_one(
    gql: GraphQLClient, actors: Actors
) -> None:
    """A token is read with its user in one statement: a user made inactive afterwards is
    anonymous on the next request, and the same token works again once reactivated."""
    token = actors.customer.token
    me = (await gql.data(ME, token=token))["me"]
    assert (me["email"], me["kind"], me["role"]) == ("alice@example.com", "CUSTOMER", None)
    await User.filter(email="alice@example.com").update(is_active=False)
    assert (await gql.data(ME, token=token))["me"] is None
    await User.filter(email="alice@example.com").update(is_active=True)
    assert (await gql.data(ME, token=token))["me"]["email"] == "alice@example.com"


async def test_a_token_expiring_later_still_signs_in(gql: GraphQLClient, actors: Actors) -> None:
    admin = await User.get(email="admin@shop.test")
    soon = datetime.now(UTC) + timedelta(minutes=5)
    token = await issue_token(admin, get_settings().secret_key, name="soon", expires_at=soon)
    assert (await gql.data(ME, token=token))["me"]["email"] == "admin@shop.test"
    await ApiToken.filter(name="soon").delete()


async def test_wrong_password_and_unknown_email_answer_alike(
    gql: GraphQLClient, actors: Actors
) -> None:
    wrong = (await gql.data(LOGIN, {"e": "admin@shop.test", "p": "nope-nope"}))["login"]
    unknown = (await gql.data(LOGIN, {"e": "nobody@shop.test", "p": "nope-nope"}))["login"]
    assert (
        wrong
        == unknown
        == {
            "token": None,
            "errors": [
                {
                    "code": "INVALID_CREDENTIALS",
                    "message": "Wrong email or password.",
                    "field": None,
                }
            ],
        }
    )


async def test_tokens_are_stored_hashed(gql: GraphQLClient, actors: Actors) -> None:
    token = (await gql.data(LOGIN, {"e": "alice@example.com", "p": PASSWORD}))["login"]["token"]
    hashes = await ApiToken.all().values_list("token_hash", flat=True)
    assert token not in hashes
    assert all(len(h) == 64 and "bco_" not in h for h in hashes)


async def test_register_customer(gql: GraphQLClient, actors: Actors) -> None:
    payload = {"email": "Carol@Example.com", "password": "long enough pw", "firstName": "Carol"}
    data = await gql.data(REGISTER, {"input": payload})
    token = data["registerCustomer"]["token"]
    me = (await gql.data(ME, token=token))["me"]
    assert me == {"email": "carol@example.com", "kind": "CUSTOMER", "role": None, "permissions": []}

    again = (await gql.data(REGISTER, {"input": payload}))["registerCustomer"]
    assert again["token"] is None
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("EMAIL_TAKEN", ["email"])]
    named = {"email": "erin@example.com", "password": "long enough pw"}
    erin = await gql.data(
        REGISTER, {"input": {**named, "firstName": " Erin ", "lastName": " Smith "}}
    )
    token = erin["registerCustomer"]["token"]
    names = await gql.data("{ me { firstName lastName } }", token=token)
    assert names["me"] == {"firstName": "Erin", "lastName": "Smith"}


async def test_two_sign_ups_with_one_email_at_once_make_one_account(gql: GraphQLClient) -> None:
    """Both pass the first look for the email; the unique index decides, and the loser is
    told EMAIL_TAKEN like a sign-up that came later."""
    payload = {"email": "dora@example.com", "password": "long enough pw"}
    answers = await asyncio.gather(*(gql.data(REGISTER, {"input": payload}) for _ in range(2)))
    outcomes = sorted((a["registerCustomer"]["token"] is None, a) for a in answers)
    (_, won), (_, lost) = outcomes
    assert won["registerCustomer"]["errors"] == []
    assert lost["registerCustomer"] == {
        "token": None,
        "errors": [
            {
                "code": "EMAIL_TAKEN",
                "message": "An account with this email exists.",
                "field": ["email"],
            }
        ],
    }
    assert await User.filter(email="dora@example.com").count() == 1


@pytest.mark.parametrize(("length", "taken"), [(7, False), (8, True), (256, True), (257, False)])
async def test_a_password_has_8_to_256_characters(
    gql: GraphQLClient, length: int, taken: bool
) -> None:
    email = f"pw{length}@example.com"
    data = await gql.data(REGISTER, {"input": {"email": email, "password": "p" * length}})
    errors = data["registerCustomer"]["errors"]
    assert errors == (
        []
        if taken
        else [
            {
                "code": "INVALID_INPUT",
                "message": "A password has 8 to 256 characters.",
                "field": ["password"],
            }
        ]
    )
    await User.filter(email=email).delete()


@pytest.mark.parametrize(("length", "taken"), [(254, True), (255, False)])
async def test_an_email_has_at_most_254_characters(
    gql: GraphQLClient, length: int, taken: bool
) -> None:
    email = "a" * 64 + "@" + "b" * (length - 64 - 1 - 4) + ".com"
    assert len(email) == length
    data = await gql.data(REGISTER, {"input": {"email": email, "password": "long enough pw"}})
    errors = data["registerCustomer"]["errors"]
    assert [(e["field"], e["message"]) for e in errors] == (
        [] if taken else [(["email"], "Enter a valid email address.")]
    )
    if taken:
        await User.filter(email=email).delete()


async def test_a_scoped_tokens_changes_are_labelled_with_its_name(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Staff read on the timeline which integration acted; a sign-in session acts as the
    person alone."""
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, actors.customer.token, [("A", 1)])
    created = await gql.data(
        CREATE_TOKEN,
        {"input": {"name": "ERP sync", "permissions": ["ORDERS_READ", "ORDERS_WRITE"]}},
        actors.admin.token,
    )
    erp = created["createApiToken"]["token"]
    for token, text in ((erp, "from the ERP"), (actors.admin.token, "by hand")):
        added = await gql.data(NOTE, {"id": order["id"], "text": text}, token)
        assert added["addOrderNote"]["errors"] == []
    notes = [
        (e["actor"], e["message"])
        for e in await timeline(gql, actors.admin.token, order["id"])
        if e["message"] in ("from the ERP", "by hand")
    ]
    assert notes == [
        ("admin@shop.test (token ERP sync)", "from the ERP"),
        ("admin@shop.test", "by hand"),
    ]
    # and the timeline keeps who it was by id, for both
    recorded = await OrderEvent.filter(message__in=["from the ERP", "by hand"]).values_list(
        "actor_id", "actor_kind"
    )
    assert recorded == [(actors.admin.user_id, "STAFF")] * 2
    await ApiToken.filter(name="ERP sync").delete()


async def test_register_rejects_bad_input_listing_every_problem(gql: GraphQLClient) -> None:
    data = await gql.data(REGISTER, {"input": {"email": "not-an-email", "password": "short"}})
    errors = data["registerCustomer"]["errors"]
    assert {(e["code"], tuple(e["field"])) for e in errors} == {
        ("INVALID_INPUT", ("email",)),
        ("INVALID_INPUT", ("password",)),
    }


async def test_anonymous_me_is_null_and_bad_token_is_anonymous(gql: GraphQLClient) -> None:
    assert (await gql.data(ME))["me"] is None
    assert (await gql.data(ME, token="bco_made-up"))["me"] is None


async def test_roles_bundle_permissions(gql: GraphQLClient, actors: Actors) -> None:
    fulfillment = (await gql.data(ME, token=actors.fulfillment.token))["me"]["permissions"]
    support = (await gql.data(ME, token=actors.support.token))["me"]["permissions"]
    assert fulfillment == ["DOCUMENTS_WRITE", "IMPORTS_WRITE", "ORDERS_READ", "SHIPMENTS_WRITE"]
    assert support == [
        "DOCUMENTS_WRITE",
        "ORDERS_READ",
        "ORDERS_WRITE",
        "PAYMENTS_WRITE",
        "RETURNS_WRITE",
    ]


async def test_scoped_api_token_has_only_its_scopes(gql: GraphQLClient, actors: Actors) -> None:
    data = await gql.data(
        CREATE_TOKEN,
        {"input": {"name": "carrier sync", "permissions": ["IMPORTS_WRITE"]}},
        actors.admin.token,
    )
    token = data["createApiToken"]["token"]
    me = (await gql.data(ME, token=token))["me"]
    assert me["permissions"] == ["IMPORTS_WRITE"]
    body = await gql(
        "{ orders(first: 1) { edges { node { id } } } }", token=token, expect_errors=True
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_only_staff_managers_issue_tokens(gql: GraphQLClient, actors: Actors) -> None:
    variables = {"input": {"name": "x", "permissions": ["ORDERS_READ"]}}
    for token in (actors.support.token, actors.customer.token, None):
        data = await gql.data(CREATE_TOKEN, variables, token)
        assert data["createApiToken"]["token"] is None
        assert data["createApiToken"]["errors"][0]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}


async def test_login_attempts_are_rate_limited(gql: GraphQLClient, actors: Actors) -> None:
    """Password guessing stops after 10 attempts a minute from one client address, and
    stays stopped: the bound slides (GCRA), so no burst fits across a minute's boundary.
    One attempt comes back every 6 seconds: on a machine slow enough that the ten took
    longer, as many more are let through as came back meanwhile, and no more."""
    started = time.monotonic()
    allowed = 0
    while allowed < 20:
        body = await gql(LOGIN, {"e": "admin@shop.test", "p": "guess-guess"}, expect_errors=True)
        if body["data"] is None:
            break
        assert body["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
        allowed += 1
    assert 10 <= allowed <= 10 + int((time.monotonic() - started) // 6)
    body = await gql(LOGIN, {"e": "admin@shop.test", "p": PASSWORD}, expect_errors=True)
    assert body["data"] is None
    [error] = body["errors"]
    # one attempt comes back every 6 seconds (10 a minute)
    rate_limited_wait(error, 6)


async def test_cors_lets_configured_origins_call_the_api(actors: Actors, app: Any) -> None:
    from dataclasses import replace

    import httpx

    from app.main import create_app
    from app.settings import get_settings

    web = create_app(replace(get_settings(), cors_origins=("https://console.shop.test",)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://t"
    ) as client:
        allowed = await client.options(
            "/graphql",
            headers={
                "Origin": "https://console.shop.test",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert allowed.headers["access-control-allow-origin"] == "https://console.shop.test"
        other = await client.options(
            "/graphql",
            headers={"Origin": "https://evil.test", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in other.headers


LOGOUT = "mutation { logout { revoked errors { code } } }"
TOKENS = """{ apiTokens(first: 100) { edges { node {
  id name permissions issuedBy createdAt expiresAt } } } }"""
REVOKE = "mutation($id: ID!) { revokeApiToken(id: $id) { revokedTokenId errors { code } } }"
REVOKE_NAMED = """mutation($id: ID!) {
  revokeApiToken(id: $id) { revokedTokenId errors { code message field } } }"""


async def test_logout_revokes_the_token_it_is_called_with(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = (await gql.data(LOGIN, {"e": "support@shop.test", "p": PASSWORD}))["login"]["token"]
    other = (await gql.data(LOGIN, {"e": "support@shop.test", "p": PASSWORD}))["login"]["token"]
    assert (await gql.data(LOGOUT, token=token))["logout"] == {"revoked": True, "errors": []}
    assert (await gql.data(ME, token=token))["me"] is None  # anonymous at once
    assert (await gql.data(ME, token=other))["me"]["email"] == "support@shop.test"
    again = await gql.data(LOGOUT, token=token)
    assert again["logout"]["errors"] == [{"code": "UNAUTHENTICATED"}]


async def test_staff_managers_list_and_revoke_integration_tokens(
    gql: GraphQLClient, actors: Actors
) -> None:
    created = await gql.data(
        CREATE_TOKEN,
        {"input": {"name": "revoke me", "permissions": ["ORDERS_READ", "IMPORTS_WRITE"]}},
        actors.admin.token,
    )
    token = created["createApiToken"]["token"]
    listed = [
        e["node"] for e in (await gql.data(TOKENS, token=actors.admin.token))["apiTokens"]["edges"]
    ]
    [mine] = [t for t in listed if t["name"] == "revoke me"]
    assert (mine["permissions"], mine["issuedBy"], mine["expiresAt"]) == (
        ["IMPORTS_WRITE", "ORDERS_READ"],
        "admin@shop.test",
        None,
    )
    assert all(t["name"] != "login" for t in listed)  # sign-in sessions are not listed
    # only STAFF_MANAGE may see or revoke them
    refused = await gql(TOKENS, token=actors.support.token, expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    denied = await gql.data(REVOKE, {"id": mine["id"]}, actors.support.token)
    assert denied["revokeApiToken"]["errors"] == [{"code": "FORBIDDEN"}]
    assert (await gql.data(ME, token=token))["me"] is not None
    revoked = await gql.data(REVOKE, {"id": mine["id"]}, actors.admin.token)
    assert revoked["revokeApiToken"] == {"revokedTokenId": mine["id"], "errors": []}
    assert (await gql.data(ME, token=token))["me"] is None
    gone = await gql.data(REVOKE_NAMED, {"id": mine["id"]}, actors.admin.token)
    assert gone["revokeApiToken"]["errors"] == [
        {"code": "NOT_FOUND", "message": "API token not found.", "field": ["id"]}
    ]


async def test_integration_tokens_are_listed_newest_first_and_may_hold_every_permission(
    gql: GraphQLClient, actors: Actors
) -> None:
    everything = await gql.data(ME, token=actors.admin.token)
    all_permissions = everything["me"]["permissions"]
    for name in ("older", "newer"):
        created = await gql.data(
            CREATE_TOKEN,
            {"input": {"name": name, "permissions": all_permissions}},
            actors.admin.token,
        )
        assert created["createApiToken"]["errors"] == []
        token = created["createApiToken"]["token"]
        assert (await gql.data(ME, token=token))["me"]["permissions"] == all_permissions
    listed = (await gql.data(TOKENS, token=actors.admin.token))["apiTokens"]["edges"]
    names = [e["node"]["name"] for e in listed]
    assert names.index("newer") < names.index("older")
    ids = [from_global_id("ApiToken", e["node"]["id"]) for e in listed]
    assert ids == sorted(ids, reverse=True)
    # a page goes on from the one before it, still newest first
    paged = """query($after: String) { apiTokens(first: 1, after: $after) {
      edges { node { name } } pageInfo { endCursor } } }"""
    first = (await gql.data(paged, {}, actors.admin.token))["apiTokens"]
    after = first["pageInfo"]["endCursor"]
    second = (await gql.data(paged, {"after": after}, actors.admin.token))["apiTokens"]
    assert [e["node"]["name"] for e in first["edges"] + second["edges"]] == names[:2]
    await ApiToken.filter(name__in=["older", "newer"]).delete()


async def test_api_tokens_can_expire(gql: GraphQLClient, actors: Actors) -> None:
    past = await gql.data(
        CREATE_TOKEN,
        {
            "input": {
                "name": "old",
                "permissions": ["ORDERS_READ"],
                "expiresAt": "2020-01-01T00:00:00Z",
            }
        },
        actors.admin.token,
    )
    assert [e["field"] for e in past["createApiToken"]["errors"]] == [["expiresAt"]]
    soon = await gql.data(
        CREATE_TOKEN,
        {
            "input": {
                "name": "expiring",
                "permissions": ["ORDERS_READ"],
                "expiresAt": "2099-01-01T00:00:00Z",
            }
        },
        actors.admin.token,
    )
    token = soon["createApiToken"]["token"]
    assert (await gql.data(ME, token=token))["me"]["permissions"] == ["ORDERS_READ"]
    row = await ApiToken.get(name="expiring")
    assert row.expires_at is not None
    assert row.expires_at.year == 2099
    # once its moment has passed it is anonymous
    await ApiToken.filter(id=row.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert (await gql.data(ME, token=token))["me"] is None
    await ApiToken.filter(id=row.id).delete()  # tokens outlive a test: leave none expired


async def test_account_and_token_input_is_bounded_and_named(
    gql: GraphQLClient, actors: Actors
) -> None:
    long = {"email": "dan@example.com", "password": "long enough pw", "lastName": "n" * 101}
    data = await gql.data(REGISTER, {"input": long})
    assert [(e["field"], e["message"]) for e in data["registerCustomer"]["errors"]] == [
        (["lastName"], "At most 100 characters.")
    ]
    exact = await gql.data(REGISTER, {"input": {**long, "lastName": "n" * 100}})
    assert exact["registerCustomer"]["errors"] == []
    empty = await gql.data(
        CREATE_TOKEN, {"input": {"name": " ", "permissions": []}}, actors.admin.token
    )
    overlong = await gql.data(
        CREATE_TOKEN,
        {"input": {"name": "n" * 101, "permissions": ["ORDERS_READ"]}},
        actors.admin.token,
    )
    assert [e["field"] for e in overlong["createApiToken"]["errors"]] == [["name"]]
    assert [(e["field"], e["message"]) for e in empty["createApiToken"]["errors"]] == [
        (["name"], "Give the token a name of 1 to 100 characters."),
        (["permissions"], "Choose at least one permission."),
    ]
    # a token that may manage staff issues tokens, but never with more than it holds itself
    manager = await gql.data(
        CREATE_TOKEN,
        {"input": {"name": "n" * 100, "permissions": ["STAFF_MANAGE"]}},
        actors.admin.token,
    )
    narrow = manager["createApiToken"]["token"]
    wider = await gql.data(
        CREATE_TOKEN, {"input": {"name": "wider", "permissions": ["ORDERS_READ"]}}, narrow
    )
    assert [(e["code"], e["field"]) for e in wider["createApiToken"]["errors"]] == [
        ("FORBIDDEN", ["permissions"])
    ]
