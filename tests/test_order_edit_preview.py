"""previewOrderEdit: what editOrder would make of an edit, before it is saved.

The preview is editOrder's own plan: for random edits it answers exactly what editOrder then
does (amounts, lines, balances, or the same errors), it writes nothing and takes no stock,
it is refused to whoever editOrder refuses, and its SQL statements do not grow with the edit.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.models import Order
from app.schema.ids import to_global_id
from tests.conftest import (
    KEEP_TABLES,
    Actors,
    GraphQLClient,
    app_settings,
    count_queries,
    empty_tables,
)
from tests.conftest import _models as all_models
from tests.factories import create_product, paid, placed, record_payment
from tests.test_fulfilment import set_status
from tests.test_order_edits import catalog, item, stock
from tests.test_shipments import ship

T = TypeVar("T")
PAYMENT = "payment { status amountPaid amountRefunded balanceDue refundDue }"
PREVIEW = f"""query($id: ID!, $input: EditOrderInput!) {{
  previewOrderEdit(orderId: $id, input: $input) {{
    preview {{
      version subtotal shippingCost taxTotal total totalBefore currency
      {PAYMENT}
      lines {{ orderItemId sku name quantity unitPrice total quantityShipped currency }}
      stockShortfalls {{ sku wanted inStock }}
    }}
    errors {{ code message field }} }} }}"""
TAX = Decimal("0.085")  # a rate that rounds


async def preview(
    gql: GraphQLClient, token: str | None, order_id: str, **input_: Any
) -> dict[str, Any]:
    data = await gql.data(PREVIEW, {"id": order_id, "input": input_}, token)
    payload: dict[str, Any] = data["previewOrderEdit"]
    return payload


async def everything(app: Any) -> dict[str, Any]:
    """Every row of every table a test writes, and the jobs queued in Redis."""
    rows: dict[str, Any] = {}
    for model in all_models():
        if model._meta.db_table not in KEEP_TABLES:
            rows[model._meta.db_table] = await model.all().order_by("id").values()
    redis = app.state.redis
    rows["redis"] = sorted(
        [key async for key in redis.scan_iter(match="arq:*")]
        + [key async for key in redis.scan_iter(match="bitcart:queue:*")]
    )
    return rows


def as_saved(preview: dict[str, Any]) -> dict[str, Any]:
    """The preview's figures in the shape editOrder's order answers them."""
    return {
        "version": preview["version"] + 1,
        "subtotal": preview["subtotal"],
        "shippingCost": preview["shippingCost"],
        "taxTotal": preview["taxTotal"],
        "total": preview["total"],
        "payment": preview["payment"],
        "items": [
            {k: v for k, v in line.items() if k != "orderItemId"} for line in preview["lines"]
        ],
    }


EDITED = f"""mutation($id: ID!, $input: EditOrderInput!) {{
  editOrder(orderId: $id, input: $input) {{
    order {{ version subtotal shippingCost taxTotal total {PAYMENT}
      items {{ id sku name quantity unitPrice total quantityShipped currency }} }}
    errors {{ code message field }} }} }}"""


def saved_figures(order: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: order[k] for k in ("version", "subtotal", "shippingCost", "taxTotal", "total")},
        "payment": order["payment"],
        "items": [{k: v for k, v in i.items() if k != "id"} for i in order["items"]],
    }


# --- random edits -------------------------------------------------------------------------

PRICES = st.sampled_from([None, None, "0.00", "5.50", "12.34", "19.99"])
SKUS = ("A", "B", "C", "D")
# one thing wrong with an otherwise good edit, now and then
FAULTS = (
    "unit price",
    "shipping cost",
    "quantity 0",
    "below shipped",
    "remove shipped",
    "missing line",
    "sku twice",
    "unknown sku",
    "stale version",
    "nothing",
    "every line removed",
    "closed",
)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """An open order (lines of A-C, some units shipped, some paid) and an edit of it: a
    good one mostly (which may still lack stock), else one with a fault."""
    merged = dict(
        draw(
            st.lists(
                st.tuples(st.sampled_from(SKUS[:3]), st.integers(1, 3)), min_size=1, max_size=3
            )
        )
    )
    n = len(merged)
    quantities = list(merged.values())
    shipped = [draw(st.integers(0, q)) for q in quantities]
    if all(s == q for s, q in zip(shipped, quantities, strict=True)):
        shipped[-1] -= 1  # a fully shipped order is closed: the "closed" fault makes one
    unshipped = [i for i in range(n) if shipped[i] == 0]
    removed = draw(st.lists(st.sampled_from(unshipped), unique=True)) if unshipped else []
    kept = [i for i in range(n) if i not in removed]
    changes = (
        draw(
            st.lists(
                st.tuples(st.sampled_from(kept), st.none() | st.integers(0, 4), PRICES),
                unique_by=lambda c: c[0],
                max_size=len(kept),
            )
        )
        if kept
        else []
    )
    # a line never below what was shipped, nor 0
    changes = [(i, None if q is None else max(1, shipped[i] + q), p) for i, q, p in changes]
    new = [sku for sku in SKUS if sku not in merged]
    adds = draw(
        st.lists(
            st.tuples(st.sampled_from(new), st.integers(1, 6), PRICES),
            unique_by=lambda a: a[0],
            max_size=2,
        )
    )
    shipping = draw(st.sampled_from([None, None, "0.00", "4.90"]))
    if len(removed) == n and not adds:
        removed.pop()  # an order keeps a line: the "every line removed" fault removes all
    if not (removed or changes or adds or shipping):
        adds = [("D", 1, None)]  # something to change: the "nothing" fault changes nothing
    return {
        "lines": list(merged.items()),
        "spare": {sku: draw(st.integers(0, 6)) for sku in SKUS},
        "shipped": shipped,
        "payment": draw(st.sampled_from([None, "FULL", "FULL", "3.00"])),
        "removed": removed,
        "changes": changes,
        "adds": adds,
        "shipping": shipping,
        "version": draw(st.sampled_from([True, False])),
        "fault": draw(st.none() | st.none() | st.sampled_from(FAULTS)),
    }


async def set_up(gql: GraphQLClient, actors: Actors, case: dict[str, Any]) -> dict[str, Any]:
    token = actors.admin.token
    held = dict(case["lines"])
    for sku in SKUS:
        await create_product(
            gql, token, sku, stock=held.get(sku, 0) + case["spare"][sku], price="7.25", name=sku
        )
    order = await placed(gql, None, case["lines"])
    if case["payment"] is not None:
        amount = None if case["payment"] == "FULL" else case["payment"]
        payload = await record_payment(gql, token, order, amount=amount)
        assert payload["errors"] == [], payload["errors"]
    ships = [(index, q) for index, q in enumerate(case["shipped"]) if q]
    if ships:
        assert (await ship(gql, token, order, items=ships))["errors"] == []
    if case["fault"] == "closed":
        await set_status(gql, token, order, "COMPLETED")
    row = await Order.get(number=order["number"])
    order["version"] = row.version
    return order


def edit_input(case: dict[str, Any], order: dict[str, Any]) -> dict[str, Any]:
    ids = [i["id"] for i in order["items"]]
    input_: dict[str, Any] = {
        "remove": [ids[i] for i in case["removed"]],
        "change": [
            {"orderItemId": ids[i], "quantity": q, "unitPrice": p} for i, q, p in case["changes"]
        ],
        "add": [{"sku": s, "quantity": q, "unitPrice": p} for s, q, p in case["adds"]],
        "shippingCost": case["shipping"],
        "note": "random",
    }
    if case["version"]:
        input_["expectedVersion"] = order["version"]
    return with_fault(case, order, input_)


def with_fault(case: dict[str, Any], order: dict[str, Any], input_: dict[str, Any]) -> Any:
    fault, ids = case["fault"], [i["id"] for i in order["items"]]
    shipped = [i for i, q in enumerate(case["shipped"]) if q]
    if fault == "unit price":
        input_["add"].append({"sku": "D", "quantity": 1, "unitPrice": "1.001"})
    elif fault == "shipping cost":
        input_["shippingCost"] = "-1"
    elif fault == "quantity 0":
        input_["change"] = [{"orderItemId": ids[-1], "quantity": 0}]
    elif fault == "below shipped" and shipped:
        line = shipped[0]
        input_["change"] = [{"orderItemId": ids[line], "quantity": case["shipped"][line] - 1}]
        input_["remove"] = []
    elif fault == "remove shipped" and shipped:
        input_["remove"] = [ids[shipped[0]]]
        input_["change"] = []
    elif fault == "missing line":
        input_["remove"].append(to_global_id("OrderItem", 999_999))
    elif fault == "sku twice":
        input_["add"].append({"sku": case["lines"][0][0], "quantity": 1})
    elif fault == "unknown sku":
        input_["add"].append({"sku": "NOPE", "quantity": 1})
    elif fault == "stale version":
        input_["expectedVersion"] = order["version"] - 1
    elif fault == "nothing":
        return {"note": "nothing"}
    elif fault == "every line removed" and not shipped:
        return {"remove": ids}
    return input_


async def check_one(app: Any, gql: GraphQLClient, actors: Actors, case: dict[str, Any]) -> str:
    """Preview an edit, then make it: the same answer, and nothing changed in between.
    Returns editOrder's outcome."""
    token = actors.admin.token
    order = await set_up(gql, actors, case)
    input_ = edit_input(case, order)
    before = await everything(app)
    seen = await preview(gql, token, order["id"], **input_)
    assert await everything(app) == before, "a preview changed something"
    result = (await gql.data(EDITED, {"id": order["id"], "input": input_}, token))["editOrder"]
    assert seen["errors"] == result["errors"], (input_, seen, result)
    if result["errors"]:
        assert result["order"] is None
        codes = {e["code"] for e in result["errors"]}
        if codes == {"INSUFFICIENT_STOCK"}:
            shortfalls = seen["preview"]["stockShortfalls"]
            assert shortfalls
            assert shortfalls[0]["sku"] in result["errors"][0]["message"]
            assert all(s["wanted"] > s["inStock"] for s in shortfalls)
        else:
            assert seen["preview"] is None
        return ",".join(sorted(codes))
    shown = seen["preview"]
    assert shown["stockShortfalls"] == []
    assert as_saved(shown) == saved_figures(result["order"]), (input_, shown, result)
    kept = [line["orderItemId"] for line in shown["lines"] if line["orderItemId"]]
    assert kept == [i["id"] for i in result["order"]["items"]][: len(kept)]
    assert shown["totalBefore"] == order["total"]
    return "saved"


