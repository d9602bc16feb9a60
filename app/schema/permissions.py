"""Field permissions; decided from the viewer that get_context resolved once."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from app import read_model
from app.services.auth import Permission


class StaffOnly(BasePermission):
    """R1: staff notes resolve to null with FORBIDDEN for anyone but staff."""

    message = "Visible to staff only."
    error_extensions = {"code": "FORBIDDEN"}
    # decided from info.context.viewer alone: the compiled plans check it once a request
    viewer_alone = True

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return bool(viewer.is_staff and viewer.can(Permission.ORDERS_READ))


def guards(field: read_model.Field) -> list[type[BasePermission]]:
    """A read-model field's permission classes: StaffOnly for a staff-only one (R1)."""
    return [StaffOnly] if field.staff_only else []
