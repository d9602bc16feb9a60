"""create_app(): routes, middleware and the lifespan that opens the database."""

from __future__ import annotations

import asyncio
import hmac
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from datetime import timedelta
from typing import Any, cast

import orjson
import structlog
from arq import create_pool
from cross_web import HTTPException  # what Strawberry's views raise for a 4xx (its dependency)
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from app import console, graphiql, live, metrics, outage, persisted, tracking_page
from app.db import MAX_ID, tortoise_config
from app.documents.render import Renderer
from app.http import BodyLimit, PrivateWhenSignedIn, bearer_token, client_address
from app.logs import RequestLog
from app.redis import redis_settings
from app.schema import build_schema, lane, schema
from app.schema.context import Context
from app.schema.failures import is_unavailable
from app.services import documents, exports, imports
from app.services.auth import Viewer, viewer_from_token
from app.services.errors import DomainError, ErrorCode
from app.services.events import actor_kind
from app.settings import Settings, get_settings
from app.storage import Storage, storage_from
from app.workers.settings import build_worker

GRAPHQL_RESPONSE = "application/graphql-response+json"
_ACK = cast(UnsetType, UNSET)  # a connection_ack without a payload
# operations one WebSocket may run at once
MAX_SUBSCRIPTIONS = 20


SUBSCRIPTION_OVER_HTTP = (
    "Subscriptions are served over a WebSocket on /graphql (graphql-transport-ws); "
    "HTTP answers queries and mutations."
)


def _is_subscription(request_data: GraphQLRequestData, max_tokens: int) -> bool:
    """The operation asked for is a subscription (which graphql-core would run as a query
    and fail with an unexpected error). A document that does not parse is left to the
    usual path, which says why."""
    text = request_data.query
    if not text or "subscription" not in text:  # the keyword is case-sensitive
        return False
    try:
        document = parse(text, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return False
    operation = get_operation_ast(document, request_data.operation_name)
    return operation is not None and operation.operation is OperationType.SUBSCRIPTION


def _error_code(error: GraphQLError) -> str:
    """A top-level error's code: its own, else what kind of failure it was."""
    code = (error.extensions or {}).get("code")
    if code:
        return str(code)
    # refused by parsing or validation, or a variable's value its type refused (an error
    # raised as a GraphQLError, which the schema shows unmasked too)
    if error.original_error is None or isinstance(error.original_error, GraphQLError):
        return "GRAPHQL_VALIDATION_FAILED"
    return "INTERNAL_SERVER_ERROR"


# the answer's media type follows Accept (GraphQL over HTTP), so caches key on both
_VARY = "Authorization, Accept"


def _cache_headers(context: Context, result: ExecutionResult, persisted: bool) -> dict[str, str]:
    """A read by GET. A persisted query a guest reads is the same for every guest with the
    same URL, so HTTP caches may keep it a little while; anything a signed-in viewer reads,
    any other GET, or an answer with errors, is kept by nobody."""
    if persisted and context.viewer.is_anonymous and not result.errors:
        age = context.settings.public_max_age_seconds
        return {"Cache-Control": f"public, max-age={age}", "Vary": _VARY}
    return {"Cache-Control": "private, no-store", "Vary": _VARY}


def _registrable(result: ExecutionResult) -> bool:
    """A persisted query is kept only once it has passed parsing and validation."""
    return not any(e.path is None and e.original_error is None for e in result.errors or [])


def _timed_out(seconds: float) -> ExecutionResult:
    return ExecutionResult(
        data=None,
        errors=[
            GraphQLError(
                f"The request took longer than {seconds:g} s and was stopped; "
                "ask for less at a time.",
                extensions={"code": "TIMEOUT"},
            )
        ],
    )


_LANE_ACCEPTS = (b"", b"*/*", b"application/json", GRAPHQL_RESPONSE.encode())


def _lane_headers(scope: Scope) -> bool:
    """A plain JSON POST whose answer is one JSON document: the fast lane's kind."""
    content_type = accept = b""
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type = value
        elif name == b"accept":
            accept = value
    if content_type.split(b";")[0].strip() != b"application/json":
        return False
    return all(part.split(b";")[0].strip() in _LANE_ACCEPTS for part in accept.split(b","))


class TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages as TEXT frames: browsers' graphql-ws (and GraphiQL's
    subscription pane) read only those, and `encode_json` gives bytes (orjson)."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


