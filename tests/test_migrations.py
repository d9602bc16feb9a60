"""An existing database upgrades: data written under the first migration survives the rest."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from tests.processes import cli_env

UPGRADE = """
import asyncio, sys
from tortoise import Tortoise
from tortoise.migrations.api import migrate
from app.db import tortoise_config
from app.settings import load_settings

async def main(target):
    try:
        await migrate(config=tortoise_config(load_settings()), target=target or None)
    finally:
        await Tortoise.close_connections()

asyncio.run(main(sys.argv[1]))
"""


def step(data_dir: Path, target: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", UPGRADE, target],
        env=cli_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_first_schema_upgrades_with_its_data(tmp_path: Path) -> None:
    step(tmp_path, "models.0001_initial")
    db = tmp_path / "bitcart.sqlite3"
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "orders" in tables
        assert "shipments" not in tables
        conn.execute(
            "INSERT INTO orders (number, version, status, email, billing_address, shipping_address,"
            " search_text, shipping_method, currency, subtotal, shipping_cost, tax_total, total,"
            " payment_method, payment_provider, payment_transaction_id, payment_status,"
            " amount_paid, amount_refunded, customer_comment, staff_notes, tracking_number,"
            " carrier, stock_released, created_at, updated_at) VALUES (100, 1, 'PENDING',"
            " 'old@example.com', '{}', '{}', '', '', 'USD', 1, 0, 0, 1, '', '', '', 'PENDING',"
            " 0, 0, 'keep me', '', '', '', 0, '2024-01-01T00:00:00+00:00',"
            " '2024-01-01T00:00:00+00:00')"
        )
    step(tmp_path, "")
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"shipments", "shipment_items"} <= tables
        rows = conn.execute("SELECT number, customer_comment FROM orders").fetchall()
        assert rows == [(100, "keep me")]


PENDING = """
import asyncio
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector
from app.db import tortoise_config
from app.settings import load_settings

async def main():
    config = tortoise_config(load_settings())
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
        print(len(writers))

