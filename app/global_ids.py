"""Global ids: an opaque `Type:pk` in base64, so clients never build ids themselves.
Shared by the GraphQL layer and by what the services write for others (webhook bodies)."""

from __future__ import annotations

import base64


def encode(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode()
