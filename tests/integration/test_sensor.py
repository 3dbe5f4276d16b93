"""The sensor platform: readings of sensors and of metering outlets."""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    CONF_API_KEY,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from emulator import Emulator
from tests.harness.emulators import READ_ONLY_KEY
from tests.integration.helpers import GET_STATE, async_poll, setup_entry, state_of

TEMPERATURE = "sensor.living_room_climate_temperature"
HUMIDITY = "sensor.living_room_climate_humidity"
CLIMATE_BATTERY = "sensor.living_room_climate_battery"
SIGNAL = "sensor.living_room_climate_signal_strength"
ILLUMINANCE = "sensor.garden_light_level_illuminance"
METER_POWER = "sensor.energy_meter_power"
METER_ENERGY = "sensor.energy_meter_energy"
PLUG_POWER = "sensor.coffee_machine_plug_power"
PLUG_ENERGY = "sensor.coffee_machine_plug_energy"


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up only the sensor platform."""
    return [Platform.SENSOR]


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create the entities that are disabled by default as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Every reading of the demo home is created as the snapshot shows."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


@pytest.mark.usefixtures("init_integration")
async def test_signal_strength_disabled_by_default(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    """The signal strength is created disabled, and has no state."""
    entry = entity_registry.async_get(SIGNAL)
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get(SIGNAL) is None
    assert state_of(hass, TEMPERATURE) == "21.4"


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_readings_follow_hub(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """New readings show after the next poll, and not before."""
    gets = emulator.stats.count(*GET_STATE)
    emulator.set_state(
        "sensor-1", temperature=23.7, humidity=51.5, battery=12, signal_strength=-80
    )
    emulator.set_state("sensor-2", illuminance=1234)
    emulator.set_state("sensor-3", power=99.5, energy=1600.25)
    emulator.set_state("switch-2", power=1200.0, energy=13.5)
    assert state_of(hass, TEMPERATURE) == "21.4"

    await async_poll(hass, freezer)

    assert emulator.stats.count(*GET_STATE) == gets + 1
    assert state_of(hass, TEMPERATURE) == "23.7"
    assert state_of(hass, HUMIDITY) == "51.5"
    assert state_of(hass, CLIMATE_BATTERY) == "12"
    assert state_of(hass, SIGNAL) == "-80"
    assert state_of(hass, ILLUMINANCE) == "1234"
    assert state_of(hass, METER_POWER) == "99.5"
    assert state_of(hass, METER_ENERGY) == "1600.25"
    assert state_of(hass, PLUG_POWER) == "1200.0"
    assert state_of(hass, PLUG_ENERGY) == "13.5"


@pytest.mark.usefixtures("init_integration")
async def test_drift(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """Readings that wander on their own are picked up by the poll."""
    changed = {device.id for device in emulator.drift()}
    assert "sensor-1" in changed
    temperature = emulator.home.get("sensor-1").state.temperature
    await async_poll(hass, freezer)
    assert state_of(hass, TEMPERATURE) == str(temperature)


@pytest.mark.usefixtures("init_integration")
async def test_missing_reading(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """A reading the hub stops sending becomes unknown, then comes back."""
    emulator.set_state("sensor-1", humidity=None)
    await async_poll(hass, freezer)
    assert state_of(hass, HUMIDITY) == STATE_UNKNOWN
    assert state_of(hass, TEMPERATURE) == "21.4"
    emulator.set_state("sensor-1", humidity=40)
    await async_poll(hass, freezer)
    assert state_of(hass, HUMIDITY) == "40"


@pytest.mark.usefixtures("init_integration")
async def test_offline_sensor(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """The readings of an offline device are unavailable until it is back."""
    emulator.set_online("sensor-2", False)
    await async_poll(hass, freezer)
    assert state_of(hass, ILLUMINANCE) == STATE_UNAVAILABLE
    assert state_of(hass, "sensor.garden_light_level_battery") == STATE_UNAVAILABLE
    assert state_of(hass, TEMPERATURE) == "21.4"
    emulator.set_online("sensor-2", True)
    await async_poll(hass, freezer)
    assert state_of(hass, ILLUMINANCE) == "320"
    assert state_of(hass, "sensor.garden_light_level_battery") == "64"


@pytest.mark.usefixtures("init_integration")
async def test_hub_unreachable(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """Every reading is unavailable while the hub fails, and returns after."""
    fault = emulator.add_fault("server_error", target="hub", path="/api/v1/state")
    await async_poll(hass, freezer)
    assert state_of(hass, TEMPERATURE) == STATE_UNAVAILABLE
    assert state_of(hass, PLUG_POWER) == STATE_UNAVAILABLE
    emulator.remove_fault(fault.id)
    emulator.set_state("sensor-1", temperature=19.5)
    # The coordinator backs off after a failure; two intervals cover it.
    await async_poll(hass, freezer)
    await async_poll(hass, freezer)
    assert state_of(hass, TEMPERATURE) == "19.5"
    assert state_of(hass, PLUG_POWER) == "45.0"


async def test_read_only_key(
    hass: HomeAssistant,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    restrict_platforms: None,
) -> None:
    """A read-only key reads every sensor."""
    await setup_entry(
        hass,
        mock_config_entry,
        data={**mock_config_entry.data, CONF_API_KEY: READ_ONLY_KEY},
    )
    assert state_of(hass, TEMPERATURE) == "21.4"
    assert state_of(hass, METER_ENERGY) == "1534.2"
    emulator.set_state("sensor-1", temperature=22.0)
    await async_poll(hass, freezer)
    assert state_of(hass, TEMPERATURE) == "22.0"
