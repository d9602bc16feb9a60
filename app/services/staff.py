"""Staff accounts: who works in the back office, in which role, and whether they still do.

The one rule: the store always keeps an active ADMIN (only admins manage staff, so with
none left nobody could). Demoting or deactivating the last active admin is refused with
LAST_ADMIN, whoever asks, an admin acting on themself included; otherwise an admin may
step down or deactivate themself like anyone else. And nobody gives a role, or acts on a member
of staff whose role holds, a permission they lack themself: an integration token holding only
STAFF_MANAGE made an ADMIN with a password of its choosing (tokens cannot mint a wider token
either). Every change locks the active admins'
rows first, in id order, so two admins demoting each other at once cannot both pass.
"""

from __future__ import annotations

from app.models import ApiToken, Role, User, UserKind
from app.services import accounts
from app.services.auth import ROLE_PERMISSIONS, Permission, Viewer
from app.services.errors import DomainError, ErrorCode, not_found
from app.services.pagination import Page, PageRequest, paginate


async def list_staff(viewer: Viewer, page: PageRequest, active: bool | None = None) -> Page[User]:
    """Staff members, oldest first; with `active`, only those (not) deactivated."""
    viewer.require(Permission.STAFF_MANAGE)
    qs = User.filter(kind=UserKind.STAFF)
    if active is not None:
        qs = qs.filter(is_active=active)
    return await paginate(qs, page, "id")


async def add_staff(
    viewer: Viewer, email: str, password: str, role: Role, first: str = "", last: str = ""
) -> User:
    """A new member of staff who signs in with this email and password (argon2-hashed)."""
    viewer.require(Permission.STAFF_MANAGE)
    _may_grant(viewer, role)
    return await accounts.create_staff(viewer, email, password, role, first, last)


async def set_role(viewer: Viewer, user_id: int, role: Role) -> User:
    """Give a member of staff another role; it applies from their next request (tokens
    they issued are narrowed with it)."""
    viewer.require(Permission.STAFF_MANAGE)
    _may_grant(viewer, role)
    admins = await _lock_active_admins()
    user = await _staff(user_id)
    _may_grant(viewer, user.role, "id")
    if user.role is role:
        return user
    if role is not Role.ADMIN:
        _keep_an_admin(admins, user)
    await User.filter(id=user.id).update(role=role)
    user.role = role
    return user


async def deactivate(viewer: Viewer, user_id: int) -> User:
    """Stop a member of staff signing in: their sessions end at once and the tokens they
    issued sign nothing in while they are inactive."""
    viewer.require(Permission.STAFF_MANAGE)
    admins = await _lock_active_admins()
    user = await _staff(user_id)
    _may_grant(viewer, user.role, "id")
    if not user.is_active:
        return user
    _keep_an_admin(admins, user)
    await User.filter(id=user.id).update(is_active=False)
    # sign-in sessions are gone for good; integration tokens wake again on reactivation
    await ApiToken.filter(user_id=user.id, scopes__isnull=True).delete()
    user.is_active = False
    return user


async def reactivate(viewer: Viewer, user_id: int) -> User:
    """Let a deactivated member of staff sign in again (with their password)."""
    viewer.require(Permission.STAFF_MANAGE)
    user = await _staff(user_id)
    _may_grant(viewer, user.role, "id")
    if not user.is_active:
        await User.filter(id=user.id).update(is_active=True)
        user.is_active = True
    return user


def _may_grant(viewer: Viewer, role: Role | None, field: str = "role") -> None:
    """FORBIDDEN unless the viewer holds every permission of the role."""
    if role is not None and ROLE_PERMISSIONS[role] - viewer.permissions:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            f"Only someone holding every permission of the {role.value} role may give it, or "
            "change a member of staff who has it.",
            [field],
        )


async def _lock_active_admins() -> list[User]:
    return (
        await User.filter(kind=UserKind.STAFF, role=Role.ADMIN, is_active=True)
        .order_by("id")
        .select_for_update()
    )


def _keep_an_admin(admins: list[User], leaving: User) -> None:
    if all(admin.id == leaving.id for admin in admins):
        raise DomainError(
            ErrorCode.LAST_ADMIN,
            "The store needs an active admin: make someone else admin first.",
            ["id"],
        )


async def _staff(user_id: int) -> User:
    user = await User.filter(id=user_id, kind=UserKind.STAFF).select_for_update().first()
    if user is None:
        raise not_found("Staff member", ["id"])
    return user
