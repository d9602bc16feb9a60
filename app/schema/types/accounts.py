"""The signed-in user and the customer an order belongs to."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.models import ApiToken as ApiTokenModel
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


@strawberry.type(description="An integration token (the token itself is shown only once).")
class ApiToken:
    id: strawberry.ID
    name: str
    permissions: list[Permission] = strawberry.field(directives=[most(len(PermissionModel))])
    issued_by: str = strawberry.field(description="The staff member it acts for.")
    created_at: datetime
    expires_at: datetime | None

    @classmethod
    def build(cls, token: ApiTokenModel) -> ApiToken:
        return cls(
            id=to_global_id("ApiToken", token.id),
            name=token.name,
            permissions=sorted(PermissionModel(p) for p in token.scopes or ()),
            issued_by=token.user.email,
            created_at=token.created_at,
            expires_at=token.expires_at,
        )
