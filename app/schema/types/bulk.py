"""Bulk operations on orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.models import BulkOperation as BulkOperationModel
from app.models import BulkOperationRow as RowModel
from app.models import BulkOutcome as BulkOutcomeModel
from app.schema.context import Info
from app.schema.cost import PAGED
from app.schema.errors import query
from app.schema.ids import to_global_id
from app.schema.pagination import Connection, connection
from app.schema.types.imports import TrackingImportStatus
from app.schema.types.orders import OrderStatus
from app.services import bulk
from app.services.pagination import PageRequest

strawberry.enum(BulkOutcomeModel, name="BulkOutcome")
BulkOutcome = BulkOutcomeModel


@strawberry.type
class BulkOperationRow:
    order_number: int
    outcome: BulkOutcome
    code: str | None
    message: str

    @classmethod
    def build(cls, row: RowModel) -> BulkOperationRow:
        return cls(
            order_number=row.order_number,
            outcome=row.outcome,
            code=row.code or None,
            message=row.message,
        )


@strawberry.type(description="A status change of many orders, applied by a worker in sets.")
class BulkOperation:
    id: strawberry.ID
    status: TrackingImportStatus
    target_status: OrderStatus
    total: int
    processed: int
    succeeded: int = strawberry.field(description="Moved, or in that status already.")
    failed: int
    created_at: datetime
    finished_at: datetime | None
    _model: strawberry.Private[BulkOperationModel]

    @classmethod
    def build(cls, model: BulkOperationModel) -> BulkOperation:
        return cls(
            id=to_global_id("BulkOperation", model.id),
            status=model.status,
            target_status=model.target_status,
            total=model.total,
            processed=model.processed,
            succeeded=model.succeeded,
            failed=model.failed,
            created_at=model.created_at,
            finished_at=model.finished_at,
            _model=model,
        )

    @strawberry.field(description="Each order's outcome, in the order asked.", directives=[PAGED])
    async def rows(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="At most 100.")] = None,
        after: str | None = None,
    ) -> Connection[BulkOperationRow]:
        page = await query(
            bulk.list_rows(
                info.context.viewer, self._model.id, PageRequest(first=first, after=after)
            )
        )
        return connection(page, BulkOperationRow.build)
