"""An existing database upgrades: data written under the first migration survives the rest."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
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
