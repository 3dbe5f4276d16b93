"""The event platform: a button of a wall switch or remote fires an event per press.

Presses come only by the event stream, so these tests open it. Each wait is
on something that happens (a state written, the stream reopened); when a
press must fire nothing, a later press that must fire shows that the stream
got that far.
"""

from __future__ import annotations

from typing import Any

from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.hearth.const import DOMAIN
from custom_components.hearth.coordinator import HearthCoordinator
from custom_components.hearth.registry import device_identifier
from emulator import Emulator
from tests.integration.helpers import (
    GET_STATE,
    account_entry,
    hub_entry,
    setup_entry,
    state_of,
)
from tests.integration.streaming import GET_EVENTS, Watch, next_state

BRIGHTER = "event.living_room_remote_brighter"
DIMMER = "event.living_room_remote_dimmer"
TOP = "event.hallway_wall_switch_top"
BOTTOM = "event.hallway_wall_switch_bottom"
REMOTE_BATTERY = "sensor.living_room_remote_battery"


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the event platform, and the sensors of the same devices."""
    return [Platform.EVENT, Platform.SENSOR]


@pytest.fixture
def event_stream() -> bool:
    """Open the event stream: presses come by no other way."""
    return True


async def press(
    hass: HomeAssistant,
    emulator: Emulator,
    entity_id: str,
    device_id: str,
    button_id: str,
    press_type: str = "short",
) -> State:
    """Press a button at the hub; return the event entity's state once it fired."""
    fired = await next_state(hass, entity_id)
    emulator.press_button(device_id, button_id, press_type)
    return await fired()


def replay(emulator: Emulator, sent: dict[str, Any], **changes: Any) -> None:
    """Have the hub send a press message again, as a faulty hub or a relay would."""
    emulator.home._emit({"type": "button_press", "press": {**sent, **changes}})


@pytest.mark.usefixtures("restrict_platforms")
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    mock_config_entry: MockConfigEntry,
) -> None:
    """One event entity per button, named by the hub, with the types it reports."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("custom_components.hearth.PLATFORMS", [Platform.EVENT])
        await setup_entry(hass, mock_config_entry)
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


@pytest.mark.parametrize(
    ("press_type", "event_type", "attributes"),
    [
        ("short", "press_end", {}),
        ("double", "multi_press_end", {"multi_press_count": 2}),
        ("long", "long_press_start", {}),
        ("long_release", "long_press_end", {}),
    ],
)
@pytest.mark.usefixtures("coordinator")
async def test_press_types_fire_the_standard_button_events(
    hass: HomeAssistant,
    emulator: Emulator,
    press_type: str,
    event_type: str,
    attributes: dict[str, Any],
) -> None:
    """Each press type fires Home Assistant's button event for it, at once."""
    emulator.reset_stats()
    state = await press(hass, emulator, BRIGHTER, "button-2", "up", press_type)
    assert state.attributes["event_type"] == event_type
    for name in ("multi_press_count",):
        assert state.attributes.get(name) == attributes.get(name)
    assert emulator.stats.total == 0


@pytest.mark.usefixtures("coordinator")
async def test_only_the_press_types_a_button_reports(hass: HomeAssistant) -> None:
    """A wall switch has no double press, so its buttons offer no multi-press end."""
    top = hass.states.get(TOP)
    assert top is not None
    assert top.attributes["event_types"] == [
        "press_end",
        "long_press_start",
        "long_press_end",
    ]
    remote = hass.states.get(BRIGHTER)
    assert remote is not None
    assert remote.attributes["event_types"] == [
        "press_end",
        "multi_press_end",
        "long_press_start",
        "long_press_end",
    ]


async def test_a_press_wakes_only_its_own_event_entity(
    hass: HomeAssistant, coordinator: HearthCoordinator, emulator: Emulator
) -> None:
    """A press writes its button's entity alone: not the other buttons, sensors or polls."""
    woken: list[str] = []
    coordinator.async_add_listener(lambda: woken.append("all"))
    written = async_capture_events(hass, EVENT_STATE_CHANGED)
    await press(hass, emulator, BRIGHTER, "button-2", "up")
    await press(hass, emulator, TOP, "button-1", "top", "long")
    await hass.async_block_till_done()
    assert [event.data["entity_id"] for event in written] == [BRIGHTER, TOP]
    assert woken == []


async def test_a_repeated_press_fires_nothing(
    hass: HomeAssistant, coordinator: HearthCoordinator, emulator: Emulator
) -> None:
    """A press sent again (same or lower number) fires nothing; the next one does."""
    written = async_capture_events(hass, EVENT_STATE_CHANGED)
    fired = await next_state(hass, BRIGHTER)
    sent = emulator.press_button("button-2", "up", "double")
    await fired()
    replay(emulator, sent)
    replay(emulator, sent, seq=sent["seq"] - 1, button_id="down")
    # The next new press fires, so the stream got past the repeats.
    await press(hass, emulator, TOP, "button-1", "top")
    await hass.async_block_till_done()
    assert [event.data["entity_id"] for event in written] == [BRIGHTER, TOP]


