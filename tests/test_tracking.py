"""The public tracking view: what a guest sees, one null for every miss, rate limits."""

from __future__ import annotations

from typing import Any

import httpx

from app.db import MAX_ID
from app.services.tracking import _number_from_token, tracking_token
from tests.conftest import Actors, GraphQLClient, app_settings
from tests.factories import PLACE_ORDER, create_product, order_input, placed, rate_limited_wait
from tests.test_fulfilment import ADD_TRACKING, UPS_OK
from tests.test_rate_limits import PROXY
from tests.test_shipments import UPDATE, ship

TRACK = """query($n: Int, $e: String, $t: String) {
  orderTracking(number: $n, email: $e, token: $t) {
    number status trackingNumber carrier trackingUrl
    items { sku name quantity quantityShipped }
    shipments { trackingNumber carrier trackingUrl }
  }
}"""


async def shipped_guest_order(gql: GraphQLClient, actors: Actors) -> dict[str, Any]:
    await create_product(gql, actors.admin.token, "A", stock=10)
    order = await placed(gql, None, [("A", 2)], email="guest@example.net")
    await gql.data(ADD_TRACKING, {"id": order["id"], "n": UPS_OK}, actors.admin.token)
    await gql.data(
        UPDATE, {"id": order["id"], "input": {"staffNotes": "SECRET-NOTE"}}, actors.admin.token
    )
    await ship(gql, actors.admin.token, order, items=[(0, 1)])
    return order


async def test_guest_tracks_by_number_and_email(gql: GraphQLClient, actors: Actors) -> None:
    order = await shipped_guest_order(gql, actors)
    data = await gql.data(TRACK, {"n": order["number"], "e": " Guest@Example.NET "})
    assert data["orderTracking"] == {
        "number": order["number"],
        "status": "PARTIALLY_SHIPPED",
        "trackingNumber": UPS_OK,
        "carrier": "ups",
        "trackingUrl": f"https://www.ups.com/track?tracknum={UPS_OK}",
        "items": [{"sku": "A", "name": "Product A", "quantity": 2, "quantityShipped": 1}],
        "shipments": [
            {
                "trackingNumber": UPS_OK,
                "carrier": "ups",
                "trackingUrl": f"https://www.ups.com/track?tracknum={UPS_OK}",
            }
        ],
    }


async def test_public_view_has_no_private_fields(gql: GraphQLClient, actors: Actors) -> None:
    order = await shipped_guest_order(gql, actors)
    body = await gql(TRACK, {"n": order["number"], "e": "guest@example.net"})
    assert "SECRET-NOTE" not in str(body)
    # and the schema offers nothing more to ask for
    fields = await gql('{ __type(name: "OrderTracking") { fields { name } } }')
    names = {f["name"] for f in fields["data"]["__type"]["fields"]}
    assert names == {
        "number",
        "status",
        "createdAt",
        "trackingNumber",
        "carrier",
        "carrierName",
        "trackingUrl",
        "items",
        "shipments",
    }