async def test_a_preview_is_what_edit_order_then_does(
    app: Any, gql: GraphQLClient, actors: Actors
) -> None:
    loop = asyncio.get_running_loop()

    def run(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=120)

    @settings(
        max_examples=int(os.environ.get("BITCART_PREVIEW_EXAMPLES", "30")),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=scenarios())
    def same(case: dict[str, Any]) -> None:
        run(empty_tables(app))
        outcome = run(check_one(app, gql, actors, case))
        event(f"editOrder: {outcome}")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    outcomes: dict[str, int] = {}
    with app_settings(app, tax_rate=TAX):
        await asyncio.to_thread(same)
    # the cases compared include saved edits and refused ones
    assert outcomes.get("saved", 0) > 0, outcomes
    assert len(outcomes) > 1, outcomes


# --- examples ------------------------------------------------------------------------------


async def test_the_new_balance_is_shown_before_saving_and_nothing_changes(
    app: Any, gql: GraphQLClient, actors: Actors
) -> None:
    await catalog(gql, actors)
    order = await paid(gql, actors.customer.token, [("TEE-M", 1), ("MUG", 1)], actors.admin.token)
    input_ = {
        "expectedVersion": order["version"],
        "remove": [item(order, "TEE-M")["id"]],
        "add": [{"sku": "TEE-L", "quantity": 1}],
        "change": [{"orderItemId": item(order, "MUG")["id"], "quantity": 3, "unitPrice": "7.50"}],
    }
    before = await everything(app)
    with app_settings(app, tax_rate=Decimal("0.10")), count_queries() as counted:
        seen = await preview(gql, actors.support.token, order["id"], **input_)
    assert seen["errors"] == []
    shown = seen["preview"]
    # 42.50 + 10 % tax; paid 28.00 before: 18.75 to collect
    assert (shown["subtotal"], shown["taxTotal"], shown["total"], shown["totalBefore"]) == (
        "42.50",
        "4.25",
        "46.75",
        "28.00",
    )
    assert shown["payment"] == {
        "status": "PARTIALLY_PAID",
        "amountPaid": "28.00",
        "amountRefunded": "0.00",
        "balanceDue": "18.75",
        "refundDue": "0.00",
    }
    assert [(line["sku"], line["quantity"], line["total"]) for line in shown["lines"]] == [
        ("MUG", 3, "22.50"),
        ("TEE-L", 1, "20.00"),
    ]
    assert shown["lines"][0]["orderItemId"] == item(order, "MUG")["id"]
    assert shown["lines"][1]["orderItemId"] is None
    assert shown["version"] == order["version"]
    # nothing written, nothing locked, nothing queued, no event
    assert await everything(app) == before
    writes = [
        q
        for q in counted.statements
        if q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) or "FOR UPDATE" in q
    ]
    assert writes == []
    assert (await stock("TEE-M"), await stock("TEE-L"), await stock("MUG")) == (9, 10, 9)

    # lowering the total: what to pay back, before saving
    cheaper = await preview(
        gql, actors.admin.token, order["id"], remove=[item(order, "TEE-M")["id"]]
    )
    assert (cheaper["preview"]["total"], cheaper["preview"]["payment"]["refundDue"]) == (
        "8.00",
        "20.00",
    )
    assert cheaper["preview"]["payment"]["balanceDue"] == "0.00"


