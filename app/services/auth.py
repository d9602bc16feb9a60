"""Who is acting: viewers, permissions, roles, passwords and tokens."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.db import db_column, python_value
from app.models import ApiToken, Role, User, UserKind
from app.models.imports import WorkerJob
from app.services.errors import DomainError, ErrorCode


class Permission(StrEnum):
    ORDERS_READ = "ORDERS_READ"
    ORDERS_WRITE = "ORDERS_WRITE"
    SHIPMENTS_WRITE = "SHIPMENTS_WRITE"
    RETURNS_WRITE = "RETURNS_WRITE"
    REFUNDS_WRITE = "REFUNDS_WRITE"
    IMPORTS_WRITE = "IMPORTS_WRITE"
    DOCUMENTS_WRITE = "DOCUMENTS_WRITE"
    STAFF_MANAGE = "STAFF_MANAGE"
    PAYMENTS_WRITE = "PAYMENTS_WRITE"
    SETTINGS_WRITE = "SETTINGS_WRITE"
    WEBHOOKS_MANAGE = "WEBHOOKS_MANAGE"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.FULFILLMENT: frozenset(
        {
            Permission.ORDERS_READ,
            Permission.SHIPMENTS_WRITE,
            Permission.IMPORTS_WRITE,
            Permission.DOCUMENTS_WRITE,
        }
    ),
    Role.SUPPORT: frozenset(
        {
            Permission.ORDERS_READ,
            Permission.ORDERS_WRITE,
            Permission.RETURNS_WRITE,
            Permission.DOCUMENTS_WRITE,
            Permission.PAYMENTS_WRITE,
        }
    ),
}


@dataclass(frozen=True)
class Viewer:
    """The actor of one request or job, decided once from its token."""

    user_id: int | None = None
    kind: UserKind | None = None
    email: str = ""
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    token_name: str = ""
    # the token row this request came with, so that logout can revoke it
    token_id: int | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.kind is None

    @property
    def is_customer(self) -> bool:
        return self.kind is UserKind.CUSTOMER

    @property
    def is_staff(self) -> bool:
        return self.kind is UserKind.STAFF

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def label(self) -> str:
        """How the actor appears in event logs."""
        if self.is_anonymous:
            return "guest"
        if self.token_name:
            return f"{self.email} (token {self.token_name})"
        return self.email

    def require_user(self) -> None:
        if self.is_anonymous:
            raise DomainError(ErrorCode.UNAUTHENTICATED, "Sign in to do this.")

    def require_any(self, *permissions: Permission) -> None:
        """Refuse unless the viewer holds at least one of the permissions."""
        self.require_user()
        if not any(p in self.permissions for p in permissions):
            raise DomainError(
                ErrorCode.FORBIDDEN,
                "This needs one of " + ", ".join(p.value for p in permissions) + ".",
            )

    def require(self, permission: Permission) -> None:
        self.require_user()
        if permission not in self.permissions:
            raise DomainError(ErrorCode.FORBIDDEN, f"This needs the {permission} permission.")


def acting_as(job: WorkerJob) -> Viewer:
    """Who a worker acts as for a job a staff member started: their label and permissions
    as they were when they asked."""
    return Viewer(
        user_id=job.created_by_id,
        kind=UserKind.STAFF,
        email=job.acting_label,
        permissions=frozenset(Permission(p) for p in job.acting_permissions),
    )


ANONYMOUS = Viewer()
SYSTEM = Viewer(
    user_id=None, kind=UserKind.STAFF, email="system", permissions=frozenset(Permission)
)


def _password_hasher() -> PasswordHasher:
    """argon2id at argon2-cffi's defaults (RFC 9106's low-memory profile). The test run
    lowers its cost (BITCART_ARGON2_TIME_COST, BITCART_ARGON2_MEMORY_KIB: tests/conftest.py),
    as what it checks is that passwords are hashed and verified, not what that costs;
    never set them in production. A hash records its own cost, so either verifies."""
    base = PasswordHasher()
    time_cost = os.environ.get("BITCART_ARGON2_TIME_COST")
    memory_kib = os.environ.get("BITCART_ARGON2_MEMORY_KIB")
    if time_cost is None and memory_kib is None:
        return base
    return PasswordHasher(
        time_cost=int(time_cost or base.time_cost),
        memory_cost=int(memory_kib or base.memory_cost),
        parallelism=1,
    )


_hasher = _password_hasher()
# Verified against when the email is unknown, so a miss costs as long as a hit; made on the
# first miss, not at import (a fifth of a second of CPU in every process that starts).
_dummy_hashes: list[str] = []
TOKEN_PREFIX = "bco_"
SESSION_LIFETIME = timedelta(days=30)


async def hash_password(password: str) -> str:
    """argon2id hash, computed off the event loop."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def hash_token(token: str, secret_key: str) -> str:
    """Tokens are 256 random bits, so a keyed SHA-256 is enough (no slow hash needed)."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def viewer_for(
    user: User, scopes: list[str] | None = None, token_name: str = "", token_id: int | None = None
) -> Viewer:
    return _viewer(user.id, user.kind, user.role, user.email, scopes, token_name, token_id)


def _viewer(
    user_id: int,
    kind: UserKind,
    role: Role | None,
    email: str,
    scopes: list[str] | None,
    token_name: str,
    token_id: int | None,
) -> Viewer:
    if kind is UserKind.STAFF and role is not None:
        permissions = ROLE_PERMISSIONS[role]
        if scopes is not None:
            permissions = permissions & frozenset(Permission(s) for s in scopes)
    else:
        permissions = frozenset()
    return Viewer(
        user_id=user_id,
        kind=kind,
        email=email,
        permissions=permissions,
        token_name=token_name,
        token_id=token_id,
    )


async def issue_token(
    user: User,
    secret_key: str,
    *,
    name: str = "",
    scopes: list[str] | None = None,
    lifetime: timedelta | None = SESSION_LIFETIME,
    expires_at: datetime | None = None,
) -> str:
    """Create a token for the user; the plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await ApiToken.create(
        user=user,
        token_hash=hash_token(token, secret_key),
        name=name,
        scopes=scopes,
        expires_at=expires_at or (datetime.now(UTC) + lifetime if lifetime else None),
    )
    return token


