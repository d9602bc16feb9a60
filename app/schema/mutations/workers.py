"""Work handed to the workers: documents and tracking imports. Both answer at once."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

from app.models import BulkOperation as BulkOperationModel
from app.models import Document as DocumentModel
from app.models import Export as ExportModel
from app.models import TrackingImport as TrackingImportModel
from app.schema.context import Info
from app.schema.errors import UserError, error_list
from app.schema.ids import from_global_id
from app.schema.inputs import BulkUpdateOrdersInput, ImportOptionsInput, OrderFilterInput
from app.schema.mutations.base import IdempotencyKey, Once, perform
from app.schema.types.bulk import BulkOperation
from app.schema.types.documents import Document, DocumentKind
from app.schema.types.exports import Export, ExportGranularity
from app.schema.types.imports import TrackingImport
from app.services import bulk, documents, exports, imports
from app.services.errors import DomainError, ErrorCode
from app.services.orders import OrderFilter


@strawberry.type
class DocumentPayload:
    document: Document | None = None
    errors: list[UserError] = error_list()


@strawberry.type
class TrackingImportPayload:
    tracking_import: TrackingImport | None = None
    errors: list[UserError] = error_list()


async def _load_document(ids: dict[str, int]) -> DocumentModel:
    return await DocumentModel.get(id=ids["document"])


async def _load_import(ids: dict[str, int]) -> TrackingImportModel:
    return await TrackingImportModel.get(id=ids["import"])


async def _load_operation(ids: dict[str, int]) -> BulkOperationModel:
    return await BulkOperationModel.get(id=ids["bulkOperation"])


@strawberry.type
class BulkOperationPayload:
    bulk_operation: BulkOperation | None = None
    errors: list[UserError] = error_list()


async def _load_export(ids: dict[str, int]) -> ExportModel:
    return await ExportModel.get(id=ids["export"])


@strawberry.type
class ExportPayload:
    export: Export | None = None
    errors: list[UserError] = error_list()


@strawberry.type
class WorkerMutations:
    @strawberry.mutation(
        description="A CSV of the orders the filter matches, one row per order or per item "
        "(ORDERS_READ), written by a worker; download it from export.url when SUCCEEDED."
    )
    async def export_orders(
        self,
        info: Info,
        filter: OrderFilterInput | None = None,
        granularity: ExportGranularity = ExportGranularity.ORDER,
        idempotency_key: IdempotencyKey = None,
        byte_order_mark: Annotated[
            bool,
            strawberry.argument(
                description="Start the file with a UTF-8 byte-order mark: Excel on Windows "
                "needs one to read accented names right; other programs do not."
            ),
        ] = False,
    ) -> ExportPayload:
        viewer = info.context.viewer
        chosen = (filter or OrderFilterInput()).to_service()

        async def action() -> ExportModel:
            return await exports.start(viewer, chosen, granularity, byte_order_mark)

        once = Once(
            "exportOrders",
            idempotency_key,
            [filter, granularity, *([True] if byte_order_mark else [])],
            lambda e: {"export": e.id},
            _load_export,
        )
        export, errors = await perform(info, action, once)
        return ExportPayload(export=Export.build(export) if export else None, errors=errors)

    @strawberry.mutation(
        description="Set one status on many orders (ORDERS_WRITE): a worker moves them in "
        "sets under the setStatus rules, stock included; each order's outcome is kept."
    )
    async def bulk_update_orders(
        self, info: Info, input: BulkUpdateOrdersInput, idempotency_key: IdempotencyKey = None
    ) -> BulkOperationPayload:
        viewer = info.context.viewer

        async def action() -> BulkOperationModel:
            return await bulk.start(viewer, input.to_service())

        once = Once(
            "bulkUpdateOrders",
            idempotency_key,
            input,
            lambda o: {"bulkOperation": o.id},
            _load_operation,
        )
        operation, errors = await perform(info, action, once)
        return BulkOperationPayload(
            bulk_operation=BulkOperation.build(operation) if operation else None, errors=errors
        )

    @strawberry.mutation(
        description="One PDF for up to 500 orders (a page break per order), rendered by a "
        "worker; an unchanged request returns the document made before. Give orderIds, or a "
        "filter (a day's orders awaiting shipment, say) to print what it matches by number."
    )
    async def generate_documents(
        self,
        info: Info,
        kind: DocumentKind,
        order_ids: list[strawberry.ID] | None = None,
        filter: OrderFilterInput | None = None,
        idempotency_key: IdempotencyKey = None,
        shipment_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(
                description="PACKING_SLIP only, staff: a slip per shipment, listing what is "
                "in that box (instead of orderIds or a filter)."
            ),
        ] = None,
    ) -> DocumentPayload:
        context = info.context

        async def action() -> DocumentModel:
            viewer = context.viewer
            if viewer.is_customer:
                await context.throttle(
                    "customer-documents",
                    context.settings.customer_document_rate_limit,
                    60,
                    key=f"user:{viewer.user_id}",
                )
            chosen, shipments = _documents_of(order_ids, filter, shipment_ids)
            return await documents.request_documents(
                context.viewer, chosen, kind, context.settings, context.renderer, shipments
            )

        once = Once(
            "generateDocuments",
            idempotency_key,
            [kind, order_ids, filter, *([shipment_ids] if shipment_ids is not None else [])],
            lambda d: {"document": d.id},
            _load_document,
        )
        document, errors = await perform(info, action, once)
        return DocumentPayload(
            document=Document.build(document) if document else None, errors=errors
        )

    @strawberry.mutation(
        description="Upload a carrier's CSV (order number, tracking number, optional carrier); "
        "a worker applies it and reports every row."
    )
    async def import_tracking(
        self,
        info: Info,
        file: Upload,
        options: ImportOptionsInput | None = None,
        idempotency_key: IdempotencyKey = None,
    ) -> TrackingImportPayload:
        context = info.context
        if not callable(getattr(file, "read", None)):  # a string in the variables, not a file
            return TrackingImportPayload(
                tracking_import=None,
                errors=[
                    UserError(
                        code=ErrorCode.INVALID_INPUT,
                        message="Send the file as a multipart upload (GraphQL multipart "
                        "request), not as text.",
                        field=["file"],
                    )
                ],
            )
        limit = context.settings.max_upload_bytes
        try:
            # one byte past the limit is enough for the service to refuse it
            data = await file.read(limit + 1)  # type: ignore[attr-defined]
        finally:
            await file.close()  # type: ignore[attr-defined]
        filename = getattr(file, "filename", None) or "upload.csv"

        async def action() -> TrackingImportModel:
            return await imports.start_import(
                context.viewer,
                filename,
                data,
                (options or ImportOptionsInput()).to_service(),
                context.settings,
                context.storage,
            )

        once = Once(
            "importTracking",
            idempotency_key,
            [filename, data, options],
            lambda t: {"import": t.id},
            _load_import,
        )
        created, errors = await perform(info, action, once)
        return TrackingImportPayload(
            tracking_import=TrackingImport.build(created) if created else None, errors=errors
        )


def _documents_of(
    order_ids: list[strawberry.ID] | None,
    filter: OrderFilterInput | None,
    shipment_ids: list[strawberry.ID] | None,
) -> tuple[list[int] | OrderFilter, list[int] | None]:
    """What generateDocuments prints: the orders (their ids or a filter) and the shipments,
    exactly one of the three given."""
    given = [x is not None for x in (order_ids, filter, shipment_ids)]
    if sum(given) != 1:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "Give either orderIds or a filter."
            if shipment_ids is None
            else "Give one of orderIds, a filter or shipmentIds.",
            ["orderIds"],
        )
    shipments = (
        [from_global_id("Shipment", i, f"shipmentIds.{n}") for n, i in enumerate(shipment_ids)]
        if shipment_ids is not None
        else None
    )
    chosen = (
        [from_global_id("Order", i, f"orderIds.{n}") for n, i in enumerate(order_ids)]
        if order_ids is not None
        else filter.to_service()
        if filter is not None
        else []
    )
    return chosen, shipments
