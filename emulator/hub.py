"""The local hub API (``/api/v1``) over aiohttp."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler

from .events import RATE_HEADERS, EventStream
from .faults import FaultSet, FaultTarget
from .firmware import Install, parse_install_body
from .home import Home
from .keys import Access, KeyRing
from .middleware import ApiServer
from .ratelimit import SlidingWindowLimiter
from .responses import (
    bearer_token,
    error_response,
    json_response,
    read_json,
    read_json_object,
    state_response,
)
from .stats import Stats

API_PREFIX: Final = "/api/v1"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
API_KEY: Final = "hearth_api_key"


class HubServer(ApiServer):
    """Serves one :class:`~.home.Home` as a hub's local API."""

    fault_target = FaultTarget.HUB
    health_path = f"{API_PREFIX}/health"

    def __init__(
        self,
        home: Home,
        keys: KeyRing,
        limiter: SlidingWindowLimiter,
        faults: FaultSet,
        stats: Stats,
        stopping: Callable[[], asyncio.Event],
        install: Install,
    ) -> None:
        """Keep the state the handlers serve; ``install`` starts a firmware install."""
        super().__init__(limiter, faults, stats, stopping)
        self.home = home
        self.keys = keys
        self._install = install

    def build_app(self) -> web.Application:
        """Return the aiohttp application of the hub API."""
        app = self.application()
        app.router.add_get(f"{API_PREFIX}/info", self._info)
        app.router.add_get(f"{API_PREFIX}/state", self._state)
        app.router.add_get(f"{API_PREFIX}/devices/{{device_id}}", self._device)
        app.router.add_patch(f"{API_PREFIX}/devices/{{device_id}}", self._command)
        app.router.add_get(f"{API_PREFIX}/events", self._events)
        app.router.add_get(f"{API_PREFIX}/firmware", self._firmware)
        app.router.add_post(f"{API_PREFIX}/firmware/install", self._install_firmware)
        return app

    @web.middleware
    async def _auth_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Check the API key, count the request and add the rate-limit headers."""
        if not request.path.startswith(f"{API_PREFIX}/"):
            return await handler(request)
        key = bearer_token(request)
        access = self.keys.access(key)
        if key is None or access is None:
            return error_response(
                401,
                "invalid_auth",
                "Missing or unknown API key",
                {"WWW-Authenticate": 'Bearer realm="hearth"'},
            )
        decision = self.limiter.hit(f"hub:{key}")
        headers = decision.headers()
        if not decision.allowed:
            headers["Retry-After"] = decision.retry_after(
                self.limiter.retry_after_format
            )
            return error_response(
                429, "rate_limited", "Too many requests for this API key", headers
            )
        request[RATE_HEADERS] = headers
        request[API_KEY] = key
        if access is Access.READ_ONLY and request.method not in SAFE_METHODS:
            return error_response(
                403, "forbidden", "This API key is read-only", headers
            )
        response = await handler(request)
        if not response.prepared:
            response.headers.update(headers)
        return response

    async def _info(self, request: web.Request) -> web.Response:
        return json_response(self.home.hub.to_json())

    async def _state(self, request: web.Request) -> web.Response:
        return state_response(request, self.home)

    async def _device(self, request: web.Request) -> web.Response:
        device = self.home.get(request.match_info["device_id"])
        return json_response(device.to_json())

    async def _command(self, request: web.Request) -> web.Response:
        device_id = request.match_info["device_id"]
        self.home.get(device_id)
        device = self.home.command(device_id, await read_json(request))
        return json_response(device.to_json())

    async def _firmware(self, request: web.Request) -> web.Response:
        return json_response(self.home.firmware_json())

    async def _install_firmware(self, request: web.Request) -> web.Response:
        version = parse_install_body(await read_json_object(request, allow_empty=True))
        return json_response(self._install(self.home, version), status=202)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        key = request[API_KEY]
        return await self.streams.serve(
            request,
            lambda socket: EventStream(socket, request, key),
            self.home.subscribe,
        )
