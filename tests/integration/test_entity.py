"""What every Hearth entity shares: devices, unique ids and state writes."""

from __future__ import annotations

from aiohttp import ClientSession, Fingerprint
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hearth.const import DOMAIN
from emulator import Emulator
from tests.harness.emulators import make_emulator
from tests.integration.helpers import GET_STATE, async_poll, hub_entry, setup_entry

from .helpers import device_entry_ids, find_device

#: The devices of the demo home: id, name, model, firmware and entity count.
DEMO_DEVICES = [
    ("light-1", "Hallway Light", "HL-10", "2.0.3", 1),
    ("light-2", "Desk Lamp", "HL-20", "2.0.3", 1),
    ("light-3", "Bedroom Ceiling", "HL-30", "2.1.0", 1),
    ("light-4", "Living Room Strip", "HL-40", "2.1.0", 1),
    ("switch-1", "Porch Switch", "HS-10", "1.3.1", 1),
    ("switch-2", "Coffee Machine Plug", "HP-20", "1.3.1", 3),
    ("sensor-1", "Living Room Climate", "HT-10", "3.0.1", 4),
    ("sensor-2", "Garden Light Level", "HX-10", "3.0.1", 2),
    ("sensor-3", "Energy Meter", "HE-10", "1.1.0", 2),
    ("button-1", "Hallway Wall Switch", "HB-20", "1.2.0", 1),
    ("button-2", "Living Room Remote", "HR-40", "1.2.0", 2),
]


def _hub_device(
    device_registry: dr.DeviceRegistry, emulator: Emulator
) -> dr.DeviceEntry:
    hub = find_device(device_registry, identifiers={(DOMAIN, emulator.hub_id)})
    assert hub is not None
    return hub


def _device(
    device_registry: dr.DeviceRegistry, emulator: Emulator, device_id: str
) -> dr.DeviceEntry | None:
    return find_device(
        device_registry, identifiers={(DOMAIN, f"{emulator.hub_id}_{device_id}")}
    )


async def test_hub_device(
    device_registry: dr.DeviceRegistry,
    emulator: Emulator,
    init_integration: MockConfigEntry,
) -> None:
    """The hub is a device of its own, known by its MAC address too."""
    hub = _hub_device(device_registry, emulator)
    assert device_entry_ids(hub) == {init_integration.entry_id}
    assert hub.connections == {(dr.CONNECTION_NETWORK_MAC, emulator.hub.mac)}
    assert hub.manufacturer == "Hearth"
    assert hub.model == "HH-100"
    assert hub.sw_version == "1.4.2"
    assert hub.name == "Hearth Hub"
    assert hub.configuration_url == emulator.page_url
    assert hub.via_device_id is None
    assert (
        find_device(
            device_registry,
            connections={(dr.CONNECTION_NETWORK_MAC, emulator.hub.mac.upper())},
        )
        == hub
    )


async def test_visit_link_opens_the_hub_page(
    device_registry: dr.DeviceRegistry,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    session: ClientSession,
) -> None:
    """The "Visit" link of the hub answers with the hub's web page."""
    url = _hub_device(device_registry, emulator).configuration_url
    assert url is not None
    assert emulator.fingerprint is not None
    pin = Fingerprint(bytes.fromhex(emulator.fingerprint))
    async with session.get(url, ssl=pin) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        assert emulator.hub.name in await response.text()


@pytest.mark.parametrize(
    ("device_id", "name", "model", "firmware", "entities"), DEMO_DEVICES
)
async def test_devices(
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    device_id: str,
    name: str,
    model: str,
    firmware: str,
    entities: int,
) -> None:
    """Every device is registered behind the hub, with its own entities."""
    device = _device(device_registry, emulator, device_id)
    assert device is not None
    assert device_entry_ids(device) == {init_integration.entry_id}
    assert device.via_device_id == _hub_device(device_registry, emulator).id
    assert device.manufacturer == "Hearth"
    assert device.name == name
    assert device.model == model
    assert device.sw_version == firmware
    assert device.configuration_url == emulator.page_url
    assert device.connections == set()
    entries = er.async_entries_for_device(
        entity_registry, device.id, include_disabled_entities=True
    )
    assert len(entries) == entities
    for entry in entries:
        assert entry.unique_id.startswith(f"{emulator.hub_id}_{device_id}_")


async def test_every_entity_has_a_device(
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    emulator: Emulator,
    init_integration: MockConfigEntry,
) -> None:
    """The unique ids are hub id, device id and key, and never repeat."""
    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    assert len(entries) == sum(device[4] for device in DEMO_DEVICES)
    assert len({entry.unique_id for entry in entries}) == len(entries)
    for entry in entries:
        assert entry.device_id is not None
        device = device_registry.async_get(entry.device_id)
        assert device is not None
        ((domain, identifier),) = device.identifiers
        assert domain == DOMAIN
        assert entry.unique_id.startswith(f"{identifier}_")
    hub_devices = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    assert len(hub_devices) == len(DEMO_DEVICES) + 1


