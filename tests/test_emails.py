"""Customer emails: caught by a real SMTP server (aiosmtpd) or written as .eml files, read
back with the standard library's email parser; the shipping email's link opens the
tracking page."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage as Mime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from structlog.testing import capture_logs

from app.models import DeliveryStatus, EmailMessage
from app.services import emails, outbox
from app.settings import Settings
from tests.conftest import Actors, GraphQLClient
from tests.factories import REFUND, UPDATE_ORDER, create_product, paid, placed
from tests.processes import free_port
from tests.test_returns import request_return, set_status
from tests.test_shipments import ship


class Catcher:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Mime] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, Mime)
        self.messages.append(message)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Catcher, int]]:
    catcher = Catcher()
    port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield catcher, port
    finally:
        controller.stop()


async def send_all(settings: Settings) -> None:
    while (await outbox.dispatch(settings)).events:
        pass
    await emails.send_due(settings)


def parts(message: Mime) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


async def test_without_smtp_emails_are_written_to_the_outbox_folder(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings, tmp_path: Path
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5, name="Tee <b>bold</b>")
    order = await placed(gql, None, [("TEE", 2)], email="guest@example.net")
    # a data folder not made yet: the first email makes it, with its outbox folder
    settings = replace(settings_with_redis, data_dir=tmp_path / "data", smtp_url="")
    await send_all(settings)

    outbox = tmp_path / "data" / "outbox"
    (path,) = outbox.iterdir()
    assert path.name.endswith("-order_placed.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, Mime)
    assert message["To"] == "guest@example.net"
    assert f"#{order['number']}" in message["Subject"]
    assert settings.store_email in message["From"]
    text, html = parts(message)
    assert "2 x Tee <b>bold</b> (TEE)" in text
    assert "Tee &lt;b&gt;bold&lt;/b&gt;" in html  # shop text is escaped in HTML
    assert f"{settings.public_url}/track/{order['number']}-" in text
    row = await EmailMessage.get()
    assert (row.status, row.attempts, row.kind) == (DeliveryStatus.SUCCEEDED, 1, "order_placed")
    domain = settings.store_email.rpartition("@")[2]
    assert message["Message-ID"] == f"<bitcart-email-{row.id}@{domain}>"
    assert row.text.endswith(f"{settings.store_email}\n")  # the template's own ending
    await emails.send_due(settings)
    assert len(list(outbox.iterdir())) == 1  # sent once
    # the next one goes into the folder that is there now
    await placed(gql, None, [("TEE", 1)], email="guest@example.net")
    await send_all(settings)
    assert len(list(outbox.iterdir())) == 2


async def test_the_shipping_email_has_the_tracking_number_and_a_working_link(
    gql: GraphQLClient,
    actors: Actors,
    settings_with_redis: Settings,
    smtp: tuple[Catcher, int],
    http: httpx.AsyncClient,
) -> None:
    catcher, port = smtp
    await create_product(gql, actors.admin.token, "TEE", stock=5, name="Tee")
    order = await paid(gql, actors.customer.token, [("TEE", 2)], actors.admin.token)
    await gql.data(UPDATE_ORDER, {"id": order["id"], "notes": "SECRET staff"}, actors.admin.token)
    settings = replace(settings_with_redis, smtp_url=f"smtp://127.0.0.1:{port}")
    await send_all(settings)  # the order-placed email
    shipped = await ship(
        gql, actors.admin.token, order, items=[(0, 1)], trackingNumber="1Z999AA10123456784"
    )
    assert shipped["errors"] == []
    await send_all(settings)

    assert [m["Subject"].split(": ", 1)[1] for m in catcher.messages] == [
        f"we have your order #{order['number']}",
        f"order #{order['number']} is on its way",
    ]
    assert catcher.recipients[1] == [actors.customer.email]
    text, html = parts(catcher.messages[1])
    assert "1 x Tee" in text
    assert "Tracking number: 1Z999AA10123456784 (UPS)" in text
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in text
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784' in html
    for message in catcher.messages:
        assert "SECRET" not in message.as_string()

    link = next(line for line in text.splitlines() if "/track/" in line).strip()
    page = await http.get(link.removeprefix(settings.public_url))
    assert page.status_code == 200
    assert f"<h1>Order {order['number']}</h1>" in page.text
    assert "1Z999AA10123456784" in page.text


async def test_return_and_refund_emails_say_what_changed_and_never_the_reason(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings, smtp: tuple[Catcher, int]
) -> None:
    catcher, port = smtp
    await create_product(gql, actors.admin.token, "TEE", stock=5, name="Tee")
    order = await paid(gql, actors.customer.token, [("TEE", 2)], actors.admin.token)
    await ship(gql, actors.admin.token, order)
    requested = await request_return(gql, actors.customer.token, order, [(0, 1)])
    return_id = requested["returnRequest"]["id"]
    changed = await set_status(gql, actors.admin.token, return_id, "AUTHORIZED", note="SECRET")
    assert changed["errors"] == []
    refunded = await gql.data(
        REFUND,
        {"id": order["id"], "input": {"amount": "4.00", "reason": "SECRET reason"}},
        actors.admin.token,
    )
    assert refunded["refundOrder"]["errors"] == []
    settings = replace(settings_with_redis, smtp_url=f"smtp://127.0.0.1:{port}")
    await send_all(settings)

    subjects = [m["Subject"] for m in catcher.messages]
    number = order["number"]
    assert f"{settings.store_name}: your return for order #{number} is authorized" in subjects
    refund = next(m for m in catcher.messages if "refund of 4.00" in m["Subject"])
    text, _ = parts(refund)
    assert f"We have refunded 4.00 USD for your order #{number}." in text
    for message in catcher.messages:
        assert "SECRET" not in message.as_string()


async def test_a_failed_send_is_retried_then_given_up(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings, smtp: tuple[Catcher, int]
) -> None:
    catcher, port = smtp
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    await placed(gql, actors.customer.token, [("TEE", 1)])
    down = replace(
        settings_with_redis,
        smtp_url=f"smtp://127.0.0.1:{free_port()}",  # nobody listens there
        email_retry_delays=(0.0, 0.0),
    )
    # the first retry waits the first delay of the schedule, the second the second
    later = replace(down, email_retry_delays=(600.0, 7200.0))
    await send_all(later)
    row = await EmailMessage.get()
    assert (row.status, row.attempts) == (DeliveryStatus.RETRYING, 1)
    assert row.last_error.startswith(("OSError: ", "ConnectionRefusedError: ", "SMTPConnect"))
    assert ": " in row.last_error  # the error's own words after its kind
    assert row.next_attempt_at is not None
    waits = (row.next_attempt_at - datetime.now(UTC)).total_seconds()
    assert 590 < waits <= 600
    await EmailMessage.filter(id=row.id).update(next_attempt_at=datetime.now(UTC))
    await emails.send_due(later)
    await row.refresh_from_db()
    assert row.next_attempt_at is not None
    assert 7190 < (row.next_attempt_at - datetime.now(UTC)).total_seconds() <= 7200
    await EmailMessage.filter(id=row.id).update(attempts=0, next_attempt_at=datetime.now(UTC))
    await send_all(down)
    await row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.RETRYING, 1)

    up = replace(down, smtp_url=f"smtp://127.0.0.1:{port}")
    await emails.send_due(up)
    await row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SUCCEEDED, 2, "")
    assert len(catcher.messages) == 1

    await placed(gql, actors.customer.token, [("TEE", 1)])
    with capture_logs() as logged:
        for _ in range(3):
            await send_all(down)
    last = await EmailMessage.filter(id__gt=row.id).get()
    assert (last.status, last.attempts) == (DeliveryStatus.FAILED, 3)
    # given up, it is logged once, with the email and the last error: operators act on it
    assert [e for e in logged if e["event"] == "email_failed"] == [
        {
            "event": "email_failed",
            "log_level": "warning",
            "email_id": last.id,
            "error": last.last_error,
        }
    ]
    assert await emails.send_due(up) == 0  # given up is given up


def test_a_subject_is_one_line_of_at_most_300_characters(
    settings_with_redis: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "emails"
    folder.mkdir()
    (folder / "order_placed.subject").write_text("{% for n in range(400) %}word\n{% endfor %}")
    (folder / "order_placed.txt").write_text("text")
    (folder / "order_placed.html").write_text("<p>html</p>")
    settings = replace(settings_with_redis, template_dir=tmp_path)
    rendered = emails.render("order_placed", {}, settings)
    assert rendered.subject == ("word " * 60)[:300]
    assert (rendered.text, rendered.html) == ("text", "<p>html</p>")


class Refuser(Catcher):
    """Refuses every message with a very long reply, as some servers explain themselves."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "554 " + "no " * 300