async def _refuse_upgrade(scope: Scope, send: Send) -> None:
    """Too many WebSockets from this client: 429, or a plain refusal (403) where the server
    cannot send a response of its own."""
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008})
        return
    body = b"Too many WebSockets open from this address; close one and try again."
    await send(
        {
            "type": "websocket.http.response.start",
            "status": 429,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"retry-after", b"5")],
        }
    )
    await send({"type": "websocket.http.response.body", "body": body})


class GraphQLApp(GraphQL[Context, None]):
    websocket_adapter_class = TextFrames

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            # with GraphiQL off, introspection is off too (the schema is in schema.graphql)
            schema if settings.graphiql else build_schema(settings, introspection=False),
            graphql_ide="graphiql" if settings.graphiql else None,
            multipart_uploads_enabled=True,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            # browsers may open a WebSocket from the origins allowed to call the API
            allowed_origins=list(settings.cors_origins),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS,
        )
        self.settings = settings
        # the WebSockets open now, by client address (as rate limits count them)
        self.sockets: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A POST of a known query takes the fast lane (app/schema/lane.py); everything
        else, and whatever the lane hands back, Strawberry's view."""
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if (
            self.settings.fast_execution
            and self.settings.fast_lane
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and _lane_headers(scope)
        ):
            body, messages = await lane.read_all(receive)
            receive = lane.Replay(messages, receive)
            if body is not None and await self._fast_lane(scope, receive, send, body):
                return
        await super().__call__(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A client holds at most max_websockets_per_client WebSockets at once: 200 of one
        customer's, with 20 subscriptions each, made one order note 4,000 deliveries that
        held the event loop for seconds. Past it the upgrade is refused (429)."""
        peer = scope["client"][0] if scope.get("client") else None
        forwarded = b",".join(v for k, v in scope["headers"] if k == b"x-forwarded-for")
        address = client_address(peer, forwarded.decode("latin-1"), self.settings.trusted_proxies)
        if self.sockets[address] >= self.settings.max_websockets_per_client:
            await _refuse_upgrade(scope, send)
            return
        self.sockets[address] += 1
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.sockets[address] -= 1
            if not self.sockets[address]:
                del self.sockets[address]

    async def _fast_lane(self, scope: Scope, receive: Receive, send: Send, body: bytes) -> bool:
        """Answer a known query, as the standard path would; False when it is not one."""
        asked = lane.read_body(body)
        if asked is None:
            return False
        schema = cast(Any, self.schema)._schema
        redis = getattr(scope["app"].state, "redis", None)
        if asked.digest is not None:
            if redis is None:
                return False
            try:
                stored = await persisted.use(redis, asked.digest)
            except Exception:  # Redis down: the standard path answers, as it always does
                return False
            if stored is None:
                return False
            asked.query = stored
        found = lane.known(schema, asked.query, asked.operation_name)
        if found is None or lane.has_nul(asked.variables):
            return False
        cost = lane.costed(schema, found, asked.variables)
        if cost is None:
            return False
        request = Request(scope, receive)
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, sub_response)
        lane.announce(found, cost)
        try:
            async with asyncio.timeout(context.settings.request_timeout_seconds) as deadline:
                context.deadline = deadline
                result = await lane.run(self.schema, found, asked.variables, context, cost)
        except TimeoutError:
            result = _timed_out(context.settings.request_timeout_seconds)
        except Exception:  # the lane's own fault, never the query's: the standard path answers
            structlog.get_logger("bitcart").exception("fast_lane_failed")
            return False
        response = self.create_response(await self.process_result(request, result), sub_response)
        await response(scope, receive, send)
        return True

    async def parse_multipart(self, request: Any) -> dict[str, str]:
        """An upload's `map` that names no place in its `operations` (a path through a
        null or a string, an index that is not a number, a map that is not an object of
        lists) is the client's mistake, a 400; Strawberry answered it with a 500. A refused
        upload's files are closed at once (the form is read once; Starlette keeps it)."""
        try:
            return await super().parse_multipart(request)
        except (HTTPException, TypeError, ValueError, IndexError, AttributeError) as exc:
            with suppress(Exception):  # an unreadable body has no form to close
                await (await request.get_form_data()).files.close()
            if isinstance(exc, HTTPException):
                raise
            raise HTTPException(
                400, "The multipart map must name places in the operations' variables."
            ) from exc

    def should_render_graphql_ide(self, request: Any) -> bool:
        """A GET with a persisted query's hash is an operation, whatever it accepts."""
        if request.query_params.get("extensions"):
            return False
        rendered: bool = super().should_render_graphql_ide(request)
        return rendered

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL, built with the console: nothing loaded from elsewhere (app/graphiql.py)."""
        return await graphiql.page(self.settings.console_dir)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        viewer = (
            await viewer_from_token(bearer_token(request), self.settings.secret_key)
            if isinstance(request, Request)
            else Viewer()  # a WebSocket says who it is in connection_init (on_ws_connect)
        )
        # the request's log line says who asked (never the token itself)
        structlog.contextvars.bind_contextvars(viewer=actor_kind(viewer))
        return Context(
            viewer=viewer,
            settings=self.settings,
            connection=request,
            request=request if isinstance(request, Request) else None,
            response=response if isinstance(response, Response) else None,
            redis=getattr(request.app.state, "redis", None),
            renderer=request.app.state.renderer,
            storage=request.app.state.storage,
            live=getattr(request.app.state, "live", None),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws: the connection_init payload's Authorization ("Bearer …")
        decides who the connection is for; a token that is not valid closes it (4403)."""
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        if header is None:
            return _ACK  # anonymous: every subscription answers UNAUTHENTICATED
        scheme, _, token = str(header).partition(" ")
        viewer = (
            await viewer_from_token(token.strip(), self.settings.secret_key)
            if scheme.lower() == "bearer"
            else Viewer()
        )
        if viewer.is_anonymous:
            raise ConnectionRejectionError()
        context.viewer = viewer
        context.ws_token = token.strip()
        return _ACK

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Run one operation; a query past its deadline is stopped (see QueryDeadline). A
        persisted query (by hash) is looked up first, and registered once it validates."""
        fresh = False
        try:
            digest = persisted.requested_hash(request_data.extensions)
            if digest is not None:
                query, fresh = await persisted.query_for(context.redis, digest, request_data.query)
                request_data = replace(request_data, query=query)
        except persisted.Refused as refused:
            return ExecutionResult(
                data=None, errors=[GraphQLError(refused.message, extensions={"code": refused.code})]
            )
        if _is_subscription(request_data, self.settings.max_query_tokens):
            sub_response.status_code = 400  # whatever the client accepts: not served here
            error = GraphQLError(
                SUBSCRIPTION_OVER_HTTP, extensions={"code": "SUBSCRIPTION_OVER_HTTP"}
            )
            return ExecutionResult(data=None, errors=[error])
        result = await self._execute_in_time(
            request, request_adapter, sub_response, context, root_value, request_data
        )
        if digest is not None and fresh and _registrable(result):
            await persisted.register_bounded(context, digest, query)
        if request.method == "GET":
            sub_response.headers.update(_cache_headers(context, result, digest is not None))
        return result

    async def _execute_in_time(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        seconds = context.settings.request_timeout_seconds
        try:
            async with asyncio.timeout(None) as deadline:
                context.deadline = deadline
                return await super().execute_single(
                    request, request_adapter, sub_response, context, root_value, request_data
                )
        except TimeoutError:
            return _timed_out(seconds)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        request.state.sub_response = sub_response
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """GraphQL over HTTP: a client that accepts application/graphql-response+json gets
        it, and a request error (unparsable, invalid, bad variables, refused before running)
        is a 4xx without a `data` entry; other clients get application/json and 200."""
        response: GraphQLHTTPResponse = await super().process_result(request, result)
        errors = result.errors or []
        if errors:  # for the request's metrics and log line
            codes = [_error_code(e) for e in errors]
            structlog.contextvars.bind_contextvars(graphql_errors=codes)
            for code in codes:
                metrics.GRAPHQL_ERRORS.labels(code, "top").inc()
        sub_response: Response = request.state.sub_response
        graphql_response = GRAPHQL_RESPONSE in request.headers.get("accept", "")
        if graphql_response:
            sub_response.media_type = GRAPHQL_RESPONSE
        if any(is_unavailable(e) for e in errors):
            # a dependency is down: 503 for every client, so proxies and retries see it
            sub_response.status_code = 503
            sub_response.headers["Retry-After"] = str(outage.RETRY_AFTER_SECONDS)
            sub_response.headers["Cache-Control"] = "no-store"
            return response
        if not graphql_response:
            return response
        if result.data is None and errors and all(e.path is None for e in errors):
            kinds = {(e.extensions or {}).get("code") for e in errors}
            sub_response.status_code = 503 if kinds == {"TIMEOUT"} else 400
            response.pop("data", None)
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type == GRAPHQL_RESPONSE:
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
        return response

    def decode_json(self, data: str | bytes) -> object:
        # orjson refuses nesting past 1024 levels with a JSONDecodeError (a 400), where the
        # standard library would recurse until RecursionError
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        body = orjson.dumps(data)
        if len(body) > self.settings.max_response_bytes:
            return orjson.dumps(
                {
                    "data": None,
                    "errors": [
                        {
                            "message": f"The response is larger than "
                            f"{self.settings.max_response_bytes} bytes; ask for less at a time.",
                            "extensions": {"code": "RESPONSE_TOO_LARGE"},
                        }
                    ],
                }
            )
        return body


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers. Touches nothing else (see /readyz)."""
    return JSONResponse({"status": "ok"})


