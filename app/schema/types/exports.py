"""Order exports."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.models import Export as ExportModel
from app.models import ExportGranularity as ExportGranularityModel
from app.models import ImportStatus
from app.schema.ids import to_global_id
from app.schema.types.imports import TrackingImportStatus

strawberry.enum(ExportGranularityModel, name="ExportGranularity")
ExportGranularity = ExportGranularityModel


@strawberry.type(description="A CSV of the orders a filter matched, written by a worker.")
class Export:
    id: strawberry.ID
    status: TrackingImportStatus
    granularity: ExportGranularity
    byte_order_mark: bool = strawberry.field(
        description="The file starts with a UTF-8 byte-order mark (for Excel on Windows)."
    )
    row_count: int | None = strawberry.field(description="Rows written, once SUCCEEDED.")
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    url: str | None = strawberry.field(
        description="GET it with the same bearer token once SUCCEEDED (any ORDERS_READ holder)."
    )

    @classmethod
    def build(cls, model: ExportModel) -> Export:
        return cls(
            id=to_global_id("Export", model.id),
            status=model.status,
            granularity=model.granularity,
            byte_order_mark=model.byte_order_mark,
            row_count=model.row_count,
            error=model.error or None,
            created_at=model.created_at,
            finished_at=model.finished_at,
            url=f"/exports/{model.id}" if model.status is ImportStatus.SUCCEEDED else None,
        )
