"""Fixtures for the client tests: real HTTP on 127.0.0.1, never a mocked one.

Most tests talk to the emulator (see clients.py). A few edge cases that no
well-behaved hub produces are served by a scripted HTTPS server whose
handlers the test writes (see servers.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import ssl
from typing import Any

from aiohttp import ClientSession, web
import pytest

from custom_components.hearth.api import HearthHubClient
from emulator import Emulator

from .clients import API_KEY, READ_ONLY_KEY, EmulatorFactory, make_hub_client
from .servers import Certificate, ScriptedServer, make_certificate


@pytest.fixture(autouse=True)
def _allow_loopback_sockets(socket_enabled: None) -> None:
    """Every test here opens real sockets on 127.0.0.1."""


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """Return one self-signed certificate for the whole run."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


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
async def api_emulator(start_emulator: EmulatorFactory) -> Emulator:
    """Return an emulator as ``start_emulator()`` starts it.

    The client tests' keys, the demo home (seed 1), no rate limit, the wall
    clock.
    """
    return await start_emulator()


@pytest.fixture
def hub_client(session: ClientSession, api_emulator: Emulator) -> HearthHubClient:
    """Return a hub client with the full-access key, pinned to the emulator."""
    return make_hub_client(session, api_emulator)
