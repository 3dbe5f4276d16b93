"""Fixtures for the client tests: real HTTP on 127.0.0.1, never a mocked one.

Most tests talk to the emulator. A few edge cases that no well-behaved hub
produces (a 429 without Retry-After, a page cursor that loops, a binary
WebSocket frame, ...) are served by :class:`ScriptedServer`, a real aiohttp
HTTPS server whose handlers the test writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import hashlib
from pathlib import Path
import ssl
from typing import Any, Protocol

from aiohttp import ClientSession, web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest
from yarl import URL

from custom_components.hearth.api import (
    ApiKeyAuth,
    HearthCloudClient,
    HearthHubClient,
    TokenProviderAuth,
    pinned_ssl,
)
from custom_components.hearth.api.client import SSLOption
from emulator import Emulator

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

API_KEY = "demo-key-7f3a9c"
READ_ONLY_KEY = "read-only-key-51b2"

DEMO_IDS = [
    "light-1",
    "light-2",
    "light-3",
    "light-4",
    "switch-1",
    "switch-2",
    "sensor-1",
    "sensor-2",
    "sensor-3",
    "button-1",
    "button-2",
]
REDIRECT_URI = "http://127.0.0.1:8123/auth/external/callback"


@pytest.fixture(autouse=True)
def _allow_loopback_sockets(socket_enabled: None) -> None:
    """Every test here opens real sockets on 127.0.0.1."""


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


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """Return one self-signed certificate for the whole run."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


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


@pytest.fixture
async def scripted(certificate: Certificate) -> AsyncIterator[ScriptedServer]:
    """Run a scripted HTTPS server for one test."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.certfile, certificate.keyfile)
    server = ScriptedServer("127.0.0.1", 0, certificate.fingerprint)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.dispatch)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, server.host, 0, ssl_context=context)
    await site.start()
    assert runner.addresses
    server.port = runner.addresses[0][1]
    try:
        yield server
    finally:
        await runner.cleanup()


async def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll ``condition`` on the event loop until it holds, or fail the test."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


class EmulatorFactory(Protocol):
    """Start an emulator with keyword arguments for :class:`Emulator`."""

    async def __call__(self, **kwargs: Any) -> Emulator:
        """Start one; it is stopped after the test."""
        ...


@pytest.fixture
async def start_emulator() -> AsyncIterator[EmulatorFactory]:
    """Start emulators on 127.0.0.1 with fresh ports; stop them afterwards."""
    started: list[Emulator] = []

    async def start(**kwargs: Any) -> Emulator:
        options: dict[str, Any] = {
            "api_keys": [API_KEY],
            "read_only_keys": [READ_ONLY_KEY],
            "rate_limit": None,
            "drift_interval": 0,
            "tls": True,
            "seed": 1,
        }
        options.update(kwargs)
        emu = Emulator(**options)
        await emu.start(host="127.0.0.1", port=0, cloud_port=0)
        started.append(emu)
        return emu

    try:
        yield start
    finally:
        for emu in reversed(started):
            await emu.stop()


@pytest.fixture
async def emulator(start_emulator: EmulatorFactory) -> Emulator:
    """Return a running emulator with the demo home and no rate limit."""
    return await start_emulator()


def hub_client(
    session: ClientSession,
    emu: Emulator,
    *,
    key: str = API_KEY,
    ssl: SSLOption | None = None,
    request_timeout: float = 5.0,
) -> HearthHubClient:
    """Return a hub client for ``emu``, pinned to its certificate by default."""
    assert emu.fingerprint is not None
    return HearthHubClient(
        session,
        "127.0.0.1",
        ApiKeyAuth(key),
        port=emu.port,
        ssl=pinned_ssl(emu.fingerprint) if ssl is None else ssl,
        request_timeout=request_timeout,
    )


@pytest.fixture
def hub(session: ClientSession, emulator: Emulator) -> HearthHubClient:
    """Return a hub client with the full-access key, pinned to the emulator."""
    return hub_client(session, emulator)


class OAuthSession:
    """Drives the cloud's OAuth2 flow with aiohttp, as Home Assistant would."""

    def __init__(self, session: ClientSession, emu: Emulator) -> None:
        """Remember where the authorization server is."""
        self._session = session
        self._emu = emu
        self.access_token = ""
        self.refresh_token = ""
        self.calls = 0

    async def authorize(self, scope: str | None = None) -> None:
        """Follow authorize -> redirect -> token exchange."""
        params = {
            "response_type": "code",
            "client_id": self._emu.client_id,
            "redirect_uri": REDIRECT_URI,
            "state": "csrf-7",
        }
        if scope is not None:
            params["scope"] = scope
        async with self._session.get(
            self._emu.authorize_url, params=params, allow_redirects=False
        ) as response:
            assert response.status == 302
            location = URL(response.headers["Location"])
        assert str(location.with_query(None)) == REDIRECT_URI
        assert location.query["state"] == "csrf-7"
        await self._token(
            {
                "grant_type": "authorization_code",
                "code": location.query["code"],
                "redirect_uri": REDIRECT_URI,
            }
        )

    async def refresh(self) -> None:
        """Trade the refresh token for a new pair."""
        await self._token(
            {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        )

    async def _token(self, form: dict[str, str]) -> None:
        form |= {
            "client_id": self._emu.client_id,
            "client_secret": self._emu.client_secret,
        }
        async with self._session.post(self._emu.token_url, data=form) as response:
            assert response.status == 200, await response.text()
            tokens = await response.json()
        assert tokens["token_type"] == "Bearer"
        assert tokens["expires_in"] > 0
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens["refresh_token"]

    async def token(self) -> str:
        """Provide the current access token (what TokenProviderAuth calls)."""
        self.calls += 1
        return self.access_token


async def cloud_client(
    session: ClientSession, emu: Emulator, scope: str | None = None
) -> tuple[HearthCloudClient, OAuthSession]:
    """Sign in through OAuth and return a cloud client using the token."""
    oauth = OAuthSession(session, emu)
    await oauth.authorize(scope)
    client = HearthCloudClient(
        session, TokenProviderAuth(oauth.token), base_url=emu.cloud_url
    )
    return client, oauth
