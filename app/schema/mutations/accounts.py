"""Sign-in, sign-up and API tokens."""

from __future__ import annotations

import strawberry

from app.schema.context import Info
from app.schema.errors import UserError, error_list
from app.schema.ids import from_global_id
from app.schema.inputs import CreateApiTokenInput, RegisterCustomerInput
from app.schema.mutations.base import perform
from app.services import accounts, auth


@strawberry.type
class TokenPayload:
    token: str | None = None
    errors: list[UserError] = error_list()


@strawberry.type
class LogoutPayload:
    revoked: bool = False
    errors: list[UserError] = error_list()


@strawberry.type
class RevokeApiTokenPayload:
    revoked_token_id: strawberry.ID | None = None
    errors: list[UserError] = error_list()


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Exchange email and password for a bearer token.")
    async def login(self, info: Info, email: str, password: str) -> TokenPayload:
        context = info.context

        async def sign_in() -> str:
            await context.throttle("login", context.settings.login_rate_limit, 60)
            return await auth.login(email, password, context.settings.secret_key)

        token, errors = await perform(info, sign_in)
        return TokenPayload(token=token, errors=errors)

    @strawberry.mutation(description="Open a customer account; returns a signed-in token.")
    async def register_customer(self, info: Info, input: RegisterCustomerInput) -> TokenPayload:
        context = info.context
        key = context.settings.secret_key

        async def register() -> str:
            await context.throttle("register", context.settings.register_rate_limit, 3600)
            _, token = await accounts.register_customer(
                input.email, input.password, input.first_name, input.last_name, key
            )
            return token

        token, errors = await perform(info, register)
        return TokenPayload(token=token, errors=errors)

    @strawberry.mutation(
        description="Issue a token limited to some permissions (STAFF_MANAGE). Shown once."
    )
    async def create_api_token(self, info: Info, input: CreateApiTokenInput) -> TokenPayload:
        viewer, key = info.context.viewer, info.context.settings.secret_key
        permissions = list(input.permissions)
        token, errors = await perform(
            info,
            lambda: accounts.create_api_token(
                viewer, input.name, permissions, key, input.expires_at
            ),
        )
        return TokenPayload(token=token, errors=errors)

    @strawberry.mutation(description="Revoke the token this request is sent with.")
    async def logout(self, info: Info) -> LogoutPayload:
        viewer = info.context.viewer
        revoked, errors = await perform(info, lambda: accounts.logout(viewer))
        return LogoutPayload(revoked=bool(revoked), errors=errors)

    @strawberry.mutation(description="Take an integration token back (STAFF_MANAGE).")
    async def revoke_api_token(self, info: Info, id: strawberry.ID) -> RevokeApiTokenPayload:
        viewer = info.context.viewer

        async def revoke() -> int:
            return await accounts.revoke_api_token(viewer, from_global_id("ApiToken", id))

        revoked, errors = await perform(info, revoke)
        return RevokeApiTokenPayload(
            revoked_token_id=id if revoked is not None else None, errors=errors
        )
