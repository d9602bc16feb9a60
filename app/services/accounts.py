"""Customer sign-up, staff accounts and API tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from app.models import ApiToken, Role, User, UserKind
from app.services.auth import (
    ROLE_PERMISSIONS,
    Permission,
    Viewer,
    hash_password,
    issue_token,
    normalise_email,
)
from app.services.errors import DomainError, ErrorCode, Problems, not_found
from app.services.pagination import Page, PageRequest, paginate

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256


def check_email(problems: Problems, field: list[str], email: str) -> str:
    email = normalise_email(email)
    if len(email) > 254 or not EMAIL_RE.match(email):
        problems.add(field, "Enter a valid email address.")
    return email


def _check_password(problems: Problems, password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        problems.add(["password"], f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters.")


async def _create_user(
    email: str, password: str, kind: UserKind, role: Role | None, first: str, last: str
) -> User:
    problems = Problems()
    email = check_email(problems, ["email"], email)
    _check_password(problems, password)
    for name, value in (("firstName", first), ("lastName", last)):
        if len(value) > 100:
            problems.add([name], "At most 100 characters.")
    problems.raise_if_any()
    if await User.exists(email=email):
        raise DomainError(ErrorCode.EMAIL_TAKEN, "An account with this email exists.", ["email"])
    try:
        return await User.create(
            email=email,
            password_hash=await hash_password(password),
            kind=kind,
            role=role,
            first_name=first.strip(),
            last_name=last.strip(),
        )
    except IntegrityError as exc:  # a concurrent sign-up with the same email
        raise DomainError(
            ErrorCode.EMAIL_TAKEN, "An account with this email exists.", ["email"]
        ) from exc


async def register_customer(
    email: str, password: str, first_name: str, last_name: str, secret_key: str
) -> tuple[User, str]:
    """Open a customer account and sign it in."""
    user = await _create_user(email, password, UserKind.CUSTOMER, None, first_name, last_name)
    return user, await issue_token(user, secret_key, name="login")


async def create_staff(
    viewer: Viewer, email: str, password: str, role: Role, first: str = "", last: str = ""
) -> User:
    """Add a staff member (STAFF_MANAGE)."""
    viewer.require(Permission.STAFF_MANAGE)
    return await _create_user(email, password, UserKind.STAFF, role, first, last)


async def create_api_token(
    viewer: Viewer,
    name: str,
    permissions: list[Permission],
    secret_key: str,
    expires_at: datetime | None = None,
) -> str:
    """A scoped token for an integration; it can never hold more than its issuer has."""
    viewer.require(Permission.STAFF_MANAGE)
    problems = Problems()
    if not name.strip() or len(name) > 100:
        problems.add(["name"], "Give the token a name of 1 to 100 characters.")
    if not permissions:
        problems.add(["permissions"], "Choose at least one permission.")
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= datetime.now(UTC)):
        problems.add(["expiresAt"], "A moment in the future, with its time zone.")
    problems.raise_if_any()
    missing = set(permissions) - viewer.permissions
    if missing:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "A token cannot have permissions its issuer lacks.",
            ["permissions"],
        )
    assert viewer.user_id is not None
    user = await User.get(id=viewer.user_id)
    if user.role is None or not set(permissions) <= ROLE_PERMISSIONS[user.role]:
        raise DomainError(ErrorCode.FORBIDDEN, "Only staff can issue tokens.")
    return await issue_token(
        user,
        secret_key,
        name=name.strip(),
        scopes=sorted(p.value for p in permissions),
        lifetime=None,
        expires_at=expires_at,
    )


def api_tokens() -> QuerySet[ApiToken]:
    """Integration tokens: those issued with scopes (sign-in sessions have none)."""
    return ApiToken.filter(scopes__isnull=False)


async def list_api_tokens(viewer: Viewer, page: PageRequest) -> Page[ApiToken]:
    """Integration tokens, newest first (never the tokens themselves: only their hashes
    are kept)."""
    viewer.require(Permission.STAFF_MANAGE)
    return await paginate(api_tokens().select_related("user"), page, "id", descending=True)


async def revoke_api_token(viewer: Viewer, token_id: int) -> int:
    """Take an integration token back; it is anonymous from the next request, on every
    process (each request looks its token up)."""
    viewer.require(Permission.STAFF_MANAGE)
    if not await api_tokens().filter(id=token_id).delete():
        raise not_found("API token", ["id"])
    return token_id


async def logout(viewer: Viewer) -> bool:
    """Revoke the token this request came with."""
    viewer.require_user()
    if viewer.token_id is None:
        return False
    return bool(await ApiToken.filter(id=viewer.token_id).delete())


async def current_user(viewer: Viewer) -> User | None:
    """The signed-in user, or None for a guest."""
    if viewer.user_id is None:
        return None
    return await User.get_or_none(id=viewer.user_id)
