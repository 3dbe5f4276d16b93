"""Fixtures of the emulator tests: an emulator on loopback with a hand-driven clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, Fingerprint
from multidict import CIMultiDictProxy
import orjson
import pytest

from emulator import Emulator

KEY = "smoke-key"
READ_ONLY = "smoke-read-only"
START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@dataclass(slots=True)
class FakeClock:
    """A clock that moves only when a test says so."""

    now: float = START

    def __call__(self) -> float:
        """Return the current time."""
        return self.now

    def tick(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


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


@dataclass(frozen=True, slots=True)
class Reply:
    """A finished answer: status, headers and body."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        """Return the body as JSON."""
        return orjson.loads(self.body)


class Hub:
    """Raw HTTP access to the emulated hub, pinned to its certificate."""

    def __init__(self, session: ClientSession, emu: Emulator) -> None:
        """Keep what every request needs."""
        self.session = session
        self.emu = emu

    def pin(self) -> Fingerprint:
        """Return the pin of the current certificate."""
        assert self.emu.fingerprint is not None
        return Fingerprint(bytes.fromhex(self.emu.fingerprint))

    async def request(
        self, method: str, path: str, *, key: str | None = KEY, **kwargs: Any
    ) -> Reply:
        """Send a request to ``path`` on the hub port and read the answer."""
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        async with self.session.request(
            method,
            f"{self.emu.hub_url}{path}",
            headers=headers,
            ssl=self.pin(),
            **kwargs,
        ) as response:
            return Reply(response.status, response.headers, await response.read())


@pytest.fixture
def hub(session: ClientSession, emu: Emulator) -> Hub:
    """Return raw access to the hub."""
    return Hub(session, emu)
