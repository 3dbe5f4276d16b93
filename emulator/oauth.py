"""OAuth2 state of the emulated cloud: clients, codes and tokens.

Times come from the injected clock, so tests can freeze or advance them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
import hmac
import secrets
from typing import Final

from yarl import URL

from .guard import is_loopback

SCOPE_READ: Final = "devices:read"
SCOPE_WRITE: Final = "devices:write"
SCOPES: Final = frozenset({SCOPE_READ, SCOPE_WRITE})
DEFAULT_CLIENT_ID: Final = "hearth-dev"
DEFAULT_CLIENT_SECRET: Final = "hearth-dev-secret"  # noqa: S105 - the public dev client
DEFAULT_TOKEN_LIFETIME: Final = 3600
CODE_LIFETIME: Final = 600
#: Home Assistant's redirect through my.home-assistant.io, always registered.
MY_HOME_ASSISTANT_REDIRECT: Final = "https://my.home-assistant.io/redirect/oauth"


class OAuthError(Exception):
    """An RFC 6749 error answer: ``{"error": ..., "error_description": ...}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        """Keep the error code, its description and the HTTP status."""
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class TokenError(Exception):
    """An access token was refused; ``code`` is the API error code."""

    def __init__(self, code: str, message: str) -> None:
        """Keep the API error code."""
        super().__init__(message)
        self.code = code


def parse_scope(value: str | None) -> frozenset[str]:
    """Return the scopes of a space-separated scope string (None: all)."""
    if value is None:
        return SCOPES
    scopes = frozenset(value.split())
    if not scopes or not scopes <= SCOPES:
        raise OAuthError("invalid_scope", f"Known scopes: {' '.join(sorted(SCOPES))}")
    return scopes


def redirect_allowed(redirect_uri: str, registered: Collection[str] = ()) -> bool:
    """Return True when ``/oauth/authorize`` may redirect to ``redirect_uri``.

    Allowed are: Home Assistant's my.home-assistant.io redirect, any http(s)
    URL on a loopback host (127.0.0.0/8, ``localhost``, ``[::1]``; any port
    and path, which covers Home Assistant's ``/auth/external/callback`` on a
    development machine), and the ``registered`` URIs, compared exactly.
    Anything with a fragment or user info is refused.
    """
    if redirect_uri == MY_HOME_ASSISTANT_REDIRECT or redirect_uri in registered:
        return True
    try:
        url = URL(redirect_uri)
    except ValueError:
        return False
    return (
        url.scheme in {"http", "https"}
        and not url.raw_fragment
        and url.raw_user is None
        and url.host is not None
        and is_loopback(url.host)
    )


def format_scope(scopes: Iterable[str]) -> str:
    """Return scopes as a space-separated string in a stable order."""
    return " ".join(sorted(scopes))


@dataclass(slots=True)
class AccessToken:
    """An issued access token."""

    scopes: frozenset[str]
    expires_at: float
    #: Set by the ``expire_tokens`` fault; cleared with the faults.
    forced_expired: bool = False

    def is_expired(self, now: float) -> bool:
        """Return True once the token is past its lifetime or forced to expire."""
        return self.forced_expired or self.expires_at <= now


@dataclass(slots=True)
class _Code:
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    expires_at: float


@dataclass(slots=True)
class _Refresh:
    client_id: str
    scopes: frozenset[str]


@dataclass(slots=True)
class TokenStore:
    """The one OAuth client of the emulated cloud and everything it was issued."""

    clock: Callable[[], float]
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    lifetime: int = DEFAULT_TOKEN_LIFETIME
    #: Redirect URIs allowed besides the defaults of :func:`redirect_allowed`.
    redirect_uris: tuple[str, ...] = ()
    _codes: dict[str, _Code] = field(default_factory=dict)
    _access: dict[str, AccessToken] = field(default_factory=dict)
    _refresh: dict[str, _Refresh] = field(default_factory=dict)

    def check_client(self, client_id: str | None, client_secret: str | None) -> None:
        """Raise ``invalid_client`` unless the credentials are the client's."""
        if not (
            client_id is not None
            and client_secret is not None
            and hmac.compare_digest(client_id.encode(), self.client_id.encode())
            and hmac.compare_digest(client_secret.encode(), self.client_secret.encode())
        ):
            raise OAuthError("invalid_client", "Unknown client or wrong secret", 401)

    def create_code(
        self, client_id: str, redirect_uri: str, scopes: frozenset[str]
    ) -> str:
        """Approve an authorization request; return its one-time code."""
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Code(
            client_id, redirect_uri, scopes, self.clock() + CODE_LIFETIME
        )
        return code

    def exchange_code(
        self, code: str | None, redirect_uri: str | None, client_id: str
    ) -> dict[str, object]:
        """Trade an authorization code for tokens (grant ``authorization_code``)."""
        if not code:
            raise OAuthError("invalid_request", "'code' is required")
        grant = self._codes.pop(code, None)
        if grant is None or grant.expires_at <= self.clock():
            raise OAuthError("invalid_grant", "The code is unknown, used or expired")
        if grant.client_id != client_id:
            raise OAuthError("invalid_grant", "The code was issued to another client")
        if redirect_uri != grant.redirect_uri:
            raise OAuthError("invalid_grant", "'redirect_uri' does not match")
        return self.issue(grant.scopes, client_id=client_id)

    def refresh(
        self, refresh_token: str | None, client_id: str, scope: str | None
    ) -> dict[str, object]:
        """Trade a refresh token for new tokens (grant ``refresh_token``).

        The refresh token is rotated: the old one stops working.
        """
        if not refresh_token:
            raise OAuthError("invalid_request", "'refresh_token' is required")
        grant = self._refresh.get(refresh_token)
        if grant is None or grant.client_id != client_id:
            raise OAuthError("invalid_grant", "The refresh token is unknown or revoked")
        scopes = grant.scopes if scope is None else parse_scope(scope)
        if not scopes <= grant.scopes:
            raise OAuthError("invalid_scope", "Cannot widen the granted scope")
        del self._refresh[refresh_token]
        return self.issue(scopes, client_id=client_id)

    def issue(
        self,
        scopes: frozenset[str] = SCOPES,
        *,
        client_id: str | None = None,
        lifetime: int | None = None,
    ) -> dict[str, object]:
        """Issue an access and refresh token pair; return the token response."""
        lifetime = self.lifetime if lifetime is None else lifetime
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        self._access[access] = AccessToken(scopes, self.clock() + lifetime)
        self._refresh[refresh] = _Refresh(client_id or self.client_id, scopes)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "refresh_token": refresh,
            "scope": format_scope(scopes),
        }

    def validate(self, token: str | None) -> AccessToken:
        """Return the access token's grant, or raise TokenError."""
        grant = self._access.get(token) if token else None
        if grant is None:
            raise TokenError("invalid_auth", "Unknown access token")
        if grant.is_expired(self.clock()):
            raise TokenError("token_expired", "The access token has expired")
        return grant

    def expire_all(self) -> None:
        """Expire every access token issued so far (refresh tokens keep working)."""
        for grant in self._access.values():
            grant.forced_expired = True

    def restore(self) -> None:
        """Undo :meth:`expire_all`; tokens past their lifetime stay expired."""
        for grant in self._access.values():
            grant.forced_expired = False