async def test_an_unknown_press_type_fires_nothing(
    hass: HomeAssistant, coordinator: HearthCoordinator, emulator: Emulator
) -> None:
    """A press type of a newer hub is skipped; the button stays as it was."""
    written = async_capture_events(hass, EVENT_STATE_CHANGED)
    sent = emulator.press_button("button-2", "up")
    emulator.home.press_seq += 1
    replay(emulator, sent, seq=emulator.home.press_seq, press_type="triple")
    await press(hass, emulator, TOP, "button-1", "top")
    await hass.async_block_till_done()
    assert [event.data["entity_id"] for event in written] == [BRIGHTER, TOP]


async def test_resync_and_reconnect_fire_no_old_press(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    emulator: Emulator,
    watch: Watch,
) -> None:
    """The full read after a reconnect fires nothing, nor does a press sent again."""
    first = await press(hass, emulator, DIMMER, "button-2", "down")
    sent_seq = emulator.home.press_seq
    written = async_capture_events(hass, EVENT_STATE_CHANGED)
    state_reads = emulator.stats.count(*GET_STATE)
    emulator._hub_server.streams.force_close()
    await watch.wait("opened", 2)
    assert emulator.stats.count(*GET_STATE) == state_reads + 1
    assert emulator.stats.count(*GET_EVENTS) == 2
    # The hub sends the last press once more on the new stream.
    replay(
        emulator,
        {"device_id": "button-2", "button_id": "down", "press_type": "short"},
        seq=sent_seq,
    )
    second = await press(hass, emulator, DIMMER, "button-2", "down")
    await hass.async_block_till_done()
    assert [event.data["entity_id"] for event in written] == [DIMMER]
    assert second.state > first.state


@pytest.mark.usefixtures("coordinator")
async def test_event_entities_follow_the_device_online(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """An offline remote's buttons are unavailable; back online, they fire again."""
    gone = await next_state(hass, BRIGHTER, lambda s: s.state == STATE_UNAVAILABLE)
    emulator.set_online("button-2", False)
    await gone()
    assert state_of(hass, DIMMER) == STATE_UNAVAILABLE
    assert state_of(hass, TOP) != STATE_UNAVAILABLE
    back = await next_state(hass, BRIGHTER, lambda s: s.state != STATE_UNAVAILABLE)
    emulator.set_online("button-2", True)
    await back()
    state = await press(hass, emulator, BRIGHTER, "button-2", "up")
    assert state.attributes["event_type"] == "press_end"


@pytest.mark.usefixtures("coordinator")
async def test_button_readings_are_sensors(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A remote's battery is a sensor like any other device's, pushed at once."""
    assert state_of(hass, REMOTE_BATTERY) == "72"
    low = await next_state(hass, REMOTE_BATTERY, lambda s: s.state == "9")
    emulator.set_state("button-2", battery=9)
    await low()


@pytest.mark.usefixtures("credentials", "restrict_platforms")
async def test_cloud_presses_fire_through_the_account_stream(
    hass: HomeAssistant,
    emulator: Emulator,
    watch: Watch,
    entity_registry: er.EntityRegistry,
) -> None:
    """A hub served by the cloud fires its presses from the account's stream, once."""
    hub = emulator.add_cloud_hub(name="Cabin Hub", devices=None)
    cloud = account_entry(emulator)
    await setup_entry(hass, cloud)
    await watch.wait("opened", 1)
    entity_id = entity_registry.async_get_entity_id(
        "event", DOMAIN, f"{hub.id}_button-2_button_up"
    )
    assert entity_id is not None
    fired = await next_state(hass, entity_id)
    sent = hub.home.press("button-2", "up", "double")
    state = await fired()
    assert state.attributes["event_type"] == "multi_press_end"
    assert state.attributes["multi_press_count"] == 2

    # The same press again (as if the hub's own stream relayed it too) is dropped.
    written = async_capture_events(hass, EVENT_STATE_CHANGED)
    hub.home._emit({"type": "button_press", "press": sent})
    fired = await next_state(hass, entity_id)
    hub.home.press("button-2", "up")
    await fired()
    assert [event.data["entity_id"] for event in written] == [entity_id]
    assert await hass.config_entries.async_unload(cloud.entry_id)


@pytest.mark.usefixtures("restrict_platforms")
async def test_a_hub_with_a_local_entry_fires_there_only(
    hass: HomeAssistant,
    emulator: Emulator,
    watch: Watch,
    credentials: None,
    entity_registry: er.EntityRegistry,
) -> None:
    """The local hub's presses fire on the local entry; the cloud entry skips the hub."""
    local = hub_entry(emulator)
    await setup_entry(hass, local)
    cloud = account_entry(emulator)
    await setup_entry(hass, cloud)
    await watch.wait("opened", 2)
    written = async_capture_events(hass, EVENT_STATE_CHANGED)
    await press(hass, emulator, BRIGHTER, "button-2", "up")
    await hass.async_block_till_done()
    assert [event.data["entity_id"] for event in written] == [BRIGHTER]
    entry = entity_registry.async_get(BRIGHTER)
    assert entry is not None
    assert entry.config_entry_id == local.entry_id
    identifier = device_identifier(emulator.hub_id, "button-2")
    assert identifier[0] == DOMAIN
    for entry_id in (cloud.entry_id, local.entry_id):
        assert await hass.config_entries.async_unload(entry_id)
