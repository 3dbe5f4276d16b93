"""Fixtures shared by every test: a real emulator of the hub and the cloud."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterator
import logging
import os
import re
import socket
from typing import Any

from aiohttp import ClientSession
from homeassistant.util import dt as dt_util
import pytest

from emulator import Emulator

API_KEY = "test-key"
READ_ONLY_KEY = "test-read-only-key"
#: Home Assistant's OAuth2 callback under the tests' external URL; the
#: emulator allows it as ``--redirect-uri`` would.
REDIRECT_URI = "https://example.com/auth/external/callback"

#: How Home Assistant says that Hearth uses an API that is deprecated or used
#: wrongly: its frame helper ("Detected that custom integration 'hearth' ...",
#: from report_usage and report) and its deprecation helper ("The deprecated
#: constant X was used from hearth. ...").
DEPRECATION_REPORT = re.compile(
    r"Detected that custom integration 'hearth'|The deprecated .+ was \w+ from hearth\."
)


class DeprecationReports(logging.Handler):
    """Collect the log records in which Home Assistant reports a deprecated use."""

    def __init__(self) -> None:
        """Collect nothing yet."""
        super().__init__(logging.WARNING)
        self.reports: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record's message if it is such a report."""
        message = record.getMessage()
        if DEPRECATION_REPORT.search(message):
            self.reports.append(message)


def child_env() -> dict[str, str]:
    """Return the environment for a subprocess of a test (hass, the emulator, ...).

    pytest-cov's variables are dropped: coverage in a child would slow it
    down, measure other code than the integration, and (with pytest-cov 6)
    leave data files without branch coverage that cannot be combined with
    the suite's.
    """
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("COV_CORE_", "PYTEST_"))
    }


def free_port() -> int:
    """Return a loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def make_emulator(**options: Any) -> Emulator:
    """Return an emulator for a test: the test key, no drift, HA's clock.

    Its clock is Home Assistant's, so ``freezer`` moves the emulator's rate
    windows and token lifetimes too. ``options`` add to or override these.
    """
    defaults: dict[str, Any] = {
        "api_keys": [API_KEY],
        "drift_interval": 0,
        "clock": lambda: dt_util.utcnow().timestamp(),
    }
    return Emulator(**{**defaults, **options})


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