async def test_stock_it_lacks_is_named_with_the_amounts(
    app: Any, gql: GraphQLClient, actors: Actors
) -> None:
    await catalog(gql, actors)
    await create_product(gql, actors.admin.token, "CAP", stock=1, price="5.00", name="Cap")
    order = await placed(gql, None, [("MUG", 1)])
    input_ = {
        "add": [{"sku": "TEE-L", "quantity": 11}, {"sku": "CAP", "quantity": 3}],
        "change": [{"orderItemId": item(order, "MUG")["id"], "quantity": 2}],
    }
    seen = await preview(gql, actors.admin.token, order["id"], **input_)
    # what editOrder answers, and every line short of stock, in the order it meets them
    assert seen["errors"] == [
        {"code": "INSUFFICIENT_STOCK", "message": "Not enough stock of TEE-L.", "field": ["items"]}
    ]
    assert seen["preview"]["stockShortfalls"] == [
        {"sku": "TEE-L", "wanted": 11, "inStock": 10},
        {"sku": "CAP", "wanted": 3, "inStock": 1},
    ]
    assert seen["preview"]["total"] == "251.00"  # 16.00 + 220.00 + 15.00
    result = (await gql.data(EDITED, {"id": order["id"], "input": input_}, actors.admin.token))[
        "editOrder"
    ]
    assert result["errors"] == seen["errors"]