async def test_a_long_refusal_is_kept_to_the_first_500_characters(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    port = free_port()
    controller = Controller(Refuser(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        await create_product(gql, actors.admin.token, "TEE", stock=5)
        await placed(gql, actors.customer.token, [("TEE", 1)])
        refusing = replace(settings_with_redis, smtp_url=f"smtp://127.0.0.1:{port}")
        await send_all(refusing)
    finally:
        controller.stop()
    row = await EmailMessage.get()
    assert (row.status, row.attempts) == (DeliveryStatus.RETRYING, 1)
    # the error's kind and the server's words, cut at the column's 500 characters
    assert row.last_error == ("SMTPDataError: (554, '" + "no " * 200)[:500]


async def test_notify_off_writes_no_email(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    await placed(gql, actors.customer.token, [("TEE", 1)])
    quiet = replace(settings_with_redis, notify=False)
    assert (await outbox.dispatch(quiet)).emails == 0
    assert await EmailMessage.all().count() == 0


async def test_a_shop_template_sees_the_object_of_its_own_email_only(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings, tmp_path: Path
) -> None:
    """`shipment`, `return` and `refund` are each set for their own email and are none in
    the others, so one shop template can test which it is."""
    folder = tmp_path / "templates" / "emails"
    folder.mkdir(parents=True)
    line = (
        "shipment={{ shipment is not none }} return={{ return is not none }} "
        "refund={{ refund is not none }}"
    )
    kinds = ("order_placed", "shipment_created", "return_requested", "return_status_changed")
    for kind in (*kinds, "refund_recorded"):
        (folder / f"{kind}.txt").write_text(line)
    settings = replace(settings_with_redis, template_dir=tmp_path / "templates", data_dir=tmp_path)
    await create_product(gql, actors.admin.token, "TEE", stock=5, name="Tee")
    order = await paid(gql, actors.customer.token, [("TEE", 2)], actors.admin.token)
    await ship(gql, actors.admin.token, order)
    requested = await request_return(gql, actors.customer.token, order, [(0, 1)])
    changed = await set_status(
        gql, actors.admin.token, requested["returnRequest"]["id"], "AUTHORIZED"
    )
    assert changed["errors"] == []
    refunded = await gql.data(
        REFUND, {"id": order["id"], "input": {"amount": "4.00"}}, actors.admin.token
    )
    assert refunded["refundOrder"]["errors"] == []
    await send_all(settings)

    texts = {m.kind: m.text for m in await EmailMessage.all()}
    assert texts == {
        "order_placed": "shipment=False return=False refund=False",
        "shipment_created": "shipment=True return=False refund=False",
        "return_requested": "shipment=False return=True refund=False",
        "return_status_changed": "shipment=False return=True refund=False",
        "refund_recorded": "shipment=False return=False refund=True",
    }


async def test_a_shop_overrides_a_template_and_a_broken_one_falls_back(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "templates" / "emails"
    folder.mkdir(parents=True)
    (folder / "order_placed.subject").write_text(
        "Thanks from {{ store.name }} for #{{ order.number }}"
    )
    # broken: a name the order does not have is an error, never an empty string
    (folder / "order_placed.txt").write_text("Dear {{ order.nothing_here }}")
    # the shop's HTML is escaped like ours
    (folder / "order_placed.html").write_text("<p>{{ order.customerComment }}</p>")
    settings = replace(settings_with_redis, template_dir=tmp_path / "templates", data_dir=tmp_path)
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    order = await placed(
        gql, actors.customer.token, [("TEE", 1)], customerComment="<b>fast</b> & soon"
    )
    with capture_logs() as logged:
        await send_all(settings)
    # the broken template is logged by name, and only it
    assert [(e["event"], e["template"]) for e in logged if e["log_level"] == "warning"] == [
        ("email_template_failed", "order_placed.txt")
    ]
    row = await EmailMessage.get()
    assert row.subject == f"Thanks from {settings.store_name} for #{order['number']}"
    assert row.text.startswith(f"Thank you for your order #{order['number']}.")  # ours
    assert row.html == "<p>&lt;b&gt;fast&lt;/b&gt; &amp; soon</p>"


def test_a_template_the_shop_left_out_is_quiet_and_a_broken_include_is_logged(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "emails"
    folder.mkdir()
    (folder / "order_placed.html").write_text('{% include "header.html" %}<p>shop</p>')
    ours = emails.Templates(None)
    shop = emails.Templates(tmp_path)
    context = {
        "store": {"name": "Shop", "email": "shop@example.com"},
        "order": {"number": 7, "items": [], "currency": "USD", "shippingCost": "0", "total": "0"},
        "tracking_page": "https://shop.example/track/t",
    }
    with capture_logs() as logged:
        # not overridden: ours, and nothing to report
        subject = shop.render("order_placed.subject", context)
        # overridden, but what it includes is missing: ours, and the shop hears of it
        html = shop.render("order_placed.html", context)
    assert subject == ours.render("order_placed.subject", context)
    assert html == ours.render("order_placed.html", context)
    assert [(e["event"], e["template"], e["error"]) for e in logged] == [
        ("email_template_failed", "order_placed.html", "header.html")
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", ("mail.example.com", 25, None, None, False)),
        ("smtps://mail.example.com", ("mail.example.com", 465, None, None, True)),
        (
            "smtp://shop%40example.com:p%3Ass%20w@mail.example.com:587",
            ("mail.example.com", 587, "shop@example.com", "p:ss w", False),
        ),
    ],
)
def test_the_smtp_url_names_server_port_login_and_tls(
    url: str, expected: tuple[str, int, str | None, str | None, bool]
) -> None:
    smtp = emails.Smtp.from_url(url)
    assert (smtp.hostname, smtp.port, smtp.username, smtp.password, smtp.use_tls) == expected


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtp:///path", "mail:25"])
def test_an_smtp_url_without_an_smtp_scheme_and_a_server_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="BITCART_SMTP_URL must look like smtp://"):
        emails.Smtp.from_url(url)


# a test server on 127.0.0.1: there is no TLS to require
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_a_server_that_wants_a_login_gets_the_one_in_the_url(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"shop", b"p:ss w"))

    catcher = Catcher()
    port = free_port()
    controller = Controller(
        catcher,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        await create_product(gql, actors.admin.token, "TEE", stock=5)
        await placed(gql, actors.customer.token, [("TEE", 1)])
        await send_all(
            replace(settings_with_redis, smtp_url=f"smtp://shop:p%3Ass%20w@127.0.0.1:{port}")
        )
    finally:
        controller.stop()
    assert logins == [(b"shop", b"p:ss w")]
    assert len(catcher.messages) == 1
    assert (await EmailMessage.get()).status is DeliveryStatus.SUCCEEDED


async def test_a_claim_holds_emails_for_as_long_as_sending_them_may_take(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """Claimed emails are this worker's for rounds of SEND_AT_ONCE sends, each up to the
    SMTP timeout, plus a lease."""
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    await placed(gql, actors.customer.token, [("TEE", 1)])
    settings = replace(settings_with_redis, worker_lease_seconds=30)
    while (await outbox.dispatch(settings)).events:
        pass
    for limit, rounds in ((1, 1), (emails.SEND_AT_ONCE, 1), (emails.SEND_AT_ONCE + 1, 2)):
        await EmailMessage.all().update(next_attempt_at=datetime.now(UTC))
        before = datetime.now(UTC)
        (claimed,) = await emails._claim(limit, settings)
        assert claimed.next_attempt_at is not None
        held = (claimed.next_attempt_at - before).total_seconds()
        assert rounds * emails.SMTP_TIMEOUT + 30 <= held < rounds * emails.SMTP_TIMEOUT + 32
        assert await emails._claim(limit, settings) == []  # another worker's now


async def test_a_server_that_never_greets_is_given_up_on_after_the_timeout(
    gql: GraphQLClient,
    actors: Actors,
    settings_with_redis: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An SMTP server that takes the connection and says nothing holds a send for the SMTP
    timeout at most (shortened here), then the email waits for its retry."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()  # never greets; the client hangs up
        finally:
            writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setattr(emails, "SMTP_TIMEOUT", 0.5)
    try:
        await create_product(gql, actors.admin.token, "TEE", stock=5)
        await placed(gql, actors.customer.token, [("TEE", 1)])
        settings = replace(settings_with_redis, smtp_url=f"smtp://127.0.0.1:{port}")
        await asyncio.wait_for(send_all(settings), 5)
    finally:
        server.close()
        await server.wait_closed()
    row = await EmailMessage.get()
    assert (row.status, row.attempts) == (DeliveryStatus.RETRYING, 1)
    assert row.last_error.startswith("SMTPConnectTimeoutError: ")


async def test_an_email_is_rendered_by_its_sender_once_from_what_its_event_said(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings, tmp_path: Path
) -> None:
    """The dispatch keeps what the templates are given; the sender renders it before the
    first attempt and keeps the words, so a retry after a template change sends the same."""
    folder = tmp_path / "templates" / "emails"
    folder.mkdir(parents=True)
    settings = replace(
        settings_with_redis,
        template_dir=tmp_path / "templates",
        data_dir=tmp_path,
        smtp_url=f"smtp://127.0.0.1:{free_port()}",  # nobody listens there
        email_retry_delays=(0.0, 0.0),
    )
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    order = await placed(gql, actors.customer.token, [("TEE", 1)], customerComment="soon")
    await gql.data(UPDATE_ORDER, {"id": order["id"], "notes": "staff only"}, actors.admin.token)
    while (await outbox.dispatch(settings)).events:
        pass
    row = await EmailMessage.get()
    assert (row.subject, row.text, row.html) == ("", "", "")
    assert row.context is not None
    assert row.context["order"]["number"] == order["number"]
    assert "staff only" not in str(row.context)  # what a customer may see, nothing more
    (folder / "order_placed.subject").write_text("First {{ order.number }}")
    await emails.send_due(settings)  # rendered, then the attempt fails
    await row.refresh_from_db()
    assert (row.status, row.attempts, row.subject) == (
        DeliveryStatus.RETRYING,
        1,
        f"First {order['number']}",
    )
    assert row.context is None
    assert row.text.startswith(f"Thank you for your order #{order['number']}.")
    (folder / "order_placed.subject").write_text("Second {{ order.number }}")
    await emails.send_due(settings)
    await row.refresh_from_db()
    assert (row.attempts, row.subject) == (2, f"First {order['number']}")
