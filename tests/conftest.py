"""Fixtures shared by every test: a real emulator of the hub and the cloud."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from homeassistant.util import dt as dt_util
import pytest

from emulator import Emulator

API_KEY = "test-key"
READ_ONLY_KEY = "test-read-only-key"


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
    )
    await emu.start(host="127.0.0.1", port=0, cloud_port=0)
    yield emu
    await emu.stop()
