"""Webhooks (WEBHOOKS_MANAGE): point the store's events at another system."""

from __future__ import annotations

import strawberry

from app.models import Webhook as WebhookModel
from app.models import WebhookDelivery as WebhookDeliveryModel
from app.schema.context import Info
from app.schema.errors import UserError, error_list
from app.schema.ids import from_global_id
from app.schema.mutations.base import perform
from app.schema.types.webhooks import Webhook, WebhookDelivery
from app.services import webhooks
from app.services.webhooks import WebhookData


@strawberry.input
class CreateWebhookInput:
    url: str = strawberry.field(
        description="Where to POST: a public http(s) URL (private and loopback addresses are "
        "refused unless BITCART_WEBHOOK_ALLOW_PRIVATE=1)."
    )
    events: list[str] = strawberry.field(
        description="Event types to receive: " + ", ".join(webhooks.TOPICS) + "."
    )
    description: str | None = None
    active: bool | None = None

    def to_service(self) -> WebhookData:
        return WebhookData(
            url=self.url, events=self.events, active=self.active, description=self.description
        )


@strawberry.input
class UpdateWebhookInput:
    url: str | None = None
    events: list[str] | None = None
    active: bool | None = strawberry.field(
        default=None, description="true switches a disabled webhook back on."
    )
    description: str | None = None

    def to_service(self) -> WebhookData:
        return WebhookData(
            url=self.url, events=self.events, active=self.active, description=self.description
        )


@strawberry.type
class CreateWebhookPayload:
    webhook: Webhook | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret (whsec_...): shown this once. Verify deliveries with "
        "any Standard Webhooks library.",
    )
    errors: list[UserError] = error_list()


@strawberry.type
class WebhookPayload:
    webhook: Webhook | None = None
    errors: list[UserError] = error_list()


@strawberry.type
class DeleteWebhookPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = error_list()


@strawberry.type
class RedeliverWebhookPayload:
    delivery: WebhookDelivery | None = None
    errors: list[UserError] = error_list()


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(description="Start sending events to a URL (WEBHOOKS_MANAGE).")
    async def create_webhook(self, info: Info, input: CreateWebhookInput) -> CreateWebhookPayload:
        context = info.context
        created, errors = await perform(
            info,
            lambda: webhooks.create_webhook(context.viewer, input.to_service(), context.settings),
        )
        if created is None:
            return CreateWebhookPayload(errors=errors)
        return CreateWebhookPayload(webhook=Webhook.build(created), secret=created.secret)

    @strawberry.mutation(description="Change a webhook, or switch it off and on (WEBHOOKS_MANAGE).")
    async def update_webhook(
        self, info: Info, id: strawberry.ID, input: UpdateWebhookInput
    ) -> WebhookPayload:
        context = info.context

        async def action() -> WebhookModel:
            webhook_id = from_global_id("Webhook", id)
            return await webhooks.update_webhook(
                context.viewer, webhook_id, input.to_service(), context.settings
            )

        updated, errors = await perform(info, action)
        return WebhookPayload(webhook=Webhook.build(updated) if updated else None, errors=errors)

    @strawberry.mutation(
        description="Stop and forget a webhook with its deliveries (WEBHOOKS_MANAGE)."
    )
    async def delete_webhook(self, info: Info, id: strawberry.ID) -> DeleteWebhookPayload:
        async def action() -> int:
            return await webhooks.delete_webhook(info.context.viewer, from_global_id("Webhook", id))

        deleted, errors = await perform(info, action)
        return DeleteWebhookPayload(deleted_id=id if deleted else None, errors=errors)

    @strawberry.mutation(
        description="Send a delivery's event again, now, with the same webhook-id "
        "(WEBHOOKS_MANAGE)."
    )
    async def redeliver_webhook(
        self, info: Info, delivery_id: strawberry.ID
    ) -> RedeliverWebhookPayload:
        context = info.context

        async def action() -> WebhookDeliveryModel:
            viewer = context.viewer
            await context.throttle(
                "webhook-redeliver",
                context.settings.webhook_redeliver_rate_limit,
                60,
                key=f"user:{viewer.user_id}" if viewer.user_id is not None else "",
            )
            pk = from_global_id("WebhookDelivery", delivery_id, "deliveryId")
            return await webhooks.redeliver(viewer, pk)

        delivery, errors = await perform(info, action)
        return RedeliverWebhookPayload(
            delivery=WebhookDelivery.build(delivery) if delivery else None, errors=errors
        )
