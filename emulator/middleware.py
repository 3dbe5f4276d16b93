"""aiohttp middlewares shared by the hub and the cloud servers.

Order, outermost first: statistics, faults, authentication (per server, see
:mod:`.hub` and :mod:`.cloud`), errors. A fault that acts before the request
is handled therefore never uses up rate budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
from typing import Any, Final, TypeGuard

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
import orjson

from .events import EventStreams
from .faults import BEFORE_KINDS, Fault, FaultKind, FaultSet, FaultTarget
from .home import HomeError
from .ratelimit import SlidingWindowLimiter
from .responses import (
    JSON_CONTENT_TYPE,
    ApiError,
    api_error_response,
    code_for_status,
    dumps,
    error_response,
    json_response,
)
from .stats import Stats

_LOGGER = logging.getLogger(__name__)


#: Paths no fault and no statistic applies to (besides the hub page ``/``).
EXEMPT_PREFIXES: Final = ("/admin", "/ssdp")
#: Set on a request whose connection was closed on purpose.
DROPPED: Final = "hearth_dropped"
#: Bodies of ``huge_body`` are this much larger than the client's 8 MiB cap.
HUGE_BODY_BYTES: Final = 8 * 1024 * 1024 + 256 * 1024
MALFORMED_BODY: Final = b"<!DOCTYPE html><html><body>Bad gateway</body></html>"
_CHUNK: Final = 1024 * 1024


def is_exempt(path: str) -> bool:
    """Return True for the hub page, admin and discovery paths."""
    return path == "/" or any(
        path == prefix or path.startswith(f"{prefix}/") for prefix in EXEMPT_PREFIXES
    )


def route_template(request: web.Request) -> str:
    """Return the route a request matched, e.g. ``/api/v1/devices/{device_id}``."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(unmatched)"


def stats_middleware(stats: Stats) -> Middleware:
    """Count every request and answer, except admin ones."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_exempt(request.path):
            return await handler(request)
        stats.record_request(request.method, route_template(request))
        response = await handler(request)
        if request.get(DROPPED):
            stats.record_drop()
        else:
            stats.record_status(response.status)
        return response

    return middleware


@web.middleware
async def errors_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Turn every failure into the ``{"error": {...}}`` body."""
    try:
        return await handler(request)
    except ApiError as err:
        return api_error_response(err)
    except HomeError as err:
        return api_error_response(ApiError.from_home_error(err))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return error_response(exc.status, headers=headers)
    except Exception:
        _LOGGER.exception(
            "Unexpected error handling %s %s", request.method, request.path
        )
        return error_response(500, "server_error", "Internal error")


async def pause(delay: float, stopping: asyncio.Event) -> bool:
    """Wait ``delay`` seconds; return False if the emulator stops first."""
    if delay <= 0:
        return not stopping.is_set()
    try:
        async with asyncio.timeout(delay):
            await stopping.wait()
    except TimeoutError:
        return True
    return False


def hang_up(request: web.Request) -> None:
    """Close the request's connection once what was written has been sent."""
    if request.transport is not None:
        request.transport.close()


def drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the connection without an answer.

    aiohttp then fails quietly to write the placeholder answer returned here.
    """
    request[DROPPED] = True
    hang_up(request)
    return web.Response(status=500)


def _without_ids(data: Any) -> tuple[Any, bool]:
    """Return ``data`` with every ``id`` key removed, and whether any was."""
    if isinstance(data, dict):
        removed = "id" in data
        result: dict[str, Any] = {}
        for key, value in data.items():
            if key == "id":
                continue
            result[key], inner = _without_ids(value)
            removed = removed or inner
        return result, removed
    if isinstance(data, list):
        items = [_without_ids(item) for item in data]
        return [item for item, _ in items], any(inner for _, inner in items)
    return data, False


def wrong_schema_body(body: bytes) -> bytes:
    """Return valid JSON of the wrong shape: the answer without its ``id`` fields."""
    try:
        data, removed = _without_ids(orjson.loads(body))
    except orjson.JSONDecodeError:
        removed, data = False, None
    return dumps(data if removed else {"unexpected": "shape"})


def _copied_headers(response: web.Response) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name.lower() not in {"content-length", "content-type", "transfer-encoding"}
    }


async def _truncated_body(
    request: web.Request, response: web.Response, body: bytes
) -> web.StreamResponse:
    """Promise the whole body in Content-Length, send half, then hang up."""
    stream = web.StreamResponse(
        status=response.status, headers=_copied_headers(response)
    )
    stream.content_type = JSON_CONTENT_TYPE
    stream.content_length = len(body)
    await stream.prepare(request)
    await stream.write(body[: len(body) // 2])
    hang_up(request)
    return stream


async def _huge_body(
    request: web.Request, response: web.Response, *, chunked: bool
) -> web.StreamResponse:
    """Send a valid JSON document larger than the client accepts."""
    padding = b"x" * HUGE_BODY_BYTES
    body = b'{"padding":"' + padding + b'"}'
    if not chunked:
        return web.Response(
            body=body,
            status=200,
            content_type=JSON_CONTENT_TYPE,
            headers=_copied_headers(response),
        )
    stream = web.StreamResponse(status=200, headers=_copied_headers(response))
    stream.content_type = JSON_CONTENT_TYPE
    stream.enable_chunked_encoding()
    await stream.prepare(request)
    try:
        for start in range(0, len(body), _CHUNK):
            await stream.write(body[start : start + _CHUNK])
        await stream.write_eof()
    except ConnectionError:
        request[DROPPED] = True
    return stream


async def spoil(
    request: web.Request, response: web.Response, fault: Fault
) -> web.StreamResponse:
    """Replace a successful answer by the broken one a fault asks for."""
    body = response.body if isinstance(response.body, bytes) else b""
    if fault.kind is FaultKind.TRUNCATED_BODY:
        return await _truncated_body(request, response, body)
    if fault.kind is FaultKind.HUGE_BODY:
        return await _huge_body(request, response, chunked=fault.chunked)
    if fault.kind is FaultKind.MALFORMED_JSON:
        new_body = MALFORMED_BODY
    elif fault.kind is FaultKind.TRUNCATED_JSON:
        new_body = body[: len(body) // 2]
    else:
        new_body = wrong_schema_body(body)
    return web.Response(
        body=new_body,
        status=response.status,
        content_type=JSON_CONTENT_TYPE,
        headers=_copied_headers(response),
    )


def _spoilable(response: web.StreamResponse) -> TypeGuard[web.Response]:
    return (
        isinstance(response, web.Response)
        and response.status == 200
        and not response.prepared
        and isinstance(response.body, bytes)
        and bool(response.body)
    )


def fault_middleware(
    faults: FaultSet, target: FaultTarget, stopping: Callable[[], asyncio.Event]
) -> Middleware:
    """Apply the first matching request fault to each request."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        fault = None if is_exempt(request.path) else faults.find(target, request.path)
        if fault is None:
            return await handler(request)
        if fault.kind in BEFORE_KINDS:
            faults.use(fault)
        if not await pause(fault.delay, stopping()):
            return drop_connection(request)
        if fault.kind in {FaultKind.LATENCY, FaultKind.HANG}:
            return await handler(request)
        if fault.kind is FaultKind.SERVER_ERROR:
            return error_response(
                fault.status, code_for_status(fault.status), "Injected fault"
            )
        if fault.kind is FaultKind.DROP:
            return drop_connection(request)
        # Ask for the full answer even when the client's copy is current, so
        # that a 304 does not slip past the fault.
        headers = request.headers.copy()
        headers.popall("If-None-Match", None)
        response = await handler(request.clone(headers=headers))
        if not _spoilable(response):
            return response
        faults.use(fault)
        return await spoil(request, response, fault)

    return middleware


class ApiServer:
    """What the hub and the cloud servers share: budget, faults, statistics, streams.

    A subclass supplies its own ``_auth_middleware`` and its routes.
    """

    #: Which faults apply to this server.
    fault_target: FaultTarget
    #: The health check: no credentials, no budget, but faults apply to it.
    health_path: str

    def __init__(
        self,
        limiter: SlidingWindowLimiter,
        faults: FaultSet,
        stats: Stats,
        stopping: Callable[[], asyncio.Event],
    ) -> None:
        """Keep the state every server's middlewares use."""
        self.limiter = limiter
        self.faults = faults
        self.stats = stats
        self._stopping = stopping
        #: The open event-stream WebSockets.
        self.streams = EventStreams()

    async def _auth_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Check the credentials and the budget of an API request."""
        raise NotImplementedError

    @web.middleware
    async def _credentials_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Let the health check through; everything else meets the auth check."""
        if request.path == self.health_path:
            return await handler(request)
        return await self._auth_middleware(request, handler)

    def application(self) -> web.Application:
        """Return an application with the middlewares, outermost first.

        Every server answers its health check: ``{"status": "ok"}`` while it
        serves requests, so a client can tell when it is back without using
        any of its budget.
        """
        app = web.Application(
            middlewares=[
                stats_middleware(self.stats),
                fault_middleware(self.faults, self.fault_target, self._stopping),
                self._credentials_middleware,
                errors_middleware,
            ],
            client_max_size=1024 * 1024,
        )
        app.router.add_get(self.health_path, _health)
        return app

    async def close(self) -> None:
        """Close every event stream with ``going away``."""
        await self.streams.close()


async def _health(request: web.Request) -> web.Response:
    """Answer the health check."""
    return json_response({"status": "ok"})


class _JsonErrorRequestHandler(RequestHandler):
    """aiohttp's connection handler, answering unparsable requests with JSON.

    A request that is not valid HTTP (a control character in a header, a
    broken request line) never reaches the application; aiohttp answers it
    itself with a plain-text 400 and logs a traceback. Here it gets the
    usual error body instead, and only a debug line.
    """

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500 or request.writer.output_size > 0:
            return super().handle_error(request, status, exc, message)
        _LOGGER.debug("Refused a malformed request: %s", exc)
        response = error_response(
            status, code_for_status(status), "The request is not valid HTTP"
        )
        response.force_close()
        return response


class _JsonErrorServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrorRequestHandler(self, loop=self._loop, **self._kwargs)


class AppRunner(web.AppRunner):
    """An AppRunner whose connections answer malformed HTTP with the error body."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _JsonErrorServer
        return server
