"""The switch platform: wall switches and metering outlets against the emulator."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_API_KEY,
    SERVICE_TOGGLE,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from emulator import Emulator
from tests.harness.emulators import READ_ONLY_KEY
from tests.integration.helpers import (
    GET_STATE,
    PATCH_DEVICE,
    async_poll,
    setup_entry,
    state_of,
)

PORCH = "switch.porch_switch"
PLUG = "switch.coffee_machine_plug"
PLUG_POWER = "sensor.coffee_machine_plug_power"


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up only the switch platform."""
    return [Platform.SWITCH]


async def _async_call(service: str, hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """The wall switch and the outlet are created as the snapshot shows."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


@pytest.mark.parametrize(
    ("service", "entity_id", "device_id", "before", "after"),
    [
        (SERVICE_TURN_ON, PORCH, "switch-1", STATE_OFF, STATE_ON),
        (SERVICE_TURN_OFF, PLUG, "switch-2", STATE_ON, STATE_OFF),
        (SERVICE_TOGGLE, PORCH, "switch-1", STATE_OFF, STATE_ON),
        (SERVICE_TOGGLE, PLUG, "switch-2", STATE_ON, STATE_OFF),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_switching(
    hass: HomeAssistant,
    emulator: Emulator,
    service: str,
    entity_id: str,
    device_id: str,
    before: str,
    after: str,
) -> None:
    """A command reaches the hub and shows in HA at once, without a GET."""
    gets = emulator.stats.count(*GET_STATE)
    assert state_of(hass, entity_id) == before
    await _async_call(service, hass, entity_id)
    assert emulator.home.get(device_id).state.on is (after == STATE_ON)
    assert state_of(hass, entity_id) == after
    assert emulator.stats.count(*PATCH_DEVICE) == 1
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.stats.count(*GET_STATE) == gets


@pytest.mark.parametrize("platforms", [[Platform.SENSOR, Platform.SWITCH]])
@pytest.mark.usefixtures("init_integration")
async def test_outlet_power_follows_command(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The hub's answer to a command updates the outlet's power reading too."""
    gets = emulator.stats.count(*GET_STATE)
    assert state_of(hass, PLUG_POWER) == "45.0"
    await _async_call(SERVICE_TURN_OFF, hass, PLUG)
    assert state_of(hass, PLUG_POWER) == "0.0"
    await _async_call(SERVICE_TURN_ON, hass, PLUG)
    assert state_of(hass, PLUG_POWER) == "45.0"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.stats.count(*GET_STATE) == gets


@pytest.mark.usefixtures("init_integration")
async def test_state_follows_hub(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """A switch flipped by hand shows after the next poll."""
    emulator.set_state("switch-1", on=True)
    emulator.set_state("switch-2", on=False)
    await async_poll(hass, freezer)
    assert state_of(hass, PORCH) == STATE_ON
    assert state_of(hass, PLUG) == STATE_OFF


async def test_read_only_key(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    restrict_platforms: None,
) -> None:
    """A read-only key shows the switches, and a command says why it fails."""
    await setup_entry(
        hass,
        mock_config_entry,
        data={**mock_config_entry.data, CONF_API_KEY: READ_ONLY_KEY},
    )
    assert state_of(hass, PLUG) == STATE_ON
    with pytest.raises(HomeAssistantError) as exc:
        await _async_call(SERVICE_TURN_OFF, hass, PLUG)
    assert exc.value.translation_domain == "hearth"
    assert exc.value.translation_key == "read_only"
    assert emulator.stats.count(*PATCH_DEVICE) == 1
    assert emulator.home.get("switch-2").state.on is True
    assert state_of(hass, PLUG) == STATE_ON


@pytest.mark.usefixtures("init_integration")
async def test_device_offline(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """A switch that went offline refuses commands, then becomes unavailable."""
    emulator.set_online("switch-1", False)
    with pytest.raises(HomeAssistantError) as exc:
        await _async_call(SERVICE_TURN_ON, hass, PORCH)
    assert exc.value.translation_key == "device_offline"
    assert emulator.home.get("switch-1").state.on is False
    await async_poll(hass, freezer)
    assert state_of(hass, PORCH) == STATE_UNAVAILABLE
    assert state_of(hass, PLUG) == STATE_ON


@pytest.mark.usefixtures("init_integration")
async def test_server_error(hass: HomeAssistant, emulator: Emulator) -> None:
    """A command the hub fails on raises a translated error and changes nothing."""
    emulator.add_fault("server_error", target="hub", path="/api/v1/devices")
    with pytest.raises(HomeAssistantError) as exc:
        await _async_call(SERVICE_TURN_ON, hass, PORCH)
    assert exc.value.translation_domain == "hearth"
    assert exc.value.translation_key == "server_error"
    assert emulator.stats.count(*PATCH_DEVICE) == 1
    assert emulator.home.get("switch-1").state.on is False
    assert state_of(hass, PORCH) == STATE_OFF
    emulator.clear_faults()
    await _async_call(SERVICE_TURN_ON, hass, PORCH)
    assert emulator.home.get("switch-1").state.on is True
    assert state_of(hass, PORCH) == STATE_ON
