"""Printed documents."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.models import Document as DocumentModel
from app.models import DocumentKind as DocumentKindModel
from app.models import DocumentStatus as DocumentStatusModel
from app.schema.context import Info
from app.schema.cost import most
from app.schema.ids import to_global_id
from app.services.documents import MAX_ORDERS

if TYPE_CHECKING:
    from app.schema.types.orders import Order

strawberry.enum(DocumentKindModel, name="DocumentKind")
strawberry.enum(DocumentStatusModel, name="DocumentStatus")
DocumentKind = DocumentKindModel
DocumentStatus = DocumentStatusModel
LazyOrder = Annotated["Order", strawberry.lazy("app.schema.types.orders")]


@strawberry.type(description="One PDF for one or more orders, rendered by a worker.")
class Document:
    id: strawberry.ID
    kind: DocumentKind
    status: DocumentStatus
    page_count: int | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    _model: strawberry.Private[DocumentModel]

    @classmethod
    def build(cls, document: DocumentModel) -> Document:
        return cls(
            id=to_global_id("Document", document.id),
            kind=document.kind,
            status=document.status,
            page_count=document.page_count,
            error=document.error or None,
            created_at=document.created_at,
            finished_at=document.finished_at,
            _model=document,
        )

    @strawberry.field(description="Where to GET the PDF (with the same bearer token) once READY.")
    def url(self) -> str | None:
        if self._model.status is not DocumentStatusModel.READY:
            return None
        return f"/documents/{self._model.id}"

    @strawberry.field(
        description="The orders it prints, in print order.", directives=[most(MAX_ORDERS)]
    )
    async def orders(self, info: Info) -> list[LazyOrder]:
        from app.schema.types.orders import Order

        found = await info.context.loaders.order.load_many(self._model.order_ids[:MAX_ORDERS])
        return [Order.build(o) for o in found if o is not None]
