"""The Hearth Cloud API (``/v1``) and its OAuth2 endpoints over aiohttp."""

from __future__ import annotations

import asyncio
import binascii
from collections.abc import Callable, Coroutine
from typing import Any, Final
from urllib.parse import parse_qsl, unquote_plus

from aiohttp import BasicAuth, web
from aiohttp.typedefs import Handler
from yarl import URL

from .account import CloudAccount
from .events import RATE_HEADERS, EventStream
from .faults import FaultSet, FaultTarget
from .firmware import Install, parse_install_body
from .middleware import ApiServer
from .oauth import (
    SCOPE_READ,
    SCOPE_WRITE,
    AccessToken,
    OAuthError,
    TokenError,
    TokenStore,
    parse_scope,
    redirect_allowed,
)
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

API_PREFIX: Final = "/v1"
AUTHORIZE_PATH: Final = "/oauth/authorize"
TOKEN_PATH: Final = "/oauth/token"  # noqa: S105 - a URL path
FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"
_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: The WebSocket close code of a stream whose access token expired.
TOKEN_EXPIRED_CLOSE_CODE: Final = 4001
TOKEN_EXPIRED_REASON: Final = "token_expired"  # noqa: S105 - an error code
_GRANT: Final = "hearth_grant"


def _oauth_error_response(err: OAuthError, *, basic: bool = False) -> web.Response:
    headers = dict(_NO_STORE)
    if err.status == 401 and basic:
        headers["WWW-Authenticate"] = 'Basic realm="hearth"'
    return json_response(
        {"error": err.error, "error_description": err.description},
        status=err.status,
        headers=headers,
    )


async def _read_form(request: web.Request) -> dict[str, str]:
    """Return the ``application/x-www-form-urlencoded`` body of a token request.

    Anything else (another content type, bytes that are not UTF-8, a
    parameter given twice, a body over the size limit) is an OAuthError.
    """
    if request.content_type != FORM_CONTENT_TYPE:
        raise OAuthError("invalid_request", f"The body must be {FORM_CONTENT_TYPE}")
    try:
        text = (await request.read()).decode()
    except web.HTTPRequestEntityTooLarge as err:
        raise OAuthError("invalid_request", "The body is too large", 413) from err
    except UnicodeDecodeError as err:
        raise OAuthError("invalid_request", "The body is not UTF-8") from err
    form: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        if name in form:
            raise OAuthError("invalid_request", f"{name!r} is given more than once")
        form[name] = value
    return form


def _redirect(location: URL) -> web.Response:
    return web.Response(status=302, headers={"Location": str(location)})


class _CloudEventStream(EventStream):
    """A ``/v1/events`` stream, closed with 4001 when its access token expires.

    Expiry is checked before each message is sent, and by a timer that sleeps
    until the expiry the injected clock gives, then checks that clock again.
    """

    def __init__(
        self,
        socket: web.WebSocketResponse,
        request: web.Request,
        token: str,
        grant: AccessToken,
        clock: Callable[[], float],
    ) -> None:
        super().__init__(socket, request, token)
        self.grant = grant
        self.clock = clock

    def must_close(self) -> tuple[int, str] | None:
        if self.grant.is_expired(self.clock()):
            return TOKEN_EXPIRED_CLOSE_CODE, TOKEN_EXPIRED_REASON
        return None

    def watchers(self) -> list[Coroutine[Any, Any, None]]:
        return [self._expire()]

    async def _expire(self) -> None:
        # The injected clock may stand still or jump (tests), so sleep until
        # the expiry it gives now, then ask it again.
        reason = self.must_close()
        while reason is None:
            await asyncio.sleep(max(0.0, self.grant.expires_at - self.clock()))
            reason = self.must_close()
        self.end(*reason)