READY_WITHIN = 1.0


async def metrics_endpoint(request: Request) -> Response:
    """GET /metrics: Prometheus text format. With BITCART_METRICS_TOKEN set, only for a
    scraper that sends it as a bearer token; without, only for this host (a loopback peer
    that no proxy forwarded), so it is never public by mistake."""
    wanted: str = request.app.state.settings.metrics_token
    if wanted:
        given = (bearer_token(request) or "").encode("utf-8", "surrogateescape")
        # compared as bytes: a str with characters beyond ASCII is refused by compare_digest
        if not hmac.compare_digest(given, wanted.encode()):
            return JSONResponse({"error": {"code": "UNAUTHENTICATED"}}, status_code=401)
    elif not metrics.from_this_host(request):
        return JSONResponse(
            {
                "error": {
                    "code": "FORBIDDEN",
                    "message": "Set BITCART_METRICS_TOKEN to scrape /metrics from elsewhere.",
                }
            },
            status_code=403,
        )
    body, content_type = await metrics.render(request.app.state.redis)
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})


async def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 only when the database and Redis both answer within a second; 503
    naming the one that did not. A load balancer sends traffic only to ready processes."""
    checks = {
        "database": _database_answers(),
        "redis": _redis_answers(request.app.state.redis),
    }
    results = await asyncio.gather(*(_within(check) for check in checks.values()))
    status = {
        name: ("ok" if ok else "unavailable") for name, ok in zip(checks, results, strict=True)
    }
    ready = all(results)
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", **status},
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )


async def _within(check: Any) -> bool:
    """True when the check succeeds within READY_WITHIN seconds. The check runs in a task of
    its own that a timeout never cuts off (the database client is not safe against that)."""
    task = asyncio.ensure_future(check)
    try:
        await asyncio.wait_for(asyncio.shield(task), READY_WITHIN)
    except TimeoutError:
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return False
    except Exception:
        return False
    return True


async def _database_answers() -> None:
    await connections.get("default").execute_query("SELECT 1")


async def _redis_answers(redis: Any) -> None:
    if redis is None:
        raise RuntimeError("no Redis")
    await redis.ping()


_HTTP_STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.INVALID_STATUS_TRANSITION: 409,
}


def _path_id(request: Request, name: str) -> int:
    """An id from the path; one no row can have is simply not found."""
    value: int = request.path_params[name]
    if not 0 < value <= MAX_ID:
        raise DomainError(ErrorCode.NOT_FOUND, "Not found.")
    return value


def _error_response(exc: DomainError) -> JSONResponse:
    issue = exc.issues[0]
    return JSONResponse(
        {"error": {"code": issue.code.value, "message": issue.message}},
        status_code=_HTTP_STATUS.get(issue.code, 400),
    )


async def _requester(request: Request) -> Viewer:
    """Who asks for a download: the bearer token, as for /graphql."""
    settings: Settings = request.app.state.settings
    return await viewer_from_token(bearer_token(request), settings.secret_key)


def _file_headers(name: str, *, inline: bool = False) -> dict[str, str]:
    """A private download: named, never cached, never sniffed into something else."""
    return {
        "Content-Disposition": f'{"inline" if inline else "attachment"}; filename="{name}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }


async def download_document(request: Request) -> Response:
    """GET /documents/{id}: the PDF, for whoever may see all of its orders."""
    viewer = await _requester(request)
    try:
        document = await documents.open_document(viewer, _path_id(request, "document_id"))
    except DomainError as exc:
        return _error_response(exc)
    name = f"{document.kind.value.lower().replace('_', '-')}-{document.id}.pdf"
    return await _stream(
        request.app.state.storage,
        document.storage_key,
        media_type="application/pdf",
        headers=_file_headers(name, inline=True),
    )


async def download_import_result(request: Request) -> Response:
    """GET /imports/{id}/result.csv: every row and its outcome, safe to open in a spreadsheet."""
    viewer = await _requester(request)
    try:
        tracking_import, csv_text = await imports.result_csv(viewer, _path_id(request, "import_id"))
    except DomainError as exc:
        return _error_response(exc)
    return Response(
        csv_text,
        media_type="text/csv; charset=utf-8",
        headers=_file_headers(f"tracking-import-{tracking_import.id}.csv"),
    )


async def download_export(request: Request) -> Response:
    """GET /exports/{id}: the CSV of a finished export, streamed from storage."""
    viewer = await _requester(request)
    try:
        export = await exports.open_export(viewer, _path_id(request, "export_id"))
    except DomainError as exc:
        return _error_response(exc)
    name = f"orders-{export.granularity.value.lower()}-{export.id}.csv"
    return await _stream(
        request.app.state.storage,
        export.storage_key,
        media_type="text/csv; charset=utf-8",
        headers=_file_headers(name),
    )


async def _stream(storage: Storage, key: str, media_type: str, headers: dict[str, str]) -> Response:
    """A stored file, sent a chunk at a time as it is read (from the folder or S3)."""
    if not await asyncio.to_thread(storage.exists, key):
        return JSONResponse(
            {"error": {"code": "NOT_FOUND", "message": "The file is gone from storage."}},
            status_code=404,
        )
    return StreamingResponse(storage.chunks(key), media_type=media_type, headers=headers)


def _routes(settings: Settings, graphql: GraphQLApp) -> list[Any]:
    return [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        Route("/track", tracking_page.track),
        Route("/track/{token}", tracking_page.track_by_token),
        Route("/documents/{document_id:int}", download_document),
        Route("/imports/{import_id:int}/result.csv", download_import_result),
        Route("/exports/{export_id:int}", download_export),
        *console.routes(settings.console_dir),
    ]


def _middleware(settings: Settings) -> list[Middleware]:
    return [
        Middleware(RequestLog),
        Middleware(outage.Unavailable),
        Middleware(PrivateWhenSignedIn),
        Middleware(
            BodyLimit,
            max_body=settings.max_body_bytes,
            max_upload=settings.max_upload_bytes,
        ),
        *(
            [
                Middleware(
                    CORSMiddleware,
                    allow_origins=list(settings.cors_origins),
                    allow_methods=["GET", "POST"],
                    allow_headers=["Authorization", "Content-Type"],
                    max_age=600,
                )
            ]
            if settings.cors_origins
            else []
        ),
    ]


def create_app(settings: Settings | None = None, *, run_worker: bool = False) -> Starlette:
    """The ASGI app; with run_worker the job worker runs in this process too."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(settings)):
            pool = (
                await create_pool(redis_settings(settings.redis_url))
                if settings.redis_url
                else None
            )
            app.state.redis = pool
            app.state.live = live.Hub(pool) if pool is not None else None
            # how this process sees a dependency it lost come back (app.outage)
            outage.OUTAGES.watch(outage.DATABASE, _database_answers)
            outage.OUTAGES.watch(outage.REDIS, lambda: _redis_answers(app.state.redis))
            worker_task = None
            if run_worker and pool is not None:
                worker = build_worker(settings, own_database=False, handle_signals=False)
                worker_task = asyncio.create_task(worker.async_run())
            try:
                yield
            finally:
                # On Ctrl+C the embedded Valkey may be gone already: leave quietly.
                if worker_task is not None:
                    worker_task.cancel()
                    with suppress(asyncio.CancelledError, RedisError, OSError):
                        await worker_task
                    with suppress(RedisError, OSError):
                        await worker.close()
                if app.state.live is not None:
                    await app.state.live.close()
                await outage.OUTAGES.close()
                if pool is not None:
                    with suppress(RedisError, OSError):
                        await pool.aclose()

    graphql = GraphQLApp(settings)
    app = Starlette(
        routes=_routes(settings, graphql),
        middleware=_middleware(settings),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.renderer = Renderer(settings.template_dir, settings.font_dirs)
    app.state.storage = storage_from(settings.storage_url, settings.data_dir)
    return app
