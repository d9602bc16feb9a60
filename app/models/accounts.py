"""People and credentials: customers, staff and the tokens they act with."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class UserKind(StrEnum):
    CUSTOMER = "CUSTOMER"
    STAFF = "STAFF"


class Role(StrEnum):
    ADMIN = "ADMIN"
    FULFILLMENT = "FULFILLMENT"
    SUPPORT = "SUPPORT"


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    kind = fields.CharEnumField(UserKind, max_length=16)
    role = fields.CharEnumField(Role, max_length=16, null=True)
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"


class ApiToken(Model):
    # A bearer token; only its keyed hash is stored, the token itself is shown once.

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tokens", on_delete=fields.CASCADE, db_index=True
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=100, default="")
    # None: a login session acting with the user's own permissions.
    # A list: a staff-issued API token limited to those permissions.
    scopes = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    # When an integration token was last used, to a few minutes (services/auth.py).
    last_used_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "api_tokens"
