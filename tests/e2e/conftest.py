"""Fixtures of the end-to-end tests: a real ``hass`` process and the emulator.

Both run as subprocesses on free loopback ports, once per module (see
tests/harness/processes.py). The tests are plain synchronous functions.
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


@pytest.fixture(scope="module")
def _sockets_for_module() -> None:
    """Allow sockets while the module-scoped fixtures start the processes.

    pytest-homeassistant-custom-component blocks sockets before every test,
    and module-scoped fixtures cannot use the function-scoped socket_enabled.
    """
    pytest_socket.enable_socket()


@pytest.fixture(scope="module")
def emulator_process(
    _sockets_for_module: None, tmp_path_factory: pytest.TempPathFactory
) -> Generator[EmulatorProcess]:
    """Run the emulator as a subprocess for the whole module."""
    with running_emulator(tmp_path_factory.mktemp("emulator")) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def hass_process(
    _sockets_for_module: None,
    emulator_process: EmulatorProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Generator[HassProcess]:
    """Run Home Assistant with custom_components/hearth for the whole module."""
    with running_hass(tmp_path_factory.mktemp("hass-config"), emulator_process) as hass:
        yield hass