async def viewer_from_token(token: str | None, secret_key: str) -> Viewer:
    """One statement: the token row with its user (every request asks it, so it is
    written out rather than built by the ORM each time)."""
    if not token:
        return ANONYMOUS
    found = await _token_with_user(hash_token(token, secret_key))
    if found is None:
        return ANONYMOUS
    token_id, name, scopes, expires_at, last_used_at, user_id, kind, role, email, is_active = found
    if not is_active:
        return ANONYMOUS
    now = datetime.now(UTC)
    if expires_at is not None and expires_at <= now:
        return ANONYMOUS
    if scopes is not None and (last_used_at is None or now - last_used_at >= LAST_USE_EVERY):
        # an integration token's last use, for the staff who list tokens: written at most
        # once per LAST_USE_EVERY, so a busy integration costs no write per request
        await ApiToken.filter(id=token_id).update(last_used_at=now)
    return _viewer(user_id, kind, role, email, scopes, name if scopes is not None else "", token_id)


_TOKEN_FIELDS = ("id", "name", "scopes", "expires_at", "last_used_at")
# how stale an integration token's last_used_at may be
LAST_USE_EVERY = timedelta(minutes=5)
_USER_FIELDS = ("id", "kind", "role", "email", "is_active")


async def _token_with_user(token_hash: str) -> list[Any] | None:
    db = ApiToken._meta.db
    sql, converters = _token_statement(db.executor_class.__name__)
    _, rows = await db.execute_query(sql, [token_hash])
    if not rows:
        return None
    return [v if c is None else c(v) for c, v in zip(converters, rows[0], strict=True)]


@cache
def _token_statement(executor: str) -> tuple[str, list[Callable[[Any], Any] | None]]:
    """The token-and-user SELECT and how each value is converted: the driver's own."""
    mark = "$1" if ApiToken._meta.db.capabilities.dialect == "postgres" else "?"
    picked = [f't."{db_column(ApiToken, f)}"' for f in _TOKEN_FIELDS]
    picked += [f'u."{db_column(User, f)}"' for f in _USER_FIELDS]
    sql = (
        f'SELECT {", ".join(picked)} FROM "{ApiToken._meta.db_table}" t '  # noqa: S608 - names only
        f'JOIN "{User._meta.db_table}" u ON u."id" = t."{db_column(ApiToken, "user_id")}" '
        f'WHERE t."{db_column(ApiToken, "token_hash")}" = {mark} LIMIT 1'
    )
    converters = [python_value(ApiToken, f) for f in _TOKEN_FIELDS]
    converters += [python_value(User, f) for f in _USER_FIELDS]
    return sql, converters


async def login(email: str, password: str, secret_key: str) -> str:
    """Exchange credentials for a session token (the caller limits attempts per client)."""
    user = await User.get_or_none(email=normalise_email(email))
    ok = await verify_password(user.password_hash if user else await _dummy_hash(), password)
    if user is None or not ok or not user.is_active:
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, "Wrong email or password.")
    return await issue_token(user, secret_key, name="login")


async def _dummy_hash() -> str:
    if not _dummy_hashes:
        _dummy_hashes.append(await hash_password(secrets.token_urlsafe(16)))
    return _dummy_hashes[0]


def normalise_email(email: str) -> str:
    return email.strip().lower()
