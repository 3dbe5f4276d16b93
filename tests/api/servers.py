"""A scripted HTTPS server, for the edge cases no well-behaved hub produces.

A 429 without Retry-After, a page cursor that loops, a binary WebSocket
frame, ...: :class:`ScriptedServer` is a real aiohttp HTTPS server on
127.0.0.1 whose handlers the test writes, with a self-signed certificate.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import hashlib
from pathlib import Path

from aiohttp import ClientSession, web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from custom_components.hearth.api import (
    ApiKeyAuth,
    HearthCloudClient,
    HearthHubClient,
    pinned_ssl,
)

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Certificate:
    """A self-signed certificate on disk and its SHA-256 fingerprint."""

    certfile: Path
    keyfile: Path
    fingerprint: str


def make_certificate(directory: Path, name: str = "scripted") -> Certificate:
    """Write a fresh self-signed EC certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    certfile = directory / f"{name}.pem"
    keyfile = directory / f"{name}.key"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    fingerprint = hashlib.sha256(
        cert.public_bytes(serialization.Encoding.DER)
    ).hexdigest()
    return Certificate(certfile, keyfile, fingerprint)


@dataclass(slots=True)
class Seen:
    """One request the scripted server received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass(slots=True)
class ScriptedServer:
    """An HTTPS server on 127.0.0.1 that answers with handlers a test sets."""

    host: str
    port: int
    fingerprint: str
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Return the server's base URL."""
        return f"https://{self.host}:{self.port}"

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Answer ``method path`` with ``handler``."""
        self.routes[method, path] = handler

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        """Record the request and pass it to its handler, or answer 404."""
        self.seen.append(
            Seen(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
            )
        )
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            return web.json_response(
                {"error": {"code": "not_found", "message": "No such route"}},
                status=404,
            )
        return await handler(request)

    def hub(self, session: ClientSession, **kwargs: float) -> HearthHubClient:
        """Return a hub client pinned to this server (key ``scripted-key``)."""
        return HearthHubClient(
            session,
            self.host,
            ApiKeyAuth("scripted-key"),
            port=self.port,
            ssl=pinned_ssl(self.fingerprint),
            **kwargs,
        )

    def cloud(self, session: ClientSession) -> HearthCloudClient:
        """Return a cloud client pinned to this server."""
        return HearthCloudClient(
            session,
            ApiKeyAuth("scripted-token"),
            base_url=self.url,
            ssl=pinned_ssl(self.fingerprint),
        )