@pytest.mark.usefixtures("init_integration")
async def test_device_info_follows_hub(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new name, model or firmware shows in the registry after a poll."""
    emulator.update_device(
        "light-2", {"name": "Reading Lamp", "model": "HL-21", "firmware": "2.2.0"}
    )
    emulator.update_hub(firmware="1.5.0")
    await async_poll(hass, freezer)
    device = _device(device_registry, emulator, "light-2")
    assert device is not None
    assert device.name == "Reading Lamp"
    assert device.model == "HL-21"
    assert device.sw_version == "2.2.0"
    assert _hub_device(device_registry, emulator).sw_version == "1.5.0"
    state = hass.states.get("light.desk_lamp")
    assert state is not None
    assert state.attributes["friendly_name"] == "Reading Lamp"
    other = _device(device_registry, emulator, "light-1")
    assert other is not None
    assert other.sw_version == "2.0.3"


@pytest.mark.usefixtures("init_integration")
async def test_user_name_kept(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A name given in Home Assistant outlives a rename on the hub."""
    device = _device(device_registry, emulator, "light-1")
    assert device is not None
    device_registry.async_update_device(device.id, name_by_user="Entrance")
    emulator.update_device("light-1", {"name": "Front Hall", "firmware": "2.0.4"})
    await async_poll(hass, freezer)
    device = _device(device_registry, emulator, "light-1")
    assert device is not None
    assert device.name_by_user == "Entrance"
    assert device.name == "Front Hall"
    assert device.sw_version == "2.0.4"


@pytest.mark.usefixtures("init_integration")
async def test_writes_only_changes(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """A poll writes the state of the entities whose device changed, only."""
    temperature = "sensor.living_room_climate_temperature"
    humidity = "sensor.living_room_climate_humidity"
    light = "light.hallway_light"
    before = {
        entity_id: state.last_reported
        for entity_id in (temperature, humidity, light)
        if (state := hass.states.get(entity_id)) is not None
    }
    assert len(before) == 3

    emulator.set_state("sensor-1", temperature=25.0)
    await async_poll(hass, freezer)
    after = {
        entity_id: state.last_reported
        for entity_id in before
        if (state := hass.states.get(entity_id)) is not None
    }
    assert after[light] == before[light]
    assert after[temperature] > before[temperature]
    # The humidity is of the same device: written again, unchanged.
    assert after[humidity] > before[humidity]

    gets = emulator.stats.count(*GET_STATE)
    await async_poll(hass, freezer)
    assert emulator.stats.count(*GET_STATE) == gets + 1
    again = {
        entity_id: state.last_reported
        for entity_id in before
        if (state := hass.states.get(entity_id)) is not None
    }
    assert again == after


@pytest.mark.usefixtures("init_integration")
async def test_availability_written(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """Going offline is written even though the device's readings are unchanged."""
    emulator.set_online("switch-2", False)
    await async_poll(hass, freezer)
    for entity_id in (
        "switch.coffee_machine_plug",
        "sensor.coffee_machine_plug_power",
        "sensor.coffee_machine_plug_energy",
    ):
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.state == STATE_UNAVAILABLE
    state = hass.states.get("switch.porch_switch")
    assert state is not None
    assert state.state != STATE_UNAVAILABLE


@pytest.mark.usefixtures("init_integration")
async def test_new_device_behind_hub(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A device that appears later is registered behind the hub, too."""
    emulator.add_device(
        {
            "id": "light-9",
            "kind": "light",
            "name": "Garage Light",
            "firmware": "2.3.0",
            "capabilities": {"dimmable": True},
        }
    )
    await async_poll(hass, freezer)
    device = _device(device_registry, emulator, "light-9")
    assert device is not None
    assert device.via_device_id == _hub_device(device_registry, emulator).id
    assert device.model == "HL-EMU"
    assert device.sw_version == "2.3.0"
    entry = entity_registry.async_get("light.garage_light")
    assert entry is not None
    assert entry.device_id == device.id
    assert entry.unique_id == f"{emulator.hub_id}_light-9_light"
    state = hass.states.get("light.garage_light")
    assert state is not None
    assert state.state == "off"


@pytest.mark.parametrize("devices", [None, 500], ids=["demo-home", "500-devices"])
@pytest.mark.usefixtures("restrict_platforms", "socket_enabled")
async def test_offline_devices_unavailable_from_their_first_state(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, devices: int | None
) -> None:
    """A device offline at setup never shows a state it does not have.

    Every state its entities are ever given, at the first setup and after a
    reload, is unavailable; the other devices' entities start available.
    """
    emulator = make_emulator(
        devices=devices,
    )
    await emulator.start(host="127.0.0.1", port=0, cloud_port=0)
    try:
        emulator.set_online("light-1", False)
        offline = {
            device_id
            for device_id, device in emulator.home.devices.items()
            if not device.online
        }
        written: dict[str, list[str]] = {}

        @callback
        def _record(event: Event[EventStateChangedData]) -> None:
            if (state := event.data["new_state"]) is not None:
                written.setdefault(event.data["entity_id"], []).append(state.state)

        hass.bus.async_listen(EVENT_STATE_CHANGED, _record)
        entry = hub_entry(emulator)
        await setup_entry(hass, entry)
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()

        prefix = f"{emulator.hub_id}_"
        device_of = {
            registered.entity_id: registered.unique_id.removeprefix(prefix)
            for registered in er.async_entries_for_config_entry(
                entity_registry, entry.entry_id
            )
        }
        unavailable = {
            entity_id
            for entity_id, device_key in device_of.items()
            if any(device_key.startswith(f"{device_id}_") for device_id in offline)
        }
        assert unavailable
        for entity_id, states in written.items():
            if entity_id in unavailable:
                assert set(states) == {STATE_UNAVAILABLE}, entity_id
            else:
                # Unavailable only while the reload takes the entry down.
                assert states[0] != STATE_UNAVAILABLE, entity_id
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await emulator.stop()
