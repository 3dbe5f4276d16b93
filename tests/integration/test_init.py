"""Setting up, unloading and failing to set up a config entry; removing devices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.hearth import local_hub_url
from custom_components.hearth.const import DOMAIN
from emulator import Emulator
from tests.harness.emulators import API_KEY
from tests.integration.helpers import GET_STATE, add_entry, advance, setup_entry

from .helpers import find_device, remove_device


async def test_setup_and_unload(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """The entry loads with one GET /state and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert emulator.stats.count(*GET_STATE) == 1
    assert hass.states.async_entity_ids_count() > 0
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED


async def test_setup_with_a_rejected_key_starts_reauth(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """A 401 at setup is a setup error with a reauth flow, not a retry."""
    emulator.revoke_key(API_KEY)
    assert not await add_entry(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert emulator.stats.by_status[401] == 1
    flows = hass.config_entries.flow.async_progress()
    assert [(flow["handler"], flow["context"]["source"]) for flow in flows] == [
        (DOMAIN, SOURCE_REAUTH)
    ]
    assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id


@pytest.mark.parametrize(
    ("fault", "requests"),
    [
        # The client retries a GET once after a dropped connection.
        ({"kind": "drop"}, 2),
        ({"kind": "server_error"}, 1),
        ({"kind": "malformed_json"}, 1),
        ({"kind": "server_error", "status": 429}, 1),
    ],
)
async def test_setup_retries_while_the_hub_fails(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    fault: dict[str, Any],
    requests: int,
) -> None:
    """A transient failure at setup is ConfigEntryNotReady; setup then retries."""
    emulator.add_fault(**fault)
    assert not await add_entry(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert emulator.stats.count(*GET_STATE) == requests
    assert hass.config_entries.flow.async_progress() == []
    assert hass.states.async_entity_ids_count() == 0

    emulator.clear_faults()
    await advance(hass, freezer, 120)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert emulator.stats.count(*GET_STATE) == requests + 1
    assert hass.states.async_entity_ids_count() > 0


@pytest.mark.freeze_time("2025-01-01 00:00:00+00:00")
async def test_only_the_options_flow_reloads_the_entry(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_integration: MockConfigEntry,
) -> None:
    """New options reload the entry, through the options flow alone.

    The entry has no update listener: Home Assistant 2026.12 refuses one
    next to the reauth and reconfigure steps' own reloads. A new title (or a
    refreshed token) reloads nothing; the same options again reload nothing.
    """
    coordinator = init_integration.runtime_data
    assert not init_integration.update_listeners
    hass.config_entries.async_update_entry(init_integration, title="Renamed Hub")
    await hass.async_block_till_done()
    assert init_integration.runtime_data is coordinator
    assert emulator.stats.count(*GET_STATE) == 1

    for _ in range(2):
        flow = await hass.config_entries.options.async_init(init_integration.entry_id)
        await hass.config_entries.options.async_configure(
            flow["flow_id"], {CONF_SCAN_INTERVAL: 120}
        )
        await hass.async_block_till_done()
    reloaded = init_integration.runtime_data
    assert reloaded is not coordinator
    assert reloaded.scan_interval == timedelta(seconds=120)
    # One reload: the second, unchanged options did not reload again.
    assert emulator.stats.count(*GET_STATE) == 2

    await advance(hass, freezer, 119)
    assert emulator.stats.count(*GET_STATE) == 2
    await advance(hass, freezer, 1)
    assert emulator.stats.count(*GET_STATE) == 3


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("192.168.1.20", 443, "https://192.168.1.20/"),
        ("hearth-3f2a9c.local", 8443, "https://hearth-3f2a9c.local:8443/"),
        ("fe80::1", 443, "https://[fe80::1]/"),
        ("fe80::1", 8443, "https://[fe80::1]:8443/"),
    ],
)
def test_local_hub_url(host: str, port: int, url: str) -> None:
    """The hub's web page: IPv6 in brackets, the default port left out."""
    assert local_hub_url(host, port) == url


async def test_devices_removed_while_stopped_go_at_setup(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A device the hub forgot while Home Assistant was not watching goes at setup.

    The first poll after a setup compares the entry's devices in the registry
    with what the hub reports: the lamp and its entity are gone. A device the
    hub still reports, and the hub itself, cannot be removed by hand.
    """
    assert await async_setup_component(hass, "config", {})
    await setup_entry(hass, mock_config_entry)
    entry_id = mock_config_entry.entry_id
    hub = find_device(device_registry, {(DOMAIN, emulator.hub_id)})
    lamp = find_device(device_registry, {(DOMAIN, f"{emulator.hub_id}_light-2")})
    assert hub is not None
    assert lamp is not None
    lamp_entities = er.async_entries_for_device(entity_registry, lamp.id)
    assert lamp_entities

    assert await hass.config_entries.async_unload(entry_id)
    emulator.remove_device("light-2")
    assert await hass.config_entries.async_setup(entry_id)
    await hass.async_block_till_done()
    assert device_registry.async_get(lamp.id) is None
    assert all(entity_registry.async_get(e.entity_id) is None for e in lamp_entities)
    assert device_registry.async_get(hub.id) is not None

    client = await hass_ws_client(hass)
    for present in (
        hub,
        find_device(device_registry, {(DOMAIN, f"{emulator.hub_id}_light-1")}),
    ):
        assert present is not None
        response = await remove_device(client, present.id, entry_id)
        assert not response["success"]
        assert device_registry.async_get(present.id) is not None


async def test_remove_device_while_the_entry_is_not_loaded(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Without a loaded entry nothing can be checked, so removal is allowed."""
    assert await async_setup_component(hass, "config", {})
    mock_config_entry.add_to_hass(hass)
    emulator.add_fault("server_error")
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    device = device_registry.async_get_or_create(
        config_entry_id=mock_config_entry.entry_id,
        identifiers={(DOMAIN, f"{emulator.hub_id}_light-1")},
    )

    client = await hass_ws_client(hass)
    response = await remove_device(client, device.id, mock_config_entry.entry_id)
    assert response["success"]
    assert device_registry.async_get(device.id) is None