async def test_it_is_refused_to_whoever_edit_order_refuses(
    app: Any, gql: GraphQLClient, actors: Actors
) -> None:
    await catalog(gql, actors)
    mine = await placed(gql, actors.customer.token, [("MUG", 1)])
    theirs = await placed(gql, actors.other_customer.token, [("MUG", 1)])
    change = {"shippingCost": "1.00"}
    missing = to_global_id("Order", 999_999)

    async def both(token: str | None, order_id: str) -> list[tuple[str, Any]]:
        seen = await preview(gql, token, order_id, **change)
        done = (await gql.data(EDITED, {"id": order_id, "input": change}, token))["editOrder"]
        assert seen["errors"] == done["errors"]
        assert seen["preview"] is None
        assert done["order"] is None
        return [(e["code"], e["field"]) for e in seen["errors"]]

    before = await everything(app)
    assert await both(None, mine["id"]) == [("UNAUTHENTICATED", None)]
    assert await both(actors.fulfillment.token, mine["id"]) == [("FORBIDDEN", None)]
    # a customer may not edit, their own order or another's alike: nothing to probe
    assert await both(actors.customer.token, mine["id"]) == [("FORBIDDEN", None)]
    assert await both(actors.customer.token, theirs["id"]) == [("FORBIDDEN", None)]
    assert await both(actors.customer.token, missing) == [("FORBIDDEN", None)]
    assert await both(actors.admin.token, missing) == [("NOT_FOUND", ["orderId"])]
    assert await both(actors.admin.token, "nonsense") == [("INVALID_INPUT", ["orderId"])]
    assert await everything(app) == before


