"""JSON answers and the one error body every 4xx/5xx answer uses."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web
import orjson

from .home import (
    ConflictError,
    DeviceOfflineError,
    Home,
    HomeError,
    InvalidRequestError,
    NotFoundError,
)

JSON_CONTENT_TYPE: Final = "application/json"
_HOME_ERROR_STATUS: Final[Mapping[type[HomeError], int]] = {
    InvalidRequestError: 400,
    NotFoundError: 404,
    DeviceOfflineError: 409,
    ConflictError: 409,
}
#: The error code used for a status when nothing more specific applies.
STATUS_CODES: Final[Mapping[int, str]] = {
    400: "invalid_request",
    401: "invalid_auth",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    429: "rate_limited",
}


class ApiError(Exception):
    """An error answer: status, code and message, plus optional headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Keep everything the error body and headers need."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    @classmethod
    def from_home_error(cls, err: HomeError) -> ApiError:
        """Map a refused change of the home to its API error."""
        status = next(
            (
                status
                for kind, status in _HOME_ERROR_STATUS.items()
                if isinstance(err, kind)
            ),
            400,
        )
        return cls(status, err.code, str(err))


def code_for_status(status: int) -> str:
    """Return the generic error code of a status."""
    if status in STATUS_CODES:
        return STATUS_CODES[status]
    return "server_error" if status >= 500 else "invalid_request"


def dumps(data: Any) -> bytes:
    """Serialise JSON the way every answer does."""
    return orjson.dumps(data)


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """Return a JSON answer."""
    return web.Response(
        body=dumps(data),
        status=status,
        content_type=JSON_CONTENT_TYPE,
        headers=headers,
    )


def error_response(
    status: int,
    code: str | None = None,
    message: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """Return ``{"error": {"code": ..., "message": ...}}`` with ``status``."""
    if message is None:
        try:
            message = HTTPStatus(status).phrase
        except ValueError:
            message = f"HTTP {status}"
    body = {"error": {"code": code or code_for_status(status), "message": message}}
    return json_response(body, status=status, headers=headers)


def api_error_response(err: ApiError) -> web.Response:
    """Return the answer for an ApiError."""
    return error_response(err.status, err.code, err.message, err.headers)


async def read_json(request: web.Request) -> Any:
    """Return the request's JSON body, or raise a 400 ApiError."""
    raw = await request.read()
    if not raw:
        raise ApiError(400, "invalid_request", "A JSON body is required")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise ApiError(400, "invalid_request", "The body is not valid JSON") from err


async def read_json_object(
    request: web.Request, *, allow_empty: bool = False
) -> dict[str, Any]:
    """Return the request's JSON object body, or raise a 400 ApiError."""
    if allow_empty and not await request.read():
        return {}
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "The body must be a JSON object")
    return body


def bearer_token(request: web.Request) -> str | None:
    """Return the credential of an ``Authorization: Bearer`` header."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Return True when an If-None-Match header matches ``etag`` (weakly)."""
    if not if_none_match:
        return False
    bare = etag.removeprefix("W/")
    candidates = (candidate.strip() for candidate in if_none_match.split(","))
    return any(
        candidate == "*" or candidate.removeprefix("W/") == bare
        for candidate in candidates
    )


def state_response(request: web.Request, home: Home) -> web.Response:
    """Return the ``/state`` document, or 304 when the client's copy is current."""
    headers = {"ETag": home.etag, "Cache-Control": "no-cache"}
    if etag_matches(request.headers.get("If-None-Match"), home.etag):
        return web.Response(status=304, headers=headers)
    return json_response(home.state_json(), headers=headers)
