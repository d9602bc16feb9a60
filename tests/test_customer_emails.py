"""Telling the customer: a cancellation (with what will be refunded), an edit that changed
the total (with what is left to pay or owed), a return requested and authorized (with where
to send it), a note staff chose to send. One email per event, never two for one refund."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.models import EmailMessage
from app.settings import Settings
from tests.conftest import Actors, GraphQLClient
from tests.factories import REFUND, create_product, paid, record_payment
from tests.test_cancellation import ask, cancel
from tests.test_emails import send_all
from tests.test_returns import request_return, set_status
from tests.test_shipments import ship

EDIT = """mutation($id: ID!, $input: EditOrderInput!) {
  editOrder(orderId: $id, input: $input) {
    order { total payment { balanceDue refundDue } } errors { code message } } }"""
NOTE = """mutation($id: ID!, $text: String!, $visibility: EventVisibility, $notify: Boolean!) {
  addOrderNote(orderId: $id, message: $text, visibility: $visibility, notifyCustomer: $notify) {
    errors { code message field } } }"""
RETURN_ADDRESS = "Returns desk, BitCart Demo Store\nUnit 4, Dock Road\nLeeds LS1 1AA"


async def sent(settings: Settings) -> list[EmailMessage]:
    """Dispatch and send everything; every email written so far, oldest first."""
    await send_all(settings)
    return list(await EmailMessage.all().order_by("id"))


def kinds(messages: list[EmailMessage]) -> list[str]:
    return [m.kind for m in messages]


async def test_a_cancelled_order_emails_once_with_the_refund_then_once_when_refunded(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=10, price="25.90", name="Tee")
    order = await paid(gql, actors.customer.token, [("TEE", 2)], actors.admin.token)
    settings = replace(settings_with_redis, smtp_url="")
    assert kinds(await sent(settings)) == ["order_placed"]
    done = await cancel(
        gql, actors.admin.token, order, reason="INVENTORY", refund=True, notifyCustomer=True
    )
    assert done["errors"] == []
    messages = await sent(settings)
    assert kinds(messages) == ["order_placed", "order_cancelled"]
    email = messages[-1]
    assert email.recipient == actors.customer.email
    assert email.subject == f"{settings.store_name}: your order #{order['number']} is cancelled"
    assert email.text.startswith(
        f"Your order #{order['number']} is cancelled: we cannot supply the items, and we are "
        "sorry.\n\nWe are refunding 51.80 USD the way you paid."
    )
    assert "We are refunding <strong>51.80 USD</strong>" in email.html
    # the payment side confirms: the refund's email, and nothing else
    confirmed = await record_payment(
        gql,
        actors.admin.token,
        order,
        kind="REFUND",
        refundRequestId=done["refundRequest"]["id"],
        reference="re_1",
    )
    assert confirmed["errors"] == []
    messages = await sent(settings)
    assert kinds(messages) == ["order_placed", "order_cancelled", "refund_recorded"]
    assert "We have refunded 51.80 USD" in messages[-1].text
    # the relay reports it again: still one refund, one email
    again = await record_payment(gql, actors.admin.token, order, kind="REFUND", reference="re_1")
    assert again["transaction"]["id"] == confirmed["transaction"]["id"]
    assert kinds(await sent(settings)) == ["order_placed", "order_cancelled", "refund_recorded"]


async def test_a_cancellation_without_notify_is_not_emailed(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=10, price="25.90")
    order = await paid(gql, actors.customer.token, [("TEE", 1)], actors.admin.token)
    done = await cancel(gql, actors.admin.token, order, reason="FRAUD", note="SECRET")
    assert done["errors"] == []
    messages = await sent(replace(settings_with_redis, smtp_url=""))
    assert kinds(messages) == ["order_placed"]


async def test_an_edit_that_changes_the_total_says_what_is_owed(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """The issue's order: paid 53.40, edited to 38.90, 14.50 owed back."""
    admin = actors.admin.token
    await create_product(gql, admin, "CAP", stock=10, price="24.00", name="Cap")
    await create_product(gql, admin, "NOTE", stock=10, price="9.80", name="Notebook")
    order = await paid(gql, actors.customer.token, [("CAP", 1), ("NOTE", 3)], admin)
    assert order["total"] == "53.40"
    settings = replace(settings_with_redis, smtp_url="")
    await sent(settings)
    cap, notebook = order["items"]
    # the same total (a swap of price for quantity) is no news
    same = await gql.data(
        EDIT,
        {"id": order["id"], "input": {"change": [{"orderItemId": cap["id"], "unitPrice": "24.00"}],
                                      "shippingCost": "0.00"}},
        admin,
    )  # fmt: skip
    assert same["editOrder"]["errors"] == []
    lower = await gql.data(
        EDIT,
        {"id": order["id"], "input": {"remove": [cap["id"]], "change": [
            {"orderItemId": notebook["id"], "quantity": 3, "unitPrice": "9.80"}],
            "add": [{"sku": "CAP", "quantity": 1, "unitPrice": "9.50"}]}},
        admin,
    )  # fmt: skip
    assert lower["editOrder"]["errors"] == []
    assert lower["editOrder"]["order"]["total"] == "38.90"
    assert lower["editOrder"]["order"]["payment"]["refundDue"] == "14.50"
    messages = await sent(settings)
    assert kinds(messages) == ["order_placed", "order_edited"]
    text = messages[-1].text
    assert f"Your order #{order['number']} was changed:" in text
    assert "New total: 38.90 USD (was 53.40 USD)" in text
    assert "We owe you 14.50 USD: it goes back the way you paid" in text
    # asked of the payment side meanwhile, it is still what is owed
    assert (await ask(gql, admin, order))["refundRequest"]["amount"] == "14.50"
    more = await gql.data(
        EDIT, {"id": order["id"], "input": {"add": [{"sku": "NOTE", "quantity": 1}]}}, admin
    )
    assert more["editOrder"]["errors"][0]["code"] == "INVALID_INPUT"  # NOTE is a line already
    raised = await gql.data(
        EDIT,
        {"id": order["id"], "input": {"change": [{"orderItemId": notebook["id"], "quantity": 6}]}},
        admin,
    )
    assert raised["editOrder"]["order"]["total"] == "68.30"
    messages = await sent(settings)
    assert kinds(messages) == ["order_placed", "order_edited", "order_edited"]
    assert "Left to pay: 14.90 USD." in messages[-1].text


