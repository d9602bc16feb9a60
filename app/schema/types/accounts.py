"""The signed-in user and the customer an order belongs to."""

from __future__ import annotations

import strawberry

from app.models import Role as RoleModel
from app.models import User as UserModel
from app.models import UserKind as UserKindModel
from app.schema.cost import most
from app.schema.ids import to_global_id
from app.services.auth import Permission as PermissionModel
from app.services.auth import Viewer

strawberry.enum(RoleModel, name="Role")
strawberry.enum(UserKindModel, name="UserKind")
strawberry.enum(PermissionModel, name="Permission")
Role = RoleModel
UserKind = UserKindModel
Permission = PermissionModel


@strawberry.type
class Me:
    id: strawberry.ID
    email: str
    kind: UserKind
    role: Role | None
    first_name: str
    last_name: str
    permissions: list[Permission] = strawberry.field(directives=[most(len(PermissionModel))])

    @classmethod
    def build(cls, user: UserModel, viewer: Viewer) -> Me:
        return cls(
            id=to_global_id("User", user.id),
            email=user.email,
            kind=user.kind,
            role=user.role,
            first_name=user.first_name,
            last_name=user.last_name,
            permissions=sorted(viewer.permissions),
        )


@strawberry.type
class Customer:
    id: strawberry.ID
    email: str
    first_name: str
    last_name: str

    @classmethod
    def build(cls, user: UserModel) -> Customer:
        return cls(
            id=to_global_id("User", user.id),
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
        )
