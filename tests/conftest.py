"""Fixtures shared by every test: a real emulator of the hub and the cloud."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterator
import logging

from aiohttp import ClientSession
import pytest

from emulator import Emulator
from emulator.tls import generate_certificate
from tests.harness.deprecations import DeprecationReports
from tests.harness.emulators import READ_ONLY_KEY, REDIRECT_URI, make_emulator

# aiohttp's access log cannot format its timestamp under freezegun (the
# frozen localtime has no UTC offset) and logs "Error in logging" at ERROR
# instead, which the in-process emulator's requests would put in tests that
# require a clean log. The emulator's own request statistics stay.
logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Sign one certificate before any test can freeze time.

    cryptography (50, with Home Assistant 2026.10; not 44) looks up
    ``datetime.datetime`` once, when it first signs, and from then on takes
    only instances of that class. Looked up under freezegun, that is
    freezegun's class, and every later real datetime is refused ("'datetime'
    object is not an instance of 'HAFakeDatetime'"): one test that signs the
    session's first certificate with time frozen breaks every emulator that
    starts after it with time running. Looked up first, the real class also
    takes freezegun's datetimes, which subclass it.
    """
    generate_certificate("before-any-frozen-time")


@pytest.fixture
async def emulator(socket_enabled: None) -> AsyncGenerator[Emulator]:
    """Run the hub and cloud emulator on loopback, on free ports."""
    emu = make_emulator(read_only_keys=[READ_ONLY_KEY], redirect_uris=[REDIRECT_URI])
    await emu.start(host="127.0.0.1", port=0, cloud_port=0)
    yield emu
    await emu.stop()


@pytest.fixture
async def session() -> AsyncIterator[ClientSession]:
    """Yield a plain aiohttp session, closed after the test."""
    async with ClientSession() as client_session:
        yield client_session


@pytest.fixture(autouse=True)
def deprecation_reports() -> Iterator[DeprecationReports]:
    """Fail any test in which Home Assistant reports a deprecated use by Hearth.

    Home Assistant only logs these for a custom integration (core's own tests
    raise); each is logged once per process, so the first test that triggers
    it fails. Python's DeprecationWarnings raised from Hearth's modules are
    errors (pyproject.toml's filterwarnings).
    """
    handler = DeprecationReports()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
    if handler.reports:
        pytest.fail(
            "Home Assistant reports a deprecated use by Hearth:\n"
            + "\n".join(handler.reports)
        )