async def test_its_statements_do_not_grow_with_the_edit(
    app: Any, gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    skus = [f"S{n:02}" for n in range(60)]
    for sku in skus:
        await create_product(gql, token, sku, stock=5, price="1.00")
    order = await placed(gql, None, [(sku, 2) for sku in skus[:40]])
    small = {"change": [{"orderItemId": order["items"][0]["id"], "quantity": 3}]}
    large = {
        "change": [{"orderItemId": i["id"], "quantity": 3} for i in order["items"][:20]],
        "remove": [i["id"] for i in order["items"][20:]],
        "add": [{"sku": sku, "quantity": 1} for sku in skus[40:]],
        "shippingCost": "2.00",
    }
    counts = []
    for input_ in (small, large):
        with count_queries() as counted:
            seen = await preview(gql, token, order["id"], **input_)
        assert seen["errors"] == []
        counts.append(counted.count)
    # the token, the order, its lines, the products added, its payments, the stock
    assert counts == [6, 6], counts
    assert len(seen["preview"]["lines"]) == 40


async def test_past_the_money_and_stock_bounds_it_answers_as_edit_order(
    app: Any, gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "BIG", stock=20_000, price="9999999.99")
    await create_product(gql, token, "FULL", stock=1_000_000_000, price="1.00")
    order = await placed(gql, None, [("BIG", 1), ("FULL", 5)])
    adjusted = """mutation { adjustStock(sku: "FULL", delta: 5, reason: "count") {
      errors { code } } }"""
    assert (await gql.data(adjusted, token=token))["adjustStock"]["errors"] == []
    big, full = item(order, "BIG")["id"], item(order, "FULL")["id"]
    before = await everything(app)
    for input_ in (
        # a total past what the money columns hold
        {"change": [{"orderItemId": big, "quantity": 10_000}]},
        # units given back past the most a product's stock holds
        {"change": [{"orderItemId": full, "quantity": 1}]},
    ):
        seen = await preview(gql, token, order["id"], **input_)
        assert await everything(app) == before
        done = (await gql.data(EDITED, {"id": order["id"], "input": input_}, token))["editOrder"]
        assert [e["code"] for e in done["errors"]] == ["INVALID_INPUT"], done
        assert seen == {"preview": None, "errors": done["errors"]}
    assert await everything(app) == before
