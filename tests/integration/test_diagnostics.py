"""Diagnostics of a config entry: useful, and without secrets."""

from __future__ import annotations

import json

from freezegun.api import FrozenDateTimeFactory
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
from tests.conftest import API_KEY
from tests.integration.helpers import advance

#: What differs from one emulator run to the next.
VARYING = path_type({"entry.data.fingerprint": (str,), "entry.data.port": (int,)})


@pytest.mark.usefixtures("restrict_platforms")
async def test_diagnostics(
    hass: HomeAssistant,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """The key, the host and every MAC address are redacted."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    assert diagnostics == snapshot(matcher=VARYING)

    dump = json.dumps(diagnostics)
    assert API_KEY not in dump
    assert "127.0.0.1" not in dump
    assert emulator.hub.mac not in dump
    assert emulator.hub.mac.lower() not in dump.lower()


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