async def test_a_return_is_acknowledged_then_authorized_with_the_address(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    admin = actors.admin.token
    await create_product(gql, admin, "TEE", stock=10, price="25.90", name="Tee")
    order = await paid(gql, actors.customer.token, [("TEE", 2)], admin)
    await ship(gql, admin, order)
    settings = replace(settings_with_redis, smtp_url="", return_address=RETURN_ADDRESS)
    await sent(settings)
    asked = await request_return(gql, actors.customer.token, order, [(0, 1)])
    return_id = asked["returnRequest"]["id"]
    messages = await sent(settings)
    assert kinds(messages)[-1] == "return_requested"
    assert "  1 x TEE" in messages[-1].text
    assert "once it is authorized" in messages[-1].text
    await set_status(gql, admin, return_id, "AUTHORIZED")
    messages = await sent(settings)
    assert kinds(messages)[-1] == "return_status_changed"
    text, html = messages[-1].text, messages[-1].html
    assert (
        "Please send the items back to:\n\n  Returns desk, BitCart Demo Store\n"
        "  Unit 4, Dock Road\n  Leeds LS1 1AA\n" in text
    )
    assert "Unit 4, Dock Road<br>Leeds LS1 1AA<br>" in html
    # without the setting, the store's own address
    default = replace(settings, return_address="")
    await set_status(gql, admin, return_id, "RECEIVED")
    refunded = await gql.data(
        REFUND, {"id": order["id"], "input": {"amount": "25.90", "returnId": return_id}}, admin
    )
    assert refunded["refundOrder"]["errors"] == []
    messages = await sent(default)
    # received, then refunded: the refund's email says the return is settled, no second one
    assert kinds(messages) == [
        "order_placed",
        "shipment_created",
        "return_requested",
        "return_status_changed",
        "return_status_changed",
        "refund_recorded",
    ]
    assert "for the items you sent back" in messages[-1].text


async def test_a_public_note_is_emailed_only_when_staff_tick_notify(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    admin = actors.admin.token
    await create_product(gql, admin, "TEE", stock=10)
    order = await paid(gql, actors.customer.token, [("TEE", 1)], admin)
    settings = replace(settings_with_redis, smtp_url="")
    await sent(settings)

    async def note(token: str, text: str, visibility: str | None, notify: bool) -> Any:
        variables = {"id": order["id"], "text": text, "visibility": visibility, "notify": notify}
        return (await gql.data(NOTE, variables, token))["addOrderNote"]["errors"]

    assert await note(admin, "SECRET staff note", None, False) == []
    assert await note(admin, "Public, not sent", "PUBLIC", False) == []
    refused = await note(admin, "SECRET", "STAFF", True)
    assert refused == [
        {
            "code": "INVALID_INPUT",
            "message": "Only a PUBLIC note from the store is emailed to the customer.",
            "field": ["notifyCustomer"],
        }
    ]
    assert (await note(actors.customer.token, "Hi", None, True))[0]["code"] == "INVALID_INPUT"
    # notify alone makes it PUBLIC
    assert await note(admin, "Your cap <b>ships</b> Monday.\nSorry for the wait.", None, True) == []
    messages = await sent(settings)
    assert kinds(messages) == ["order_placed", "order_note"]
    email = messages[-1]
    assert email.subject == f"{settings.store_name}: a message about your order #{order['number']}"
    assert "Your cap <b>ships</b> Monday.\nSorry for the wait." in email.text
    assert "Your cap &lt;b&gt;ships&lt;/b&gt; Monday." in email.html
    for message in messages:
        assert "SECRET" not in message.text + message.html
    # dispatched and sent again: nothing new
    assert len(await sent(settings)) == 2
