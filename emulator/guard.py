"""Who may drive the emulator: the checks in front of ``/admin`` and the hub page.

The admin API changes the emulated home without any API key, and the hub page
(``GET /``) drives it from a browser. So that only the person running the
emulator can do that, every such request must pass three checks:

1. **Host.** The ``Host`` header names the address the hub is bound to, with
   its port. This defeats DNS rebinding: a page of ``evil.example`` that
   rebinds its name to the emulator still sends ``Host: evil.example``.
   When bound to every address (``0.0.0.0`` or ``::``), any IP literal, the
   machine's host name (also with ``.local``) and ``localhost`` are accepted:
   a rebinding attack cannot produce an IP literal or one of those names in
   ``Host``, and the token below is required anyway.
2. **Origin.** A request that carries ``Origin`` must come from the page's
   own origin (``scheme://host:port`` of the request itself), and
   ``Sec-Fetch-Site``, when sent, must not say ``cross-site`` or
   ``same-site``. A cross-site form POST or ``fetch`` is refused.
3. **Token.** Bound to anything other than loopback, a request must carry
   the admin token: ``Authorization: Bearer <token>``, the
   ``X-Hearth-Admin-Token`` header or, for the page only, ``?token=``.
   ``python -m emulator`` prints it at start. On loopback no token is needed
   unless one was given.

Refusals are 403 with the usual ``{"error": ...}`` body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import hmac
import ipaddress
import socket
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from .responses import bearer_token, error_response

TOKEN_HEADER: Final = "X-Hearth-Admin-Token"  # noqa: S105 - a header name
TOKEN_QUERY: Final = "token"  # noqa: S105 - a query parameter name
PAGE_PATH: Final = "/"
ADMIN_PREFIX: Final = "/admin"
WILDCARD_HOSTS: Final = frozenset({"", "0.0.0.0", "::"})  # noqa: S104
_CROSS_SITE: Final = frozenset({"cross-site", "same-site"})


def is_guarded(path: str) -> bool:
    """Return True for the admin API and the hub page."""
    return path in {PAGE_PATH, ADMIN_PREFIX} or path.startswith(f"{ADMIN_PREFIX}/")


def is_loopback(host: str) -> bool:
    """Return True for ``localhost`` and addresses in 127.0.0.0/8 or ``::1``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _machine_names() -> frozenset[str]:
    name = socket.gethostname().lower().rstrip(".")
    short = name.split(".", 1)[0]
    return frozenset({"localhost", name, short, f"{short}.local"})


def split_host(value: str) -> tuple[str, int | None] | None:
    """Split a ``Host`` header into a lower-case host and its port, if any.

    IPv6 keeps no brackets. Returns None for a value that is no host.
    """
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[1:end], value[end + 1 :]
        if not _is_ip_literal(host):
            return None
    else:
        host, _, port_text = value.partition(":")
        rest = f":{port_text}" if port_text else ""
    if not host:
        return None
    if not rest:
        return host, None
    port_text = rest.removeprefix(":")
    if not rest.startswith(":") or not (port_text.isascii() and port_text.isdigit()):
        return None
    port = int(port_text)
    return (host, port) if 0 < port < 65536 else None


@dataclass(slots=True)
class AdminGuard:
    """The Host, Origin and token checks; see the module docstring.

    ``bound_host`` is what the hub listens on, ``port`` its port (known once
    started), ``token`` the admin token or None when none is needed.
    """

    bound_host: str = "127.0.0.1"
    port: int = 0
    tls: bool = True
    token: str | None = None

    @property
    def scheme(self) -> str:
        """Return ``https`` or ``http``."""
        return "https" if self.tls else "http"

    def host_allowed(self, header: str | None) -> bool:
        """Return True when a ``Host`` header names this hub."""
        parsed = split_host(header or "")
        if parsed is None:
            return False
        host, port = parsed
        if (port or (443 if self.tls else 80)) != self.port:
            return False
        bound = self.bound_host.lower().strip("[]")
        if bound in WILDCARD_HOSTS:
            return _is_ip_literal(host) or host.rstrip(".") in _machine_names()
        if host == bound:
            return True
        # Loopback names one machine: localhost and the bound address alike.
        return is_loopback(bound) and host == "localhost"

    def origin_allowed(self, request: web.Request) -> bool:
        """Return True unless the request comes from another site."""
        if request.headers.get("Sec-Fetch-Site", "").lower() in _CROSS_SITE:
            return False
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        return origin.lower() == f"{self.scheme}://{request.host.lower()}"

    def token_given(self, request: web.Request) -> bool:
        """Return True when no token is needed or the request carries it."""
        if self.token is None:
            return True
        candidates = [bearer_token(request), request.headers.get(TOKEN_HEADER)]
        if request.path == PAGE_PATH:
            candidates.append(request.query.get(TOKEN_QUERY))
        expected = self.token.encode()
        return any(
            hmac.compare_digest(candidate.encode(), expected)
            for candidate in candidates
            if candidate is not None
        )

    def refusal(self, request: web.Request) -> web.Response | None:
        """Return the 403 answer for a request that fails a check, else None."""
        if not self.host_allowed(request.headers.get("Host")):
            message = "The Host header does not name this emulator"
        elif not self.origin_allowed(request):
            message = "Cross-site requests to the emulator are refused"
        elif not self.token_given(request):
            message = (
                "The admin token is missing or wrong; it is printed when the "
                "emulator starts"
            )
        else:
            return None
        return error_response(403, "forbidden", message)


def guard_middleware(guard: Callable[[], AdminGuard]) -> Middleware:
    """Refuse admin and page requests that fail the guard's checks."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_guarded(request.path):
            refusal = guard().refusal(request)
            if refusal is not None:
                return refusal
        return await handler(request)

    return middleware
