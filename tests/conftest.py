"""Fixtures shared by every test: a real emulator of the hub and the cloud."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
import socket

from aiohttp import ClientSession
from homeassistant.util import dt as dt_util
import pytest

from emulator import Emulator

API_KEY = "test-key"
READ_ONLY_KEY = "test-read-only-key"
#: Home Assistant's OAuth2 callback under the tests' external URL; the
#: emulator allows it as ``--redirect-uri`` would.
REDIRECT_URI = "https://example.com/auth/external/callback"


def free_port() -> int:
    """Return a loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
async def emulator(socket_enabled: None) -> AsyncGenerator[Emulator]:
    """Run the hub and cloud emulator on loopback, on free ports.

    Its clock is Home Assistant's, so ``freezer`` moves the emulator's rate
    windows and token lifetimes too.
    """
    emu = Emulator(
        api_keys=[API_KEY],
        read_only_keys=[READ_ONLY_KEY],
        drift_interval=0,
        clock=lambda: dt_util.utcnow().timestamp(),
        redirect_uris=[REDIRECT_URI],
    )
    await emu.start(host="127.0.0.1", port=0, cloud_port=0)
    yield emu
    await emu.stop()


@pytest.fixture
async def session() -> AsyncIterator[ClientSession]:
    """Yield a plain aiohttp session, closed after the test."""
    async with ClientSession() as client_session:
        yield client_session
