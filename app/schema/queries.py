"""Read-only entry points."""

from __future__ import annotations

from typing import Annotated, Any, cast

import strawberry

from app.models import Return as ReturnModel
from app.schema import compiled
from app.schema.context import Info
from app.schema.cost import PAGED, most
from app.schema.errors import UserError, error_list, guarded, node, query, user_errors
from app.schema.ids import from_global_id
from app.schema.inputs import (
    EditOrderInput,
    OrderFilterInput,
    OrderSortInput,
    QuoteOrderInput,
    ReturnFilterInput,
    ShipmentFilterInput,
    SortDirection,
)
from app.schema.pagination import Connection, connection
from app.schema.types.accounts import ApiToken, Me, StaffUser
from app.schema.types.bulk import BulkOperation
from app.schema.types.catalog import OrderQuote, Product
from app.schema.types.documents import Document
from app.schema.types.exports import Export
from app.schema.types.imports import TrackingImport
from app.schema.types.order_edits import PreviewOrderEditPayload
from app.schema.types.orders import Order
from app.schema.types.payments import ShippingMethod
from app.schema.types.returns import ReturnRequest
from app.schema.types.shipments import OrderTracking, Shipment
from app.schema.types.webhooks import Webhook, WebhookDelivery, WebhookDeliveryStatus
from app.services import (
    accounts,
    bulk,
    catalog,
    documents,
    exports,
    imports,
    order_edits,
    orders,
    quotes,
    returns,
    shipments,
    shipping,
    staff,
    tracking,
    webhooks,
)
from app.services.buyer_limits import BuyerLimits
from app.services.errors import DomainError
from app.services.pagination import Page, PageRequest
from app.services.webhooks import TOPICS

PageSize = Annotated[int | None, strawberry.argument(description="At most 100.")]


@strawberry.type
class QuoteOrderPayload:
    quote: OrderQuote | None = None
    errors: list[UserError] = error_list()


