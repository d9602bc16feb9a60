"""Searching orders by number, email, names and tracking numbers (staff also in notes).

On PostgreSQL the matches are found first, in one statement whose every branch a trigram
index answers (pg_trgm, migration 0008), so a search costs about the same at a million
orders as at ten thousand; the page is then read from those ids. A term matching more than
MATCHES_AT_MOST orders is no longer a search but a scan, and takes the general path.
"""

from __future__ import annotations

from tortoise import connections
from tortoise.expressions import Q, Subquery

from app.db import is_postgres
from app.models import Shipment
from app.services.auth import Viewer

MAX_SEARCH = 100
MATCHES_AT_MOST = 10_000


def order_number_in(term: str) -> int | None:
    """The order number a search term names ("123" or "#123"), if it names one."""
    digits = term.strip().lstrip("#")
    # ASCII only: "²" is a digit to isdigit and not a number to int
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 10 else None


def condition(viewer: Viewer, term: str, matched: list[int] | None = None) -> Q:
    """The search as a filter: over the ids found beforehand (`matches`), or over the
    columns themselves (SQLite, and terms that match too much)."""
    term = term.strip()[:MAX_SEARCH]
    number = order_number_in(term)
    if matched is not None:
        found = Q(id__in=matched)
        return found | Q(number=number) if number is not None else found
    lowered = term.lower()
    tracking = term.replace(" ", "").upper()
    shipped = Shipment.filter(tracking_number__icontains=tracking)
    found = (
        Q(email__icontains=lowered)
        | Q(search_text__icontains=lowered)
        | Q(tracking_number__icontains=tracking)
        | Q(id__in=Subquery(shipped.values("order_id")))
    )
    if number is not None:
        found |= Q(number=number)
    # R1: only staff search their own notes; a customer's search never touches them.
    if viewer.is_staff:
        found |= Q(staff_notes__icontains=term)
    return found


def _pattern(text: str) -> str:
    """`text` anywhere, for LIKE (its own %, _ and \\ taken literally)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# $1: the term lower-cased (emails and search_text are kept lower-case), $2: upper-cased
# without spaces (tracking numbers are kept so), $3: as given (staff notes, any case) or the
# customer, $4: how many rows at most. LIKE where the column's case is known: cheaper than
# ILIKE, and the trigram indexes answer both.
_STAFF_MATCHES = """
SELECT id FROM orders WHERE email LIKE $1 OR search_text LIKE $1 OR tracking_number LIKE $2
  OR staff_notes ILIKE $3
UNION SELECT order_id FROM shipments WHERE tracking_number LIKE $2
LIMIT $4"""
_CUSTOMER_MATCHES = """
SELECT id FROM orders WHERE customer_id = $3
  AND (email LIKE $1 OR search_text LIKE $1 OR tracking_number LIKE $2)
UNION SELECT s.order_id FROM shipments s JOIN orders o ON o.id = s.order_id
  WHERE o.customer_id = $3 AND s.tracking_number LIKE $2
LIMIT $4"""


async def matches(viewer: Viewer, term: str) -> list[int] | None:
    """The ids of the viewer's orders the term finds (number matches aside), or None when
    this database or this term is better searched column by column."""
    term = term.strip()[:MAX_SEARCH]
    if not is_postgres() or not term:
        return None
    lowered, tracking = _pattern(term.lower()), _pattern(term.replace(" ", "").upper())
    third: object
    if viewer.is_staff:  # R1, as in `condition`: only staff search the staff's notes
        sql, third = _STAFF_MATCHES, _pattern(term)
    else:
        sql, third = _CUSTOMER_MATCHES, viewer.user_id
    rows = await connections.get("default").execute_query_dict(
        sql, [lowered, tracking, third, MATCHES_AT_MOST + 1]
    )
    if len(rows) > MATCHES_AT_MOST:
        return None
    return [row["id"] for row in rows]