async def test_wrong_email_and_missing_order_look_the_same(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await shipped_guest_order(gql, actors)
    wrong_email = await gql(TRACK, {"n": order["number"], "e": "other@example.net"})
    missing = await gql(TRACK, {"n": 99999, "e": "guest@example.net"})
    nothing = await gql(TRACK, {})
    bad_token = await gql(TRACK, {"t": f"{order['number']}-AAAAAAAAAAAAAAAAAAAAAAAA"})
    junk_token = await gql(TRACK, {"t": "garbage"})
    assert (
        wrong_email
        == missing
        == nothing
        == bad_token
        == junk_token
        == {"data": {"orderTracking": None}}
    )


async def test_tracking_token_from_the_placed_order(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A")
    placed_query = PLACE_ORDER.replace("trackingNumber", "trackingNumber trackingToken")
    data = await gql.data(placed_query, {"input": order_input([("A", 1)], email="g@example.net")})
    token = data["placeOrder"]["order"]["trackingToken"]
    number = data["placeOrder"]["order"]["number"]
    assert token.startswith(f"{number}-")
    assert len(token) > 20
    found = await gql.data(TRACK, {"t": token})
    assert found["orderTracking"]["number"] == number
    # a customer sees the token of their own order; another order's token is not derivable
    mine = await placed(gql, actors.customer.token, [("A", 1)])
    query = "query($id: ID!) { order(id: $id) { trackingToken } }"
    seen = await gql.data(query, {"id": mine["id"]}, actors.customer.token)
    assert seen["order"]["trackingToken"].startswith(f"{mine['number']}-")
    forged = token.replace(f"{number}-", f"{mine['number']}-")
    assert (await gql.data(TRACK, {"t": forged}))["orderTracking"] is None


async def test_customer_sees_own_tracking_and_shipments(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A")
    mine = await placed(gql, actors.customer.token, [("A", 1)])
    await gql.data(ADD_TRACKING, {"id": mine["id"], "n": UPS_OK}, actors.admin.token)
    await ship(gql, actors.admin.token, mine)
    query = """query($id: ID!) {
      order(id: $id) { status trackingNumber trackingUrl shipments { trackingNumber } } }"""
    seen = await gql.data(query, {"id": mine["id"]}, actors.customer.token)
    assert seen["order"] == {
        "status": "SHIPPED",
        "trackingNumber": UPS_OK,
        "trackingUrl": f"https://www.ups.com/track?tracknum={UPS_OK}",
        "shipments": [{"trackingNumber": UPS_OK}],
    }


async def test_lookups_are_rate_limited_per_client(
    app: Any, http: httpx.AsyncClient, gql: GraphQLClient, actors: Actors
) -> None:
    """Order numbers can't be harvested: after 20 attempts a minute, every answer is refused
    (to that client: another one still tracks its order)."""
    order = await shipped_guest_order(gql, actors)
    for guess in range(20):
        body = await gql(TRACK, {"n": 1000 + guess, "e": "guest@example.net"})
        assert body == {"data": {"orderTracking": None}}
    refused = await gql(TRACK, {"n": order["number"], "e": "guest@example.net"}, expect_errors=True)
    assert refused["data"] == {"orderTracking": None}
    [error] = refused["errors"]
    # 20 a minute: the next attempt is allowed at most 3 seconds after the last
    rate_limited_wait(error, 3)
    with app_settings(app, trusted_proxies=(PROXY,)):  # another client, behind the proxy
        other = await http.post(
            "/graphql",
            json={"query": TRACK, "variables": {"n": order["number"], "e": "guest@example.net"}},
            headers={"X-Forwarded-For": "192.0.2.77"},
        )
    assert other.json()["data"]["orderTracking"]["status"] == "PARTIALLY_SHIPPED"


def test_postal_numbers_link_to_their_countrys_post() -> None:
    from app.carriers import tracking_url

    assert tracking_url("RR123456785GB", "s10") == (
        "https://www.royalmail.com/track-your-item#/tracking-results/RR123456785GB"
    )
    assert tracking_url("EE123456785US", "s10") == (
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=EE123456785US"
    )
    # a post office without a known page: no link rather than a wrong one
    assert tracking_url("RR123456785FR", "s10") is None
    assert tracking_url("", "ups") is None


def test_a_tracking_token_opens_its_own_order_only() -> None:
    secret = "s3cret"
    token = tracking_token(100, secret)
    number, _, mac = token.partition("-")
    assert (number, len(mac)) == ("100", 24)  # 18 bytes of the MAC, URL-safe
    assert _number_from_token(token, secret) == 100
    assert _number_from_token(f"  {token}\n", secret) == 100
    assert tracking_token(100, "other secret") != token
    other = tracking_token(101, secret)
    for forged in (
        f"101-{mac}",  # another order's number with this MAC
        other[:-1] + ("A" if other[-1] != "A" else "B"),
        token + "x",
        "100",
        f"0-{mac}",
        f"{MAX_ID + 1}-{mac}",
        f"-{mac}",
        f"\uff11\uff10\uff10-{mac}",  # full-width digits are digits, but not ASCII
        "ünïcode-ßß",
    ):
        assert _number_from_token(forged, secret) is None, forged
    # the first and the last number an order can have open; 0 and past the last do not,
    # even with their own MAC
    assert _number_from_token(tracking_token(1, secret), secret) == 1
    assert _number_from_token(tracking_token(MAX_ID, secret), secret) == MAX_ID
    assert _number_from_token(tracking_token(0, secret), secret) is None
    assert _number_from_token(tracking_token(MAX_ID + 1, secret), secret) is None


async def test_the_longest_email_an_order_can_have_tracks_it(
    gql: GraphQLClient, actors: Actors
) -> None:
    """254 characters, the most an address may have; the spaces a form adds around it do
    not count against it."""
    await create_product(gql, actors.admin.token, "A", stock=5)
    longest = "g" * 64 + "@" + ".".join(["d" * 61, "d" * 61, "d" * 57, "example"])
    assert len(longest) == 254
    order = await placed(gql, None, [("A", 1)], email=longest)
    found = await gql.data(TRACK, {"n": order["number"], "e": f"  {longest.upper()}  "})
    assert found["orderTracking"]["number"] == order["number"]
    for email in ("", "   ", longest + "x"):
        missing = await gql.data(TRACK, {"n": order["number"], "e": email})
        assert missing == {"orderTracking": None}


NAMED = """mutation($id: ID!, $n: String!, $c: String) {
  addTracking(orderId: $id, trackingNumber: $n, carrier: $c) {
    order { carrier carrierName } errors { code message } } }"""
# What the API answers as `carrierName` for a carrier given by its code: a client shows it
# as it is (the contract's "UPS", "Royal Mail"), so every name is pinned here.
CARRIER_NAMES = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL",
    "ontrac": "OnTrac",
    "amazon": "Amazon",
    "cdl": "CDL",
    "royal mail": "Royal Mail",
    "royalmail": "Royal Mail",
    "royal-mail": "Royal Mail",
    "parcelforce": "Parcelforce",
    "dpd": "DPD",
    "gls": "GLS",
    "tnt": "TNT",
    "evri": "Evri",
    "hermes": "Hermes",
    "yodel": "Yodel",
    "postnl": "PostNL",
    "la poste": "La Poste",
    "laposte": "La Poste",
    "colissimo": "Colissimo",
    "correos": "Correos",
    "canada post": "Canada Post",
    "canadapost": "Canada Post",
    "purolator": "Purolator",
    "australia post": "Australia Post",
    "auspost": "Australia Post",
    "japan post": "Japan Post",
    # a merchant's own carrier: capitals as people write them, an acronym of up to three
    # letters in capitals, and an underscore read as a space
    "speedy": "Speedy",
    "xyz": "XYZ",
    "abcd": "Abcd",
    "my local courier": "My Local Courier",
    "fast_lane_post": "Fast Lane Post",
}
# A postal (UPU S10) number is named by its issuing country, its last two letters.
POSTAL_SERVICES = {
    "GB": "Royal Mail",
    "US": "USPS",
    "DE": "Deutsche Post",
    "CA": "Canada Post",
    "FR": "La Poste",
    "NL": "PostNL",
    "BE": "bpost",
    "ES": "Correos",
    "IT": "Poste Italiane",
    "IE": "An Post",
    "AT": "Austrian Post",
    "CH": "Swiss Post",
    "SE": "PostNord",
    "DK": "PostNord",
    "NO": "Posten",
    "FI": "Posti",
    "PL": "Poczta Polska",
    "PT": "CTT",
    "AU": "Australia Post",
    "NZ": "NZ Post",
    "JP": "Japan Post",
    "CN": "China Post",
    "HK": "Hongkong Post",
    "SG": "SingPost",
    "IN": "India Post",
    "BR": "Postal service",  # a country with no name of its own here
}


async def test_the_api_names_every_carrier_as_people_name_it(
    gql: GraphQLClient, actors: Actors
) -> None:
    """`carrierName` beside the code a merchant gave (any case, spaces around it), and for a
    postal number the service of the country that issued it; none without a carrier."""
    await create_product(gql, actors.admin.token, "A", stock=5)
    order = await placed(gql, None, [("A", 1)], email="names@example.net")
    staff = actors.admin.token
    answered: dict[str, tuple[str, str]] = {}
    for code in CARRIER_NAMES:
        data = await gql.data(
            NAMED, {"id": order["id"], "n": "QX77340091", "c": f" {code.upper()} "}, staff
        )
        assert data["addTracking"]["errors"] == [], code
        got = data["addTracking"]["order"]
        answered[code] = (got["carrier"], got["carrierName"])
    assert answered == {code: (code, name) for code, name in CARRIER_NAMES.items()}
    postal: dict[str, str] = {}
    for country in POSTAL_SERVICES:
        data = await gql.data(
            NAMED, {"id": order["id"], "n": f"rr123456785{country.lower()}", "c": "S10"}, staff
        )
        assert data["addTracking"]["errors"] == [], country
        assert data["addTracking"]["order"]["carrier"] == "s10"
        postal[country] = data["addTracking"]["order"]["carrierName"]
    assert postal == POSTAL_SERVICES
    # the public view names it too, by the number's country
    public = await gql.data(
        "query($n: Int, $e: String) { orderTracking(number: $n, email: $e) { carrierName } }",
        {"n": order["number"], "e": "names@example.net"},
    )
    assert public == {"orderTracking": {"carrierName": "Postal service"}}
    # a number of no known format with no carrier: no name either
    unnamed = await gql.data(NAMED, {"id": order["id"], "n": "QX77340092"}, staff)
    assert unnamed["addTracking"]["order"] == {"carrier": None, "carrierName": None}