@strawberry.type
class Query:
    @strawberry.field(
        description="The shipping methods a storefront offers, by code; with a country, "
        "those that ship there. Public. includeInactive needs SETTINGS_WRITE.",
        directives=[most(shipping.MAX_METHODS)],
    )
    async def shipping_methods(
        self, info: Info, country: str | None = None, include_inactive: bool = False
    ) -> list[ShippingMethod]:
        rows = await query(shipping.offered_methods(info.context.viewer, country, include_inactive))
        return [ShippingMethod.build(row) for row in rows]

    @strawberry.field(
        description="Price a cart as placeOrder would (the same code): its lines, the "
        "shipping methods that ship there with their prices, tax and total. For everyone; "
        "takes no stock. Refusals (an unknown SKU, a method that does not ship there) are "
        "errors as placeOrder's are."
    )
    async def quote_order(self, info: Info, input: QuoteOrderInput) -> QuoteOrderPayload:
        settings = info.context.settings
        try:
            limits = BuyerLimits(
                units_per_line=settings.max_units_per_line,
                unpaid_per_customer=settings.max_unpaid_orders_per_customer,
                unpaid_per_address=settings.max_unpaid_orders_per_address,
            )
            quote = await quotes.quote_order(
                info.context.viewer,
                input.to_service(),
                settings.tax_rate,
                settings.currency,
                limits,
            )
        except DomainError as exc:
            return QuoteOrderPayload(errors=user_errors(exc))
        return QuoteOrderPayload(quote=OrderQuote.build(quote, settings.currency))

    @strawberry.field(description="The signed-in user; null for a guest.")
    async def me(self, info: Info) -> Me | None:
        user = await accounts.current_user(info.context.viewer)
        return Me.build(user, info.context.viewer) if user else None

    @strawberry.field(
        description="One order by id or number; null when missing or not yours (never FORBIDDEN)."
    )
    async def order(
        self, info: Info, id: strawberry.ID | None = None, number: int | None = None
    ) -> Order | None:
        viewer = info.context.viewer
        try:
            order_id = from_global_id("Order", id) if id is not None else None
        except DomainError:
            return None
        plan = compiled.object_plan(info, compiled.ORDER)
        if plan is not None:  # the fast path, with all of the selection learned: a row
            row = await query(orders.get_order_row(viewer, plan.columns, order_id, number))
            return None if row is None else cast(Order, compiled.RowNode(row, plan))
        found = await query(orders.get_order(viewer, order_id=order_id, number=number))
        return Order.build(found) if found else None

    @strawberry.field(
        description="What editOrder would make of this edit now (ORDERS_WRITE): the new "
        "lines, totals, balance due and refund due, and any stock it lacks. Worked out by "
        "editOrder's own code; writes nothing and takes no stock."
    )
    async def preview_order_edit(
        self, info: Info, order_id: strawberry.ID, input: EditOrderInput
    ) -> PreviewOrderEditPayload:
        context = info.context
        try:
            # the arguments are read in editOrder's order, so the same input fails the same way
            preview = await order_edits.preview_edit(
                context.viewer,
                from_global_id("Order", order_id, "orderId"),
                input.to_service(),
                context.settings.tax_rate,
            )
        except DomainError as exc:
            return PreviewOrderEditPayload(errors=user_errors(exc))
        return PreviewOrderEditPayload.of(preview)

    @strawberry.field(
        description="Orders, newest first unless sorted otherwise.", directives=[PAGED]
    )
    async def orders(
        self,
        info: Info,
        first: PageSize = None,
        after: str | None = None,
        last: PageSize = None,
        before: str | None = None,
        filter: OrderFilterInput | None = None,
        sort: OrderSortInput | None = None,
    ) -> Connection[Order]:
        sort = sort or OrderSortInput()
        plan = compiled.node_plan(info, compiled.ORDER)
        page = await query(
            orders.list_orders(
                info.context.viewer,
                PageRequest(first=first, after=after, last=last, before=before),
                filter.to_service() if filter else orders.OrderFilter(),
                orders.OrderSort(sort.field.value),
                descending=sort.direction is SortDirection.DESC,
                columns=None if plan is None else plan.columns,
            )
        )
        if plan is None:
            return connection(page, Order.build)
        # the fast path, with all of the nodes' selection learned: rows, not models
        return connection(page, lambda row: cast(Order, compiled.RowNode(row, plan)))

    @strawberry.field(
        description="A product by SKU: for everyone when on sale (active), for staff always."
    )
    async def product(self, info: Info, sku: str) -> Product | None:
        found = await query(catalog.get_product(info.context.viewer, sku))
        return None if found is None else Product.build(found, info.context.settings.currency)

    @strawberry.field(
        description="The catalog, by id: for everyone, the products on sale, with price and "
        "inStock; staff see all of them and the stock.",
        directives=[PAGED],
    )
    async def products(
        self,
        info: Info,
        first: PageSize = None,
        after: str | None = None,
        last: PageSize = None,
        before: str | None = None,
        search: str | None = None,
        active: Annotated[
            bool | None, strawberry.argument(description="Only products sold (or not).")
        ] = None,
    ) -> Connection[Product]:
        plan = compiled.node_plan(info, compiled.PRODUCT)
        page = await query(
            catalog.list_products(
                info.context.viewer,
                PageRequest(first=first, after=after, last=last, before=before),
                search,
                active,
                columns=None if plan is None else plan.columns,
            )
        )
        if plan is not None:  # the fast path, with all of the nodes' selection learned
            return connection(page, lambda row: cast(Product, compiled.RowNode(row, plan)))
        currency = info.context.settings.currency
        return connection(page, lambda p: Product.build(p, currency))

    @strawberry.field(description="One shipment; null when missing or not yours.")
    async def shipment(self, info: Info, id: strawberry.ID) -> Shipment | None:
        viewer = info.context.viewer
        found = await node("Shipment", id, lambda pk: shipments.get_shipment(viewer, pk))
        return Shipment.build(found) if found else None

    @strawberry.field(
        description="Shipments, newest first: when, to whom, where.", directives=[PAGED]
    )
    async def shipments(
        self,
        info: Info,
        first: PageSize = None,
        after: str | None = None,
        last: PageSize = None,
        before: str | None = None,
        filter: ShipmentFilterInput | None = None,
    ) -> Connection[Shipment]:
        plan = compiled.node_plan(info, compiled.SHIPMENTS)

        async def load() -> Page[Any]:
            return await shipments.list_shipments(
                info.context.viewer,
                PageRequest(first=first, after=after, last=last, before=before),
                filter.to_service() if filter else shipments.ShipmentFilter(),
                columns=None if plan is None else plan.columns,
            )

        page = await query(load())
        if plan is not None:  # the fast path, with all of the nodes' selection learned
            return connection(page, lambda row: cast(Shipment, compiled.RowNode(row, plan)))
        return connection(page, Shipment.build)

    @strawberry.field(
        description="The public tracking view, by order number and email or by tracking token. "
        "A wrong email and a missing order both give null. Attempts are rate-limited."
    )
    async def order_tracking(
        self,
        info: Info,
        number: int | None = None,
        email: str | None = None,
        token: str | None = None,
    ) -> OrderTracking | None:
        context = info.context
        found = await query(
            tracking.find_for_tracking(
                context.settings,
                context.redis,
                context.client_address,
                number=number,
                email=email,
                token=token,
            )
        )
        return OrderTracking.build(found) if found else None

    @strawberry.field(description="One return request; null when missing or not yours.")
    async def return_request(self, info: Info, id: strawberry.ID) -> ReturnRequest | None:
        viewer = info.context.viewer
        found = await node("Return", id, lambda pk: returns.get_return(viewer, pk))
        return ReturnRequest.build(found) if found else None

    @strawberry.field(
        description="Return requests, newest first; customers see their own.", directives=[PAGED]
    )
    async def returns(
        self,
        info: Info,
        first: PageSize = None,
        after: str | None = None,
        last: PageSize = None,
        before: str | None = None,
        filter: ReturnFilterInput | None = None,
    ) -> Connection[ReturnRequest]:
        async def load() -> Page[ReturnModel]:
            return await returns.list_returns(
                info.context.viewer,
                PageRequest(first=first, after=after, last=last, before=before),
                filter.to_service() if filter else returns.ReturnFilter(),
            )

        return connection(await query(load()), ReturnRequest.build)

    @strawberry.field(description="One document; null when missing or not all yours.")
    async def document(self, info: Info, id: strawberry.ID) -> Document | None:
        viewer = info.context.viewer
        found = await node("Document", id, lambda pk: documents.get_document(viewer, pk))
        return Document.build(found) if found else None

    @strawberry.field
    async def tracking_import(self, info: Info, id: strawberry.ID) -> TrackingImport | None:
        viewer = info.context.viewer
        found = await node("TrackingImport", id, lambda pk: imports.get_import(viewer, pk))
        return TrackingImport.build(found) if found else None

    @strawberry.field(description="An order export and its file (ORDERS_READ).")
    async def export(self, info: Info, id: strawberry.ID) -> Export | None:
        viewer = info.context.viewer
        found = await node("Export", id, lambda pk: exports.get_export(viewer, pk))
        return Export.build(found) if found else None

    @strawberry.field(description="A bulk operation and its progress (ORDERS_READ).")
    async def bulk_operation(self, info: Info, id: strawberry.ID) -> BulkOperation | None:
        viewer = info.context.viewer
        found = await node("BulkOperation", id, lambda pk: bulk.get_operation(viewer, pk))
        return BulkOperation.build(found) if found else None

    @strawberry.field(description="Webhooks, newest first (WEBHOOKS_MANAGE).", directives=[PAGED])
    async def webhooks(
        self, info: Info, first: PageSize = None, after: str | None = None
    ) -> Connection[Webhook]:
        page = await query(
            webhooks.list_webhooks(info.context.viewer, PageRequest(first=first, after=after))
        )
        return connection(page, Webhook.build)

    @strawberry.field(
        description="A webhook's deliveries, newest first, optionally of one status "
        "(WEBHOOKS_MANAGE).",
        directives=[PAGED],
    )
    async def webhook_deliveries(
        self,
        info: Info,
        webhook_id: strawberry.ID,
        status: WebhookDeliveryStatus | None = None,
        first: PageSize = None,
        after: str | None = None,
    ) -> Connection[WebhookDelivery]:
        try:
            pk: int | None = from_global_id("Webhook", webhook_id, "webhookId")
        except DomainError:
            pk = None  # not a webhook's id: no deliveries, like an id that is gone
        page = await query(
            webhooks.list_deliveries(
                info.context.viewer, pk, status, PageRequest(first=first, after=after)
            )
        )
        return connection(page, WebhookDelivery.build)

    @strawberry.field(
        description="Integration tokens, newest first (STAFF_MANAGE).", directives=[PAGED]
    )
    async def api_tokens(
        self, info: Info, first: PageSize = None, after: str | None = None
    ) -> Connection[ApiToken]:
        page = await query(
            accounts.list_api_tokens(info.context.viewer, PageRequest(first=first, after=after))
        )
        return connection(page, ApiToken.build)

    @strawberry.field(
        description="Staff members, oldest first; with active, only those (not) deactivated "
        "(STAFF_MANAGE).",
        directives=[PAGED],
    )
    async def staff_users(
        self,
        info: Info,
        first: PageSize = None,
        after: str | None = None,
        active: bool | None = None,
    ) -> Connection[StaffUser]:
        page = await query(
            staff.list_staff(info.context.viewer, PageRequest(first=first, after=after), active)
        )
        return connection(page, StaffUser.build)

    @strawberry.field(
        description="The event types a webhook may subscribe to (WEBHOOKS_MANAGE).",
        directives=[most(len(TOPICS))],
    )
    def webhook_events(self, info: Info) -> list[str]:
        return guarded(lambda: webhooks.topics(info.context.viewer))

    @strawberry.field(description="Tracking imports, newest first.", directives=[PAGED])
    async def tracking_imports(
        self, info: Info, first: PageSize = None, after: str | None = None
    ) -> Connection[TrackingImport]:
        page = await query(
            imports.list_imports(info.context.viewer, PageRequest(first=first, after=after))
        )
        return connection(page, TrackingImport.build)
