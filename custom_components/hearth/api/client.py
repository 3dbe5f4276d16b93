"""Asynchronous client for the Hearth hub and cloud APIs.

Every request goes through :meth:`_HearthApi._request`, which owns the URL,
the headers, the timeout, the status mapping and the decoding. The public
methods are thin on top of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import ipaddress
import os
import ssl as ssl_module
from typing import Any, Final

from aiohttp import (
    ClientConnectorError,
    ClientError,
    ClientPayloadError,
    ClientSession,
    ClientSSLError,
    ClientWebSocketResponse,
    Fingerprint,
    ServerDisconnectedError,
    ServerFingerprintMismatch,
    WSMessage,
    WSMsgType,
    WSServerHandshakeError,
)
from mashumaro.exceptions import InvalidFieldValue, MissingField
import orjson
from yarl import URL

from .auth import AbstractAuth
from .exceptions import (
    HearthAuthenticationError,
    HearthCertificateError,
    HearthConnectionError,
    HearthForbiddenError,
    HearthInvalidResponseError,
    HearthNotFoundError,
    HearthRateLimitError,
    HearthRequestError,
    HearthServerError,
    HearthTimeoutError,
    HearthTokenExpiredError,
    HearthUnsupportedVersionError,
)
from .models import (
    Account,
    CloudEvent,
    CloudHub,
    Device,
    DeviceCommand,
    Event,
    Firmware,
    HubInfo,
    HubPage,
    HubState,
    RateLimitInfo,
)

DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_PORT: Final = 443
DEFAULT_CLOUD_URL: Final = "https://api.hearth-home.io"
SUPPORTED_API_MAJOR: Final = 1
#: Larger answers are refused: a 1,000-device /state is about 400 kB.
MAX_BODY_BYTES: Final = 8 * 1024 * 1024
#: Used when a 429 carries no usable Retry-After or RateLimit-Reset.
DEFAULT_RETRY_AFTER: Final = 60.0
#: The error code of an expired access token.
TOKEN_EXPIRED: Final = "token_expired"  # noqa: S105 - an error code
#: The WebSocket close code the cloud ends an event stream with when the
#: access token it was opened with expires.
TOKEN_EXPIRED_CLOSE_CODE: Final = 4001
#: An event stream that sends nothing this long is pinged; one that still
#: sends nothing (not even the pong) as long again is dead: a silent stream
#: is noticed within twice this.
STREAM_PING_AFTER: Final = 12.0
_DECODE_ERRORS = (
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    MissingField,
    InvalidFieldValue,
)

type SSLOption = ssl_module.SSLContext | Fingerprint | bool


def parse_retry_after(
    value: str | None, *, now: datetime | None = None
) -> float | None:
    """Parse a Retry-After header given as delta-seconds or as an HTTP-date.

    Returns the delay in seconds (never negative), or None when unusable.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimitInfo | None:
    """Read the RateLimit-* headers, or return None when they are absent."""
    try:
        return RateLimitInfo(
            limit=int(headers["RateLimit-Limit"]),
            remaining=int(headers["RateLimit-Remaining"]),
            reset=float(headers["RateLimit-Reset"]),
        )
    except (KeyError, ValueError):
        return None


def is_loopback(host: str | None) -> bool:
    """Return True for localhost and the loopback address ranges."""
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _unreachable(url: URL, err: ClientConnectorError) -> HearthConnectionError:
    """Say which address could not be reached, and why.

    str(err) would show the ssl= object's repr.
    """
    code = err.os_error.errno
    reason = (
        os.strerror(code)
        if code and code > 0
        else err.os_error.strerror or type(err.os_error).__name__
    )
    return HearthConnectionError(f"Cannot reach {url.host}:{url.port}: {reason}")


def _untrusted(
    url: URL, err: ServerFingerprintMismatch | ClientSSLError
) -> HearthCertificateError:
    """Say that the server's certificate is not the pinned or a trusted one."""
    if isinstance(err, ServerFingerprintMismatch):
        return HearthCertificateError(
            f"The certificate of {url.host} does not match the pinned one",
            fingerprint=err.got.hex(),
        )
    return HearthCertificateError(f"The certificate of {url.host} is not trusted")


