"""Fixtures of the browser tests: Chromium on Home Assistant's real frontend.

Home Assistant and the emulator run as in the end-to-end tests (see
tests/e2e/conftest.py), with the frontend and zeroconf loaded and the
emulator announcing itself. When the tests may (as root, which CI is), all of
it runs in a private network namespace that looks like a dual-stack home
network: an interface with an IPv4 and an IPv6 address and a default route,
and loopback. Home Assistant's zeroconf then browses that interface, never
loopback, exactly as on a developer's machine running ``scripts/develop``,
and no multicast leaves the namespace.

Chromium is Debian's (``/usr/bin/chromium``); Playwright never downloads one.
Set ``HEARTH_SCREENSHOTS=1`` to write the screenshots of docs/images/.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest
import pytest_socket

from tests.harness.processes import (
    EmulatorProcess,
    HassProcess,
    running_emulator,
    running_hass,
)

from .chromium import (
    CHROMIUM,
    CONFIGURATION,
    DEVELOP_PORTS,
    NEW_API_KEY,
    BrowserThread,
    mark_core_config_done,
    private_network,
)
from .frontend import FRONTEND, RELEASE, Frontend


@pytest.fixture(scope="module")
def isolated_network() -> Generator[bool]:
    """Run the module's processes in a private dual-stack network, if allowed.

    pytest-homeassistant-custom-component blocks sockets before every test,
    and module-scoped fixtures cannot use the function-scoped socket_enabled.
    """
    pytest_socket.enable_socket()
    with private_network() as isolated:
        yield isolated


@pytest.fixture(scope="module")
def emulator_process(
    isolated_network: bool, tmp_path_factory: pytest.TempPathFactory
) -> Generator[EmulatorProcess]:
    """Run the emulator, announcing the hub, for the whole module."""
    extra: tuple[str, ...] = ("--api-key", NEW_API_KEY)
    ports = None
    if isolated_network:
        extra += ("--advertise",)
        # The namespace has every port free: take scripts/develop's, so the
        # screenshots show what a developer sees, and stay the same.
        ports = DEVELOP_PORTS
    workdir = tmp_path_factory.mktemp("emulator")
    with running_emulator(workdir, extra, ports) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def hass_process(
    isolated_network: bool,
    emulator_process: EmulatorProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Generator[HassProcess]:
    """Run Home Assistant with the frontend for the whole module."""
    config_dir = tmp_path_factory.mktemp("hass-config")
    mark_core_config_done(config_dir)
    configuration = CONFIGURATION.format(
        discovery="zeroconf:\n" if isolated_network else ""
    )
    with running_hass(config_dir, emulator_process, configuration) as hass:
        yield hass


@pytest.fixture(scope="module")
def frontend() -> Frontend:
    """Return how this release's frontend shows things (tests/browser/frontend.py).

    The tests skip themselves on a release without a row there.
    """
    assert FRONTEND is not None, f"no frontend row for Home Assistant {RELEASE}"
    return FRONTEND


@pytest.fixture(scope="module")
def ui(
    isolated_network: bool,
    hass_process: HassProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Generator[BrowserThread]:
    """Open one tab for the whole module: the tests follow one person's path."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(apt-get install chromium), or set HEARTH_CHROMIUM"
        )
    browser = BrowserThread(tmp_path_factory.mktemp("browser"))
    try:
        browser.open()
        yield browser
    finally:
        browser.close()
