"""Small ASGI pieces: the request-body and WebSocket-message bounds, the client's address
behind proxies, and no caching of what a signed-in request is answered."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# a WebSocket closed for a message over the bound (RFC 6455: "message too big")
MESSAGE_TOO_BIG = 1009


def bearer_token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def client_address(
    peer: str | None, forwarded_for: str, trusted: Sequence[IPv4Network | IPv6Network]
) -> str:
    """The address rate limits count by: the peer, unless the peer is a trusted proxy; then
    the first untrusted address in X-Forwarded-For, read from the right (the entries a
    client writes itself stand on the left and are never believed)."""
    address = peer or "local"
    if not _is_trusted(address, trusted):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not _is_trusted(hop, trusted):
            return hop if _is_address(hop) else address
    return address


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def _is_trusted(text: str, trusted: Sequence[IPv4Network | IPv6Network]) -> bool:
    try:
        address = ip_address(text)
    except ValueError:
        return False
    return any(address in network for network in trusted)


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Refuse request bodies over a bound (413), whether declared or streamed.

    Multipart uploads get their own, larger bound; every other body the small one.
    """

    def __init__(self, app: ASGIApp, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        is_upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.max_upload + 64 * 1024 if is_upload else self.max_body
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(limit, scope, receive, send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _refuse(limit, scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket message is bounded as a request body is: one over the bound closes
        the connection (1009) before the app reads it."""
        limit = self.max_body

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive" and _over(message, limit):
                await send({"type": "websocket.close", "code": MESSAGE_TOO_BIG})
                return {"type": "websocket.disconnect", "code": MESSAGE_TOO_BIG}
            return message

        await self.app(scope, limited_receive, send)


def _over(message: Message, limit: int) -> bool:
    data = message.get("bytes")
    if data is not None:
        return len(data) > limit
    text = message.get("text") or ""
    # a character is one to four bytes: they are counted only when it could matter
    if len(text) > limit or len(text) * 4 <= limit:
        return len(text) > limit
    return len(text.encode()) > limit


class PrivateWhenSignedIn:
    """A response to a request that carries credentials is kept by no cache, unless the
    route said otherwise (a guest's persisted query says public): private data never
    sits in a shared cache because a route forgot to say so."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_credentials(scope):
            await self.app(scope, receive, send)
            return

        async def private_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"private, no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, private_send)


def _has_credentials(scope: Scope) -> bool:
    return any(name in (b"authorization", b"cookie") for name, _ in scope.get("headers") or [])


async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse(
        {
            "errors": [
                {
                    "message": f"The request body is larger than {limit} bytes.",
                    "extensions": {"code": "PAYLOAD_TOO_LARGE"},
                }
            ]
        },
        status_code=413,
    )
    await response(scope, receive, send)
