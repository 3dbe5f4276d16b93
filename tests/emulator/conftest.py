"""Fixtures of the emulator tests: an emulator on loopback with a hand-driven clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import ClientSession
import pytest

from emulator import Emulator

from .clock import FakeClock
from .http import KEY, READ_ONLY, RawHub


@pytest.fixture
def clock() -> FakeClock:
    """Return the emulator's clock."""
    return FakeClock()


@pytest.fixture
async def emu(socket_enabled: None, clock: FakeClock) -> AsyncIterator[Emulator]:
    """Run an emulator with the demo home, no drift, on free loopback ports."""
    emulator = Emulator(
        api_keys=[KEY], read_only_keys=[READ_ONLY], drift_interval=0, clock=clock
    )
    await emulator.start(host="127.0.0.1", port=0, cloud_port=0)
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
def raw_hub(session: ClientSession, emu: Emulator) -> RawHub:
    """Return raw HTTP access to the hub."""
    return RawHub(session, emu)