asyncio.run(main())
"""


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    """A model change without its migration fails here (makemigrations would write one)."""
    done = subprocess.run(
        [sys.executable, "-c", PENDING],
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"


def test_indexes_survive_the_migrations(tmp_path: Path) -> None:
    """Every lookup column keeps its index after all migrations (relations are batch-loaded
    by these columns)."""
    step(tmp_path, "")
    with sqlite3.connect(tmp_path / "bitcart.sqlite3") as conn:
        indexed = {
            (table, column)
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            for (index,) in [(row[1],) for row in conn.execute(f'PRAGMA index_list("{table}")')]
            for (_, _, column) in conn.execute(f'PRAGMA index_info("{index}")')
        }
    for needed in [
        ("orders", "status"),
        ("orders", "tracking_number"),
        ("orders", "customer_id"),
        ("order_items", "order_id"),
        ("order_events", "order_id"),
        ("shipments", "order_id"),
        ("shipment_items", "shipment_id"),
        ("returns", "order_id"),
        ("refunds", "order_id"),
        ("document_orders", "order_id"),
        ("tracking_import_rows", "tracking_import_id"),
    ]:
        assert needed in indexed, needed


ORDER_COLUMNS = (
    "id, number, version, status, email, billing_address, shipping_address, search_text,"
    " shipping_method, currency, subtotal, shipping_cost, tax_total, total, payment_method,"
    " payment_provider, payment_transaction_id, payment_status, amount_paid, amount_refunded,"
    " customer_comment, staff_notes, tracking_number, carrier, stock_released, created_at,"
    " updated_at"
)


def old_order(
    number: int, total: str, status: str, paid: str, refunded: str, reference: str
) -> tuple[object, ...]:
    stamp = "2024-01-01 00:00:00+00:00"
    return (
        number - 99, number, 1, "AWAITING_FULFILLMENT", f"{number}@example.com", "{}", "{}",
        "", "Standard", "USD", total, "0.00", "0.00", total, "card", "stripe", reference,
        status, paid, refunded, "", "", "", "", 0, stamp, stamp,
    )  # fmt: skip


def test_payments_carry_over_as_transactions(tmp_path: Path) -> None:
    """Orders of the first release keep their payment record: as transactions whose sums
    are the amounts, with the payment status derived again."""
    step(tmp_path, "models.0003_worker_leases")
    db = tmp_path / "bitcart.sqlite3"
    with sqlite3.connect(db) as conn:
        marks = ", ".join("?" * 27)
        conn.executemany(
            f"INSERT INTO orders ({ORDER_COLUMNS}) VALUES ({marks})",
            [
                old_order(100, "60.00", "PARTIALLY_REFUNDED", "60.00", "15.00", "ch_100"),
                old_order(101, "30.00", "AUTHORIZED", "0.00", "0.00", "pi_101"),
                old_order(102, "20.00", "PENDING", "0.00", "0.00", ""),
                # the old API let a buyer declare any amount and id, twice over
                old_order(103, "77.20", "PAID", "76.20", "0.00", "made_up"),
                old_order(104, "10.00", "PAID", "10.00", "0.00", "made_up"),
            ],
        )
        conn.execute(
            "INSERT INTO refunds (order_id, amount, currency, reason, items, restocked,"
            " created_by_id, created_by, created_at) VALUES (1, '15.00', 'USD', 'late', '[]',"
            " 0, NULL, 'admin@example.com', '2024-01-02 00:00:00+00:00')"
        )
    step(tmp_path, "")
    with sqlite3.connect(db) as conn:
        moves = conn.execute(
            "SELECT o.number, t.kind, t.amount, t.provider, t.reference, t.actor"
            " FROM payment_transactions t JOIN orders o ON o.id = t.order_id ORDER BY t.id"
        ).fetchall()
        summary = conn.execute(
            "SELECT number, payment_status, amount_authorized, amount_paid, amount_refunded"
            " FROM orders ORDER BY number"
        ).fetchall()
        methods = conn.execute("SELECT code, name, price, active FROM shipping_methods").fetchall()
    assert sorted(moves) == sorted(
        [
            (101, "AUTHORIZATION", "30.00", "stripe", "pi_101", "system"),
            (100, "CAPTURE", "60.00", "stripe", "ch_100", "system"),
            (103, "CAPTURE", "76.20", "stripe", None, "system"),
            (104, "CAPTURE", "10.00", "stripe", None, "system"),
            (100, "REFUND", "15.00", "stripe", None, "admin@example.com"),
        ]
    )
    assert [(n, s, Decimal(a), Decimal(p), Decimal(r)) for n, s, a, p, r in summary] == [
        (100, "PARTIALLY_REFUNDED", 0, Decimal("60.00"), Decimal("15.00")),
        (101, "AUTHORIZED", Decimal("30.00"), 0, 0),
        (102, "PENDING", 0, 0, 0),
        (103, "PARTIALLY_PAID", 0, Decimal("76.20"), 0),
        (104, "PAID", 0, Decimal("10.00"), 0),
    ]
    assert methods == [("standard", "Standard", "0.00", 1)]


def test_refund_requests_and_their_columns_upgrade_a_live_database(tmp_path: Path) -> None:
    """A store on 0008 keeps its products on sale, its orders owing no pending refund, its
    documents printing per order and its exports without a byte-order mark."""
    step(tmp_path, "models.0008_search_indexes")
    db = tmp_path / "bitcart.sqlite3"
    stamp = "2024-01-01 00:00:00+00:00"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO products (sku, name, price, stock, created_at) VALUES"
            " ('TEE', 'Tee', '10.00', 3, ?)",
            (stamp,),
        )
        marks = ", ".join("?" * 27)
        conn.execute(
            f"INSERT INTO orders ({ORDER_COLUMNS}) VALUES ({marks})",
            old_order(100, "10.00", "PAID", "10.00", "0.00", "ch_1"),
        )
        conn.execute(
            "INSERT INTO documents (kind, status, order_ids, checksum, storage_key, error,"
            " created_at) VALUES ('INVOICE', 'READY', '[1]', 'x', 'documents/1.pdf', '', ?)",
            (stamp,),
        )
    step(tmp_path, "")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT sku, active FROM products").fetchall() == [("TEE", 1)]
        assert conn.execute("SELECT number, amount_refund_requested FROM orders").fetchall() == [
            (100, "0.00")
        ]
        assert conn.execute("SELECT shipment_ids FROM documents").fetchall() == [(None,)]
        columns = {row[1] for row in conn.execute('PRAGMA table_info("exports")')}
        assert "byte_order_mark" in columns
        indexed = {
            column
            for (index,) in [(r[1],) for r in conn.execute('PRAGMA index_list("refund_requests")')]
            for (_, _, column) in conn.execute(f'PRAGMA index_info("{index}")')
        }
        assert {"order_id", "return_request_id"} <= indexed
