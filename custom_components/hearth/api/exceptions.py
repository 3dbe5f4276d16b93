"""Exceptions raised by the Hearth client.

Every error derives from :class:`HearthError`, so one ``except HearthError``
catches all of them.
"""

from __future__ import annotations


class HearthError(Exception):
    """Base class for every error raised by the Hearth client."""


class HearthConnectionError(HearthError):
    """The hub or cloud could not be reached, or the connection broke."""


class HearthTimeoutError(HearthConnectionError):
    """The request did not complete within the timeout."""


class HearthCertificateError(HearthConnectionError):
    """The server's TLS certificate is not the one that was pinned or trusted."""

    def __init__(self, message: str, *, fingerprint: str | None = None) -> None:
        """Store the fingerprint that was actually presented, when known."""
        super().__init__(message)
        self.fingerprint = fingerprint


class HearthApiError(HearthError):
    """The server answered with an error body (``{"error": {...}}``)."""

    def __init__(
        self, message: str, *, status: int | None = None, code: str | None = None
    ) -> None:
        """Keep the HTTP status and the server's error code."""
        super().__init__(message)
        self.status = status
        self.code = code


class HearthAuthenticationError(HearthApiError):
    """The API key or access token was rejected (HTTP 401)."""


class HearthTokenExpiredError(HearthAuthenticationError):
    """The access token expired: refresh it, then retry or reconnect.

    Raised for a 401 ``token_expired`` answer, and when the cloud closes an
    event stream because its token expired (WebSocket close code 4001).
    """


class HearthForbiddenError(HearthApiError):
    """The credentials lack the scope the request needs (HTTP 403)."""


class HearthNotFoundError(HearthApiError):
    """The device or hub does not exist (HTTP 404)."""


class HearthRequestError(HearthApiError):
    """The server refused the request as invalid (other 4xx, e.g. 400 or 409)."""


class HearthServerError(HearthApiError):
    """The server failed (HTTP 5xx)."""


class HearthRateLimitError(HearthApiError):
    """The rate budget is spent (HTTP 429).

    ``retry_after`` is the number of seconds to wait before any new request.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        status: int | None = 429,
        code: str | None = None,
    ) -> None:
        """Keep the parsed Retry-After delay in seconds."""
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class HearthInvalidResponseError(HearthError):
    """The server's answer could not be understood (bad JSON, wrong schema)."""


class HearthUnsupportedVersionError(HearthError):
    """The hub speaks a major API version this client does not support."""

    def __init__(self, message: str, *, api_version: str) -> None:
        """Keep the version the hub reported."""
        super().__init__(message)
        self.api_version = api_version