class CloudServer(ApiServer):
    """Serves a :class:`~.account.CloudAccount` and its OAuth2 authorization server."""

    fault_target = FaultTarget.CLOUD
    health_path = f"{API_PREFIX}/health"

    def __init__(
        self,
        account: CloudAccount,
        tokens: TokenStore,
        limiter: SlidingWindowLimiter,
        faults: FaultSet,
        stats: Stats,
        stopping: Callable[[], asyncio.Event],
        install: Install,
    ) -> None:
        """Keep the state the handlers serve; ``install`` starts a firmware install."""
        super().__init__(limiter, faults, stats, stopping)
        self.account = account
        self.tokens = tokens
        self._install = install

    def build_app(self) -> web.Application:
        """Return the aiohttp application of the cloud API."""
        app = self.application()
        app.router.add_get(AUTHORIZE_PATH, self._authorize)
        app.router.add_post(TOKEN_PATH, self._token)
        app.router.add_get(f"{API_PREFIX}/me", self._me)
        app.router.add_get(f"{API_PREFIX}/hubs", self._hubs)
        app.router.add_get(f"{API_PREFIX}/hubs/{{hub_id}}/state", self._hub_state)
        app.router.add_patch(
            f"{API_PREFIX}/hubs/{{hub_id}}/devices/{{device_id}}", self._command
        )
        app.router.add_get(f"{API_PREFIX}/events", self._events)
        app.router.add_get(f"{API_PREFIX}/hubs/{{hub_id}}/firmware", self._firmware)
        app.router.add_post(
            f"{API_PREFIX}/hubs/{{hub_id}}/firmware/install", self._install_firmware
        )
        return app

    def close_expired_streams(self) -> None:
        """Close, with 4001, every stream whose access token has expired."""
        for stream in self.streams:
            if (reason := stream.must_close()) is not None:
                stream.end(*reason)

    @web.middleware
    async def _auth_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Check the access token and its scope; count the request per account."""
        if not request.path.startswith(f"{API_PREFIX}/"):
            return await handler(request)
        try:
            grant = self.tokens.validate(bearer_token(request))
        except TokenError as err:
            return error_response(
                401,
                err.code,
                str(err),
                {
                    "WWW-Authenticate": f'Bearer realm="hearth", error="invalid_token", error_description="{err}"'
                },
            )
        decision = self.limiter.hit(f"account:{self.account.id}")
        headers = decision.headers()
        if not decision.allowed:
            headers["Retry-After"] = decision.retry_after(
                self.limiter.retry_after_format
            )
            return error_response(
                429, "rate_limited", "Too many requests for this account", headers
            )
        needed = SCOPE_READ if request.method in _SAFE_METHODS else SCOPE_WRITE
        if needed not in grant.scopes:
            headers["WWW-Authenticate"] = (
                f'Bearer realm="hearth", error="insufficient_scope", scope="{needed}"'
            )
            return error_response(
                403, "insufficient_scope", f"This needs the {needed} scope", headers
            )
        request[RATE_HEADERS] = headers
        request[_GRANT] = grant
        response = await handler(request)
        if not response.prepared:
            response.headers.update(headers)
        return response

    async def _authorize(self, request: web.Request) -> web.Response:
        """Approve every valid authorization request at once (no login page)."""
        query = request.query
        if query.get("client_id") != self.tokens.client_id:
            return _oauth_error_response(
                OAuthError("invalid_request", "Unknown or missing client_id")
            )
        redirect_uri = query.get("redirect_uri", "")
        try:
            target = URL(redirect_uri)
        except ValueError:
            target = URL()
        if target.scheme not in {"http", "https"} or not target.host:
            return _oauth_error_response(
                OAuthError("invalid_request", "'redirect_uri' must be an absolute URL")
            )
        if not redirect_allowed(redirect_uri, self.tokens.redirect_uris):
            return _oauth_error_response(
                OAuthError(
                    "invalid_request",
                    "'redirect_uri' is not registered; start the emulator with "
                    "--redirect-uri to allow it",
                )
            )
        echo = {"state": query["state"]} if "state" in query else {}
        if query.get("response_type") != "code":
            return _redirect(
                target.update_query(error="unsupported_response_type", **echo)
            )
        try:
            scopes = parse_scope(query.get("scope"))
        except OAuthError as err:
            return _redirect(target.update_query(error=err.error, **echo))
        code = self.tokens.create_code(self.tokens.client_id, redirect_uri, scopes)
        return _redirect(target.update_query(code=code, **echo))

    async def _token(self, request: web.Request) -> web.Response:
        """Issue tokens for the ``authorization_code`` and ``refresh_token`` grants."""
        basic = "Authorization" in request.headers
        try:
            form = await _read_form(request)
            client_id = self._authenticate_client(request, form)
            result = self._grant(form, client_id)
        except OAuthError as err:
            return _oauth_error_response(err, basic=basic)
        return json_response(result, headers=_NO_STORE)

    def _authenticate_client(self, request: web.Request, form: dict[str, str]) -> str:
        """Check the client credentials (HTTP Basic or form); return the client id."""
        if "Authorization" in request.headers:
            try:
                credentials = BasicAuth.decode(request.headers["Authorization"])
            except (ValueError, binascii.Error) as err:
                raise OAuthError(
                    "invalid_client", "Unreadable client credentials", 401
                ) from err
            client_id = unquote_plus(credentials.login)
            client_secret: str | None = unquote_plus(credentials.password)
        else:
            client_id = form.get("client_id", "")
            client_secret = form.get("client_secret")
        self.tokens.check_client(client_id, client_secret)
        return client_id

    def _grant(self, form: dict[str, str], client_id: str) -> dict[str, object]:
        """Run the grant the form asks for."""
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self.tokens.exchange_code(
                form.get("code"), form.get("redirect_uri"), client_id
            )
        if grant_type == "refresh_token":
            return self.tokens.refresh(
                form.get("refresh_token"), client_id, form.get("scope")
            )
        if grant_type is None:
            raise OAuthError("invalid_request", "'grant_type' is required")
        raise OAuthError(
            "unsupported_grant_type", f"Unsupported grant_type {grant_type!r}"
        )

    async def _me(self, request: web.Request) -> web.Response:
        return json_response(self.account.to_json())

    async def _hubs(self, request: web.Request) -> web.Response:
        return json_response(self.account.page(request.query.get("cursor")))

    async def _hub_state(self, request: web.Request) -> web.Response:
        home = self.account.reachable(request.match_info["hub_id"])
        return state_response(request, home)

    async def _command(self, request: web.Request) -> web.Response:
        home = self.account.reachable(request.match_info["hub_id"])
        device_id = request.match_info["device_id"]
        home.get(device_id)
        device = home.command(device_id, await read_json(request))
        return json_response(device.to_json())

    async def _firmware(self, request: web.Request) -> web.Response:
        home = self.account.reachable(request.match_info["hub_id"])
        return json_response(home.firmware_json())

    async def _install_firmware(self, request: web.Request) -> web.Response:
        home = self.account.reachable(request.match_info["hub_id"])
        version = parse_install_body(await read_json_object(request, allow_empty=True))
        return json_response(self._install(home, version), status=202)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        token, grant = bearer_token(request) or "", request[_GRANT]
        return await self.streams.serve(
            request,
            lambda socket: _CloudEventStream(
                socket, request, token, grant, self.tokens.clock
            ),
            self.account.subscribe,
        )
