"""Diagnostics of a config entry: useful, and without secrets."""

from __future__ import annotations

from collections.abc import Callable
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_PORT
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.matchers import path_type

from emulator import Emulator
from tests.harness.emulators import API_KEY
from tests.harness.ports import free_port
from tests.integration.helpers import add_entry, advance

#: What differs from one emulator run to the next.
VARYING = path_type({"entry.data.fingerprint": (str,), "entry.data.port": (int,)})


def assert_no_secrets(diagnostics: object, emulator: Emulator) -> None:
    """Check that neither the key, nor the host, nor the hub's MAC shows."""
    dump = json.dumps(diagnostics).lower()
    assert API_KEY not in dump
    assert "127.0.0.1" not in dump
    assert emulator.hub.mac.lower() not in dump


@pytest.mark.parametrize("loaded", [True, False], ids=["loaded", "not-loaded"])
@pytest.mark.usefixtures("restrict_platforms")
async def test_diagnostics(
    hass: HomeAssistant,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    loaded: bool,
) -> None:
    """The key, the host and every MAC address are redacted, loaded or not.

    An unloaded entry has no coordinator: its state and settings are shown.
    """
    if not loaded:
        assert await hass.config_entries.async_unload(init_integration.entry_id)
        assert init_integration.state is ConfigEntryState.NOT_LOADED
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    assert diagnostics == snapshot(matcher=VARYING)
    assert_no_secrets(diagnostics, emulator)


@pytest.mark.usefixtures("restrict_platforms")
async def test_diagnostics_while_the_hub_fails(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """The polling section shows the failures; the last good state stays."""
    emulator.add_fault("server_error")
    for seconds in (30, 37):
        await advance(hass, freezer, seconds)

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    polling = diagnostics["polling"]
    assert isinstance(polling, dict)
    assert polling["last_update_success"] is False
    assert polling["consecutive_failures"] == 2
    hubs = diagnostics["hubs"]
    assert isinstance(hubs, dict)
    assert list(hubs) == [emulator.hub_id]


@pytest.mark.parametrize(
    ("data", "state"),
    [
        (lambda: {CONF_PORT: free_port()}, ConfigEntryState.SETUP_RETRY),
        (lambda: {CONF_API_KEY: "revoked"}, ConfigEntryState.SETUP_ERROR),
    ],
    ids=["setup-retry", "setup-error"],
)
@pytest.mark.usefixtures("restrict_platforms")
async def test_diagnostics_of_entry_not_set_up(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    data: Callable[[], dict[str, Any]],
    state: ConfigEntryState,
) -> None:
    """An entry whose setup failed or waits to retry has diagnostics too."""
    assert not await add_entry(
        hass, mock_config_entry, data={**mock_config_entry.data, **data()}
    )
    assert mock_config_entry.state is state

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )
    entry = diagnostics["entry"]
    assert isinstance(entry, dict)
    assert entry["state"] == state.value
    assert entry["reason"] == mock_config_entry.reason.replace(
        "127.0.0.1", "**REDACTED**"
    )
    assert entry["data"][CONF_API_KEY] == "**REDACTED**"
    assert diagnostics["polling"] is None
    assert diagnostics["hubs"] is None
    assert "revoked" not in json.dumps(diagnostics)
    assert_no_secrets(diagnostics, emulator)
