"""Global ids: an opaque `Type:pk` in base64, so clients never build ids themselves."""

from __future__ import annotations

import base64
import binascii

import strawberry

from app.db import fits_id
from app.global_ids import encode
from app.services.errors import DomainError, ErrorCode, not_found


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(encode(type_name, pk))


def from_global_id(type_name: str, global_id: str, field: str = "id") -> int:
    """The primary key, or INVALID_INPUT when the id is not one of `type_name`; one no row
    can have (past the id column) is NOT_FOUND, as an unknown one is."""
    try:
        kind, _, raw = base64.urlsafe_b64decode(global_id.encode()).decode().partition(":")
        pk = int(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Not a valid {type_name} id.", [field]) from exc
    if kind != type_name:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Not a valid {type_name} id.", [field])
    if not fits_id(pk):
        raise not_found(type_name, [field])
    return pk