@dataclass(slots=True)
class _Response:
    """What the funnel hands back to the public methods."""

    status: int
    body: bytes
    etag: str | None


class _HearthApi:
    """The request funnel shared by the hub and the cloud clients."""

    def __init__(
        self,
        session: ClientSession,
        base_url: URL,
        auth: AbstractAuth,
        *,
        ssl: SSLOption = True,
        request_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Set up the funnel; credentials never travel over plain HTTP."""
        if base_url.scheme != "https" and not (
            base_url.scheme == "http" and is_loopback(base_url.host)
        ):
            raise ValueError("Hearth credentials are only sent over HTTPS")
        self._session = session
        self._base_url = base_url
        self._auth = auth
        self._ssl = ssl
        self.request_timeout = request_timeout
        #: The rate-limit headers of the most recent response, if it had them.
        self.rate_limit: RateLimitInfo | None = None
        self._etags: dict[str, tuple[str, HubState]] = {}

    @property
    def base_url(self) -> URL:
        """Return the URL every request path is joined to."""
        return self._base_url

    async def _headers(self) -> dict[str, str]:
        token = await self._auth.async_get_access_token()
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        if_none_match: str | None = None,
        authenticated: bool = True,
    ) -> _Response:
        """Send one request and return its successful answer.

        An idempotent GET is retried once, at once, when the server closed the
        connection without answering: aiohttp (3.9 and later) does that itself
        for GET but not for PATCH, so the client adds no retry of its own
        (that would make four attempts). Every other retry is the caller's.
        """
        url = self._base_url.joinpath(path.lstrip("/"), encoded=False)
        if params:
            url = url.with_query(params)
        headers = (
            await self._headers() if authenticated else {"Accept": "application/json"}
        )
        if if_none_match:
            headers["If-None-Match"] = if_none_match
        try:
            return await self._send(method, url, headers, json)
        except ServerDisconnectedError as err:
            raise HearthConnectionError(f"{url.host} closed the connection") from err

    async def _send(
        self, method: str, url: URL, headers: dict[str, str], json: Any
    ) -> _Response:
        try:
            async with (
                asyncio.timeout(self.request_timeout),
                self._session.request(
                    method, url, headers=headers, json=json, ssl=self._ssl
                ) as resp,
            ):
                body = await self._read_body(resp.content, resp.content_length)
                status = resp.status
                response_headers = resp.headers
        except (ServerFingerprintMismatch, ClientSSLError) as err:
            raise _untrusted(url, err) from err
        except TimeoutError as err:
            raise HearthTimeoutError(
                f"Timed out after {self.request_timeout:g} s talking to {url.host}"
            ) from err
        except ServerDisconnectedError:
            raise
        except ClientPayloadError as err:
            raise HearthConnectionError(
                f"The answer from {url.host} was cut off"
            ) from err
        except ClientConnectorError as err:
            raise _unreachable(url, err) from err
        except (ClientError, OSError) as err:
            raise HearthConnectionError(f"Cannot reach {url.host}: {err}") from err

        if (rate_limit := parse_rate_limit(response_headers)) is not None:
            self.rate_limit = rate_limit
        if status >= 400:
            raise self._error(status, body, response_headers)
        return _Response(status, body, response_headers.get("ETag"))

    @staticmethod
    async def _read_body(content: Any, length: int | None) -> bytes:
        """Read the body, refusing one larger than MAX_BODY_BYTES."""
        if length is not None and length > MAX_BODY_BYTES:
            raise HearthInvalidResponseError("The answer is too large")
        chunks: list[bytes] = []
        size = 0
        async for chunk in content.iter_chunked(65536):
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise HearthInvalidResponseError("The answer is too large")
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _error(status: int, body: bytes, headers: Mapping[str, str]) -> Exception:
        """Map an error status and body to the matching exception."""
        code: str | None = None
        message = f"HTTP {status}"
        try:
            error = orjson.loads(body)["error"]
            code = str(error["code"])
            message = str(error["message"])
        except (ValueError, TypeError, KeyError):
            pass
        if status == 401 and code == TOKEN_EXPIRED:
            return HearthTokenExpiredError(message, status=status, code=code)
        if status == 401:
            return HearthAuthenticationError(message, status=status, code=code)
        if status == 403:
            return HearthForbiddenError(message, status=status, code=code)
        if status == 404:
            return HearthNotFoundError(message, status=status, code=code)
        if status == 429:
            retry_after = parse_retry_after(headers.get("Retry-After"))
            if retry_after is None:
                rate_limit = parse_rate_limit(headers)
                retry_after = rate_limit.reset if rate_limit else DEFAULT_RETRY_AFTER
            return HearthRateLimitError(
                message, retry_after=retry_after, status=status, code=code
            )
        if status >= 500:
            return HearthServerError(message, status=status, code=code)
        return HearthRequestError(message, status=status, code=code)

    @staticmethod
    def _decode[T](model: type[T], body: bytes) -> T:
        """Decode a body into a model, or raise HearthInvalidResponseError."""
        try:
            return model.from_json(body)  # type: ignore[attr-defined,no-any-return]
        except _DECODE_ERRORS as err:
            raise HearthInvalidResponseError(
                f"Unexpected answer: {type(err).__name__}"
            ) from err

    async def async_check_health(self) -> None:
        """Return when the server says it serves requests; raise if not.

        The health check sends no credentials and uses no rate budget.
        """
        await self._request("GET", "health", authenticated=False)

    async def _get_state(self, path: str) -> HubState:
        """GET a state document, reusing the last one when it is unchanged.

        The server answers 304 Not Modified to a matching If-None-Match, which
        saves both the transfer and the parse.
        """
        cached = self._etags.get(path)
        response = await self._request(
            "GET", path, if_none_match=cached[0] if cached else None
        )
        if response.status == 304 and cached is not None:
            return cached[1]
        state = self._decode(HubState, response.body)
        if response.etag:
            self._etags[path] = (response.etag, state)
        else:
            self._etags.pop(path, None)
        return state

    async def _patch_device(self, path: str, command: DeviceCommand) -> Device:
        response = await self._request("PATCH", path, json=command.payload())
        return self._decode(Device, response.body)

    async def _get_firmware(self, path: str) -> Firmware:
        return self._decode(Firmware, (await self._request("GET", path)).body)

    async def _install_firmware(self, path: str, version: str | None) -> Firmware:
        body = None if version is None else {"version": version}
        response = await self._request("POST", path, json=body)
        return self._decode(Firmware, response.body)

    async def _events[E: Event](
        self,
        path: str,
        model: type[E],
        on_open: Callable[[], Awaitable[None]] | None = None,
    ) -> AsyncGenerator[E]:
        """Open an event WebSocket and yield its messages decoded as ``model``.

        ``on_open`` is awaited once the socket is open, before any message is
        read.

        The handshake maps failures like :meth:`_send` does; a close with
        :data:`TOKEN_EXPIRED_CLOSE_CODE` raises HearthTokenExpiredError; any
        other close, or a frame that is not text, ends the generator.
        """
        url = self._base_url.joinpath(path)
        try:
            async with self._session.ws_connect(
                url, headers=await self._headers(), ssl=self._ssl, autoping=False
            ) as socket:
                if on_open is not None:
                    await on_open()
                while (message := await _receive(socket)).type is WSMsgType.TEXT:
                    yield self._decode(model, message.data.encode())
        except (ServerFingerprintMismatch, ClientSSLError) as err:
            raise _untrusted(url, err) from err
        except ClientConnectorError as err:
            raise _unreachable(url, err) from err
        except WSServerHandshakeError as err:
            # Raised below, outside this block: the aiohttp error carries the
            # request's headers, and with them the credential, so it must not
            # become the new error's cause or context.
            status, headers = err.status, dict(err.headers or {})
        except ClientError as err:
            raise HearthConnectionError(f"Event stream failed: {err}") from err
        else:
            # The close frame's code: socket.close_code says 1006 when the
            # server drops the connection before our close reply arrives.
            if (
                message.type is WSMsgType.CLOSE
                and message.data == TOKEN_EXPIRED_CLOSE_CODE
            ):
                raise HearthTokenExpiredError(
                    "The access token expired and the event stream was closed",
                    code=TOKEN_EXPIRED,
                )
            return
        if status in (401, 403, 429) or status >= 500:
            raise self._error(status, b"", headers)
        raise HearthConnectionError(
            f"Event stream refused by {url.host}: HTTP {status}"
        )


async def _receive(socket: ClientWebSocketResponse) -> WSMessage:
    """Return the next message of an event stream that is not a ping or pong.

    Pings are answered here. After :data:`STREAM_PING_AFTER` seconds of
    silence the server is pinged once; if nothing at all arrives as long
    again, the stream is dead (a hub that lost power, a dropped route) and
    HearthConnectionError says so. No timer outlives the call.
    """
    pinged = False
    while True:
        try:
            message = await socket.receive(timeout=STREAM_PING_AFTER)
        except TimeoutError:
            if pinged:
                raise HearthConnectionError(
                    f"The event stream went silent for {2 * STREAM_PING_AFTER:.0f} s"
                ) from None
            pinged = True
            await socket.ping()
            continue
        pinged = False
        if message.type is WSMsgType.PING:
            await socket.pong(message.data)
        elif message.type is not WSMsgType.PONG:
            return message


class HearthHubClient(_HearthApi):
    """Client of one hub's local API (``https://{host}:{port}/api/v1``)."""

    def __init__(
        self,
        session: ClientSession,
        host: str,
        auth: AbstractAuth,
        *,
        port: int = DEFAULT_PORT,
        ssl: SSLOption = True,
        request_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Build the hub's base URL; the local API is HTTPS only."""
        base_url = URL.build(scheme="https", host=host, port=port, path="/api/v1")
        super().__init__(
            session, base_url, auth, ssl=ssl, request_timeout=request_timeout
        )

    async def async_get_info(self) -> HubInfo:
        """Return the hub's identity; refuse an unsupported major API version."""
        info = self._decode(HubInfo, (await self._request("GET", "info")).body)
        if info.api_major != SUPPORTED_API_MAJOR:
            raise HearthUnsupportedVersionError(
                f"Hub API version {info.api_version} is not supported",
                api_version=info.api_version,
            )
        return info

    async def async_get_state(self) -> HubState:
        """Return every device of the hub in one request."""
        return await self._get_state("state")

    async def async_get_device(self, device_id: str) -> Device:
        """Return one device."""
        response = await self._request("GET", f"devices/{device_id}")
        return self._decode(Device, response.body)

    async def async_set_device_state(
        self, device_id: str, command: DeviceCommand
    ) -> Device:
        """Change a device's state; return its full new state."""
        return await self._patch_device(f"devices/{device_id}", command)

    async def async_get_firmware(self) -> Firmware:
        """Return the installed and latest firmware, and any running install.

        Hubs older than API 1.3 have no ``/firmware``: HearthNotFoundError.
        """
        return await self._get_firmware("firmware")

    async def async_install_firmware(self, version: str | None = None) -> Firmware:
        """Start installing the latest firmware; return the firmware at once.

        The hub answers before it installs anything; the event stream then
        reports ``firmware_progress``, and either ``firmware_failed`` or the
        end of the stream, when the hub restarts to run the new version.
        ``version``, when given, must be the latest one. A read-only key gets
        HearthForbiddenError; a refusal is a HearthRequestError (409) whose
        ``code`` is ``up_to_date``, ``install_in_progress`` or
        ``version_unavailable``.
        """
        return await self._install_firmware("firmware/install", version)

    def async_events(
        self, on_open: Callable[[], Awaitable[None]] | None = None
    ) -> AsyncGenerator[Event]:
        """Yield the messages of the ``/events`` WebSocket until it closes.

        The stream has no replay: read the state after every (re)connect,
        for instance in ``on_open``, which is awaited once the WebSocket is
        open and before the first message is read (messages that arrive
        meanwhile wait their turn). A refused key raises
        HearthAuthenticationError (or Forbidden), an untrusted certificate
        HearthCertificateError, a 429 at the handshake HearthRateLimitError,
        like any request. When the hub closes the stream, the generator ends.
        """
        return self._events("events", Event, on_open)


class HearthCloudClient(_HearthApi):
    """Client of the Hearth Cloud API (``{base_url}/v1``)."""

    def __init__(
        self,
        session: ClientSession,
        auth: AbstractAuth,
        *,
        base_url: str = DEFAULT_CLOUD_URL,
        ssl: SSLOption = True,
        request_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Point the client at the cloud (or at an emulator of it)."""
        super().__init__(
            session,
            URL(base_url).joinpath("v1"),
            auth,
            ssl=ssl,
            request_timeout=request_timeout,
        )

    async def async_get_account(self) -> Account:
        """Return the signed-in account."""
        return self._decode(Account, (await self._request("GET", "me")).body)

    async def async_get_hubs(self) -> list[CloudHub]:
        """Return every hub of the account, following every page."""
        hubs: list[CloudHub] = []
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            params = {"cursor": cursor} if cursor else None
            response = await self._request("GET", "hubs", params=params)
            page = self._decode(HubPage, response.body)
            hubs.extend(page.hubs)
            cursor = page.next_cursor
            if not cursor:
                return hubs
            if cursor in seen:
                raise HearthInvalidResponseError("The hub list pages loop")
            seen.add(cursor)

    async def async_get_hub_state(self, hub_id: str) -> HubState:
        """Return one hub of the account with all its devices."""
        return await self._get_state(f"hubs/{hub_id}/state")

    async def async_set_device_state(
        self, hub_id: str, device_id: str, command: DeviceCommand
    ) -> Device:
        """Change a device's state through the cloud; return its new state."""
        return await self._patch_device(f"hubs/{hub_id}/devices/{device_id}", command)

    async def async_get_firmware(self, hub_id: str) -> Firmware:
        """Return the firmware of one hub of the account, as the hub does."""
        return await self._get_firmware(f"hubs/{hub_id}/firmware")

    async def async_install_firmware(
        self, hub_id: str, version: str | None = None
    ) -> Firmware:
        """Start installing the latest firmware on one hub of the account.

        As :meth:`HearthHubClient.async_install_firmware`; it needs the
        ``devices:write`` scope, and a hub that is not connected to the cloud
        gets HearthRequestError ``hub_offline``. The cloud's event stream
        stays open while the hub restarts, and sends a ``hub`` event with the
        new version once it is back.
        """
        return await self._install_firmware(f"hubs/{hub_id}/firmware/install", version)

    def async_events(
        self, on_open: Callable[[], Awaitable[None]] | None = None
    ) -> AsyncGenerator[CloudEvent]:
        """Yield the events of every hub of the account from ``/v1/events``.

        Each :class:`CloudEvent` names its hub in ``hub_id``. The stream has
        no replay: read each hub's state after every (re)connect.

        The cloud closes the stream when the access token it was opened with
        expires; the generator then raises HearthTokenExpiredError (a
        HearthAuthenticationError): get a fresh token and reconnect, quietly.
        A token refused at the handshake raises HearthAuthenticationError (or
        HearthForbiddenError without ``devices:read``), a 429 at the handshake
        HearthRateLimitError with ``retry_after``. Any other close by the
        cloud ends the generator. ``on_open`` is awaited as for a hub.
        """
        return self._events("events", CloudEvent, on_open)
