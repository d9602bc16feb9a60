"""Pooled PostgreSQL connections go back to the pool without asyncpg's reset statement
(app/asyncpg_client.py, `keep_session`): so the app must leave no session state behind,
and these tests keep it so."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from tortoise import connections

from app.asyncpg_client import keep_session
from app.db import is_postgres
from tests.conftest import Actors, GraphQLClient
from tests.factories import create_product, placed

APP = Path(__file__).resolve().parent.parent / "app"
# what the default reset undid: session settings, session advisory locks, listeners and
# cursors that outlive their transaction
SESSION_STATE = ("PG_ADVISORY_LOCK(", "PG_TRY_ADVISORY_LOCK(", "LISTEN ", "WITH HOLD")


def sql_texts() -> list[tuple[str, str]]:
    """Every string in app/ but docstrings and comments: what could be sent as SQL."""
    found = []
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text())
        prose = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if id(node) not in prose:
                found.append((str(path.relative_to(APP)), node.value))
    return found


def test_no_statement_leaves_session_state() -> None:
    """A setting is SET LOCAL, an advisory lock ends with its transaction (_xact), and
    nothing LISTENs or holds a cursor: a connection is given back as it was taken."""
    kept = []
    for where, text in sql_texts():
        # the app writes SQL's keywords in capitals; a message says "Set …"
        if re.match(r"\s*SET\s+(?!LOCAL\b)", text):
            kept.append((where, text))
        upper = " ".join(text.upper().split())
        kept += [(where, text) for marker in SESSION_STATE if marker in upper]
    assert kept == []


async def test_a_checkout_leaves_no_lock_or_open_transaction_behind(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Orders placed (which take the buyer's advisory locks on PostgreSQL): afterwards no
    connection of this database holds an advisory lock or idles inside a transaction."""
    if not is_postgres():
        pytest.skip("pooled asyncpg connections are PostgreSQL's")
    assert connections.get("default")._pool._reset is keep_session
    await create_product(gql, actors.admin.token, "P", stock=10)
    for _ in range(3):
        await placed(gql, actors.customer.token, [("P", 1)])
        await placed(gql, None, [("P", 1)])
    conn = connections.get("default")
    locks = await conn.execute_query_dict(
        "SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND a.datname = current_database()"
    )
    idle = await conn.execute_query_dict(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
        "AND state LIKE 'idle in transaction%'"
    )
    assert (locks[0]["n"], idle[0]["n"]) == (0, 0)
