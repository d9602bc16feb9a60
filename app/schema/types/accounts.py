"""The signed-in user and the customer an order belongs to."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app import read_model
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
        return cls(**read_model.CUSTOMER.values(user))


@strawberry.type(description="An integration token (the token itself is shown only once).")
class ApiToken:
    id: strawberry.ID
    name: str
    permissions: list[Permission] = strawberry.field(directives=[most(len(PermissionModel))])
    issued_by: str = strawberry.field(description="The staff member it acts for.")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = strawberry.field(
        description="When it last signed a request in, to within five minutes; null if never."
    )

    @classmethod
    def build(cls, token: ApiTokenModel) -> ApiToken:
        return cls(
            id=to_global_id("ApiToken", token.id),
            name=token.name,
            permissions=sorted(PermissionModel(p) for p in token.scopes or ()),
            issued_by=token.user.email,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
        )


@strawberry.type(description="A member of staff (STAFF_MANAGE).")
class StaffUser:
    id: strawberry.ID
    email: str
    role: Role
    first_name: str
    last_name: str
    active: bool = strawberry.field(description="False: deactivated, signs in no more.")
    created_at: datetime

    @classmethod
    def build(cls, user: UserModel) -> StaffUser:
        assert user.role is not None  # staff always have a role
        return cls(
            id=to_global_id("User", user.id),
            email=user.email,
            role=user.role,
            first_name=user.first_name,
            last_name=user.last_name,
            active=user.is_active,
            created_at=user.created_at,
        )
