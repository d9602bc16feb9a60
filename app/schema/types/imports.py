"""Bulk tracking-number imports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.models import ImportStatus as ImportStatusModel
from app.models import RowOutcome as RowOutcomeModel
from app.models import TrackingImport as TrackingImportModel
from app.models import TrackingImportRow as RowModel
from app.schema.context import Info
from app.schema.cost import PAGED
from app.schema.errors import query
from app.schema.ids import to_global_id
from app.schema.pagination import Connection, connection
from app.services import imports
from app.services.pagination import PageRequest

strawberry.enum(ImportStatusModel, name="TrackingImportStatus")
strawberry.enum(RowOutcomeModel, name="TrackingImportOutcome")
TrackingImportStatus = ImportStatusModel
TrackingImportOutcome = RowOutcomeModel


@strawberry.type
class TrackingImportRow:
    line: int
    order_number: str
    tracking_number: str
    carrier: str
    outcome: TrackingImportOutcome
    code: str | None
    message: str

    @classmethod
    def build(cls, row: RowModel) -> TrackingImportRow:
        return cls(
            line=row.line,
            order_number=row.order_number,
            tracking_number=row.tracking_number,
            carrier=row.carrier,
            outcome=row.outcome,
            code=row.code,
            message=row.message,
        )


@strawberry.type(description="A tracking-number CSV being applied by a worker, row by row.")
class TrackingImport:
    id: strawberry.ID
    status: TrackingImportStatus
    filename: str
    total_rows: int | None
    processed_rows: int
    updated: int
    shipped: int
    unchanged: int
    skipped: int
    failed: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    _model: strawberry.Private[TrackingImportModel]

    @classmethod
    def build(cls, model: TrackingImportModel) -> TrackingImport:
        return cls(
            id=to_global_id("TrackingImport", model.id),
            status=model.status,
            filename=model.filename,
            total_rows=model.total_rows,
            processed_rows=model.processed_rows,
            updated=model.updated,
            shipped=model.shipped,
            unchanged=model.unchanged,
            skipped=model.skipped,
            failed=model.failed,
            error=model.error or None,
            created_at=model.created_at,
            finished_at=model.finished_at,
            _model=model,
        )

    @strawberry.field(description="Every row and its outcome as CSV (GET, same bearer token).")
    def result_url(self) -> str:
        return f"/imports/{self._model.id}/result.csv"

    @strawberry.field(
        description="Row outcomes in file order, optionally of one kind.", directives=[PAGED]
    )
    async def rows(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="At most 100.")] = None,
        after: str | None = None,
        outcome: TrackingImportOutcome | None = None,
    ) -> Connection[TrackingImportRow]:
        page = await query(
            imports.list_rows(
                info.context.viewer, self._model.id, PageRequest(first=first, after=after), outcome
            )
        )
        return connection(page, TrackingImportRow.build)
