"""Global ids: an opaque `Type:pk` in base64, so clients never build ids themselves."""

from __future__ import annotations

import base64
import binascii

import strawberry

from app.db import MAX_ID
from app.global_ids import encode
from app.services.errors import DomainError, ErrorCode


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(encode(type_name, pk))


def from_global_id(type_name: str, global_id: str, field: str = "id") -> int:
    """The primary key, or INVALID_INPUT when the id is not one of `type_name`."""
    try:
        kind, _, raw = base64.urlsafe_b64decode(global_id.encode()).decode().partition(":")
        pk = int(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Not a valid {type_name} id.", [field]) from exc
    if kind != type_name or not 0 < pk <= MAX_ID:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Not a valid {type_name} id.", [field])
    return pk
