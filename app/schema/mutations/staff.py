"""Staff accounts: add, change role, deactivate and reactivate (STAFF_MANAGE)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from app.models import User
from app.schema.context import Info
from app.schema.errors import UserError, error_list
from app.schema.ids import from_global_id
from app.schema.inputs import CreateStaffUserInput
from app.schema.mutations.base import perform
from app.schema.types.accounts import Role, StaffUser
from app.services import staff


@strawberry.type
class StaffUserPayload:
    staff_user: StaffUser | None = None
    errors: list[UserError] = error_list()


async def _on_staff(
    info: Info, id: strawberry.ID, change: Callable[[int], Awaitable[User]]
) -> StaffUserPayload:
    async def act() -> User:
        return await change(from_global_id("User", id))

    user, errors = await perform(info, act)
    return StaffUserPayload(staff_user=StaffUser.build(user) if user else None, errors=errors)


@strawberry.type
class StaffMutations:
    @strawberry.mutation(description="Add a member of staff who signs in with this password.")
    async def create_staff_user(self, info: Info, input: CreateStaffUserInput) -> StaffUserPayload:
        viewer = info.context.viewer
        user, errors = await perform(
            info,
            lambda: staff.add_staff(
                viewer, input.email, input.password, input.role, input.first_name, input.last_name
            ),
        )
        return StaffUserPayload(staff_user=StaffUser.build(user) if user else None, errors=errors)

    @strawberry.mutation(
        description="Give a member of staff another role; the last active ADMIN keeps theirs "
        "(LAST_ADMIN)."
    )
    async def set_staff_role(self, info: Info, id: strawberry.ID, role: Role) -> StaffUserPayload:
        viewer = info.context.viewer
        return await _on_staff(info, id, lambda pk: staff.set_role(viewer, pk, role))

    @strawberry.mutation(
        description="Stop a member of staff signing in (their sessions end at once); the last "
        "active ADMIN cannot be (LAST_ADMIN)."
    )
    async def deactivate_staff_user(self, info: Info, id: strawberry.ID) -> StaffUserPayload:
        viewer = info.context.viewer
        return await _on_staff(info, id, lambda pk: staff.deactivate(viewer, pk))

    @strawberry.mutation(description="Let a deactivated member of staff sign in again.")
    async def reactivate_staff_user(self, info: Info, id: strawberry.ID) -> StaffUserPayload:
        viewer = info.context.viewer
        return await _on_staff(info, id, lambda pk: staff.reactivate(viewer, pk))
