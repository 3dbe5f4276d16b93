"""Unit tests of DeviceStore: polls, events, and who is woken by each."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace

import pytest

from custom_components.hearth.api import (
    Device,
    DeviceState,
    Event,
    EventType,
    HubInfo,
    HubState,
)
from custom_components.hearth.store import Change, DeviceKey, DeviceStore, HearthData

HUB = "hub-1"
OTHER_HUB = "hub-2"


def hub_info(
    hub_id: str = HUB, *, api_version: str = "1.2", name: str = "Hub"
) -> HubInfo:
    """Return what a hub says about itself."""
    return HubInfo(
        id=hub_id, name=name, model="H1", firmware="1.4.0", api_version=api_version
    )


def switch(device_id: str, *, on: bool = False) -> Device:
    """Return a switch that is on or off."""
    return Device(
        id=device_id,
        kind="switch",
        name=device_id.title(),
        online=True,
        state=DeviceState(on=on),
    )


def hub_state(hub_id: str = HUB, devices: int = 3) -> HubState:
    """Return a hub's ``/state`` with ``devices`` switches, all off."""
    return HubState(
        hub=hub_info(hub_id), devices=[switch(f"switch-{i}") for i in range(devices)]
    )


def polled(*states: HubState) -> DeviceStore:
    """Return a store that has taken in one poll of ``states``."""
    store = DeviceStore()
    store.begin_fetch()
    store.end_fetch({state.hub.id: state for state in states})
    return store


def listen_to_all(store: DeviceStore) -> Counter[DeviceKey]:
    """Count the wake-ups of every device's listener."""
    assert store.data is not None
    woken: Counter[DeviceKey] = Counter()

    def listener(key: DeviceKey) -> Callable[[], None]:
        return lambda: woken.update([key])

    for key in store.data.devices:
        store.add_device_listener(key, listener(key))
    return woken


def state_event(device: Device) -> Event:
    """Return a ``device_state`` event."""
    return Event(type=EventType.DEVICE_STATE, device=device)


# Polls


def test_poll_builds_the_data() -> None:
    first, second = hub_state(HUB, 3), hub_state(OTHER_HUB, 2)
    store = DeviceStore()
    store.begin_fetch()
    data = store.end_fetch({HUB: first, OTHER_HUB: second})
    assert store.data is data
    assert data.hubs == {HUB: first.hub, OTHER_HUB: second.hub}
    assert data.devices == {
        **{(HUB, device.id): device for device in first.devices},
        **{(OTHER_HUB, device.id): device for device in second.devices},
    }
    assert data.hub_state(HUB) == first
    assert data.hub_state(OTHER_HUB) == second


def test_poll_answered_304_returns_the_same_data() -> None:
    state = hub_state()
    store = polled(state)
    data = store.data
    # The client hands back the very object it cached when the hub says 304.
    store.begin_fetch()
    assert store.end_fetch({HUB: state}) is data
    # A 200, even with equal content, is a new answer.
    store.begin_fetch()
    fresh = store.end_fetch({HUB: hub_state()})
    assert fresh is not data
    assert fresh == data


def test_poll_answered_304_after_an_event_writes_what_it_confirms() -> None:
    state = hub_state()
    store = polled(state)
    data = store.data
    store.apply_event(HUB, state_event(switch("switch-0", on=True)))
    store.begin_fetch()
    confirmed = store.end_fetch({HUB: state})
    assert confirmed is not data
    assert confirmed.devices[HUB, "switch-0"].state.on is False


# Events


@pytest.mark.parametrize("devices", [3, 500])
def test_event_changes_one_device_and_wakes_only_its_listeners(devices: int) -> None:
    store = polled(hub_state(HUB, devices), hub_state(OTHER_HUB, 2))
    assert store.data is not None
    before = dict(store.data.devices)
    woken = listen_to_all(store)
    changed = switch("switch-1", on=True)
    assert store.apply_event(HUB, state_event(changed)) is Change.DEVICE
    assert store.data.devices[HUB, "switch-1"] is changed
    assert woken == Counter({(HUB, "switch-1"): 1})
    # Every other device is the very object it was.
    assert all(
        store.data.devices[key] is device
        for key, device in before.items()
        if key != (HUB, "switch-1")
    )


def test_removed_listener_is_not_woken() -> None:
    store = polled(hub_state())
    woken: list[str] = []
    remove = store.add_device_listener((HUB, "switch-0"), lambda: woken.append("a"))
    store.add_device_listener((HUB, "switch-0"), lambda: woken.append("b"))
    remove()
    store.apply_event(HUB, state_event(switch("switch-0", on=True)))
    assert woken == ["b"]


def test_device_state_of_an_unknown_device_is_ignored() -> None:
    store = polled(hub_state())
    assert store.data is not None
    woken = listen_to_all(store)
    unknown: list[None] = []
    store.add_device_listener((HUB, "switch-9"), lambda: unknown.append(None))
    before = dict(store.data.devices)
    change = store.apply_event(HUB, state_event(switch("switch-9", on=True)))
    assert change is Change.NONE
    assert store.data.devices == before
    assert not woken
    assert not unknown


def test_device_added_adds_the_device() -> None:
    store = polled(hub_state())
    assert store.data is not None
    woken = listen_to_all(store)
    added = switch("switch-9", on=True)
    change = store.apply_event(HUB, Event(type=EventType.DEVICE_ADDED, device=added))
    assert change is Change.DEVICES
    assert store.data.devices[HUB, "switch-9"] is added
    assert len(store.data.devices) == 4
    assert not woken


def test_device_added_for_a_known_device_changes_it() -> None:
    store = polled(hub_state())
    assert store.data is not None
    woken = listen_to_all(store)
    again = switch("switch-0", on=True)
    change = store.apply_event(HUB, Event(type=EventType.DEVICE_ADDED, device=again))
    assert change is Change.DEVICE
    assert store.data.devices[HUB, "switch-0"] is again
    assert woken == Counter({(HUB, "switch-0"): 1})


def test_device_removed_removes_the_device() -> None:
    store = polled(hub_state())
    assert store.data is not None
    removed = Event(type=EventType.DEVICE_REMOVED, device_id="switch-0")
    assert store.apply_event(HUB, removed) is Change.DEVICES
    assert (HUB, "switch-0") not in store.data.devices
    assert len(store.data.devices) == 2
    # Once gone, removing it again changes nothing.
    assert store.apply_event(HUB, removed) is Change.NONE


def test_event_during_a_poll_wins_over_its_answer() -> None:
    store = polled(hub_state())
    store.begin_fetch()
    # The answer left the hub before these events did.
    answer = hub_state()
    store.apply_event(HUB, state_event(switch("switch-0", on=True)))
    store.apply_event(HUB, Event(type=EventType.DEVICE_REMOVED, device_id="switch-1"))
    data = store.end_fetch({HUB: answer})
    assert data.devices[HUB, "switch-0"].state.on is True
    assert (HUB, "switch-1") not in data.devices
    assert data.devices[HUB, "switch-2"] is answer.devices[2]
    # Only the poll under way is overruled: the next one stands.
    store.begin_fetch()
    assert (
        store.end_fetch({HUB: hub_state()}).devices[HUB, "switch-0"].state.on is False
    )


def test_event_during_a_poll_of_a_hub_no_longer_there_is_dropped() -> None:
    store = polled(hub_state(HUB), hub_state(OTHER_HUB))
    store.begin_fetch()
    store.apply_event(OTHER_HUB, state_event(switch("switch-0", on=True)))
    data = store.end_fetch({HUB: hub_state(HUB)})
    assert data.hubs.keys() == {HUB}
    assert all(hub_id == HUB for hub_id, _ in data.devices)


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(Event(type=EventType.DEVICE_STATE), id="no-device"),
        pytest.param(
            Event(type=EventType.FIRMWARE, device=switch("switch-0", on=True)),
            id="kind-the-store-does-not-keep",
        ),
        pytest.param(
            Event(type="future_kind", device=switch("switch-0", on=True)),
            id="unknown-kind",
        ),
    ],
)
def test_event_the_store_has_no_use_for_changes_nothing(event: Event) -> None:
    store = polled(hub_state())
    assert store.data is not None
    before = dict(store.data.devices)
    woken = listen_to_all(store)
    assert store.apply_event(HUB, event) is Change.NONE
    assert store.data.devices == before
    assert not woken


def test_hub_event_changes_the_hub() -> None:
    store = polled(hub_state())
    assert store.data is not None
    renamed = hub_info(name="Attic Hub")
    assert store.apply_event(HUB, Event(type=EventType.HUB, hub=renamed)) is Change.HUB
    assert store.data.hubs[HUB] == renamed
    assert store.apply_event(HUB, Event(type=EventType.HUB, hub=renamed)) is Change.NONE


def test_hub_event_with_a_new_api_major_asks_for_a_resync() -> None:
    store = polled(hub_state())
    assert store.data is not None
    before = store.data.hubs[HUB]
    newer = hub_info(api_version="2.0", name="Attic Hub")
    change = store.apply_event(HUB, Event(type=EventType.HUB, hub=newer))
    assert change is Change.RESYNC
    assert store.data.hubs[HUB] is before


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(state_event(switch("switch-0", on=True)), id="device_state"),
        pytest.param(Event(type=EventType.HUB, hub=hub_info(OTHER_HUB)), id="hub"),
    ],
)
def test_event_of_an_unknown_hub_asks_for_a_resync(event: Event) -> None:
    assert DeviceStore().apply_event(HUB, event) is Change.RESYNC
    store = polled(hub_state())
    woken = listen_to_all(store)
    assert store.apply_event(OTHER_HUB, event) is Change.RESYNC
    assert not woken


def test_drop_hubs_forgets_them() -> None:
    first, second = hub_state(HUB), hub_state(OTHER_HUB)
    store = polled(first, second)
    previous = store.data
    assert previous is not None
    assert store.drop_hubs([OTHER_HUB]) is previous
    assert store.data == HearthData(
        hubs={HUB: first.hub},
        devices={(HUB, device.id): device for device in first.devices},
    )
    assert previous.hubs.keys() == {HUB, OTHER_HUB}
    # Dropping a hub it does not hold changes nothing.
    current = store.data
    assert store.drop_hubs([OTHER_HUB, "hub-9"]) is None
    assert store.data is current
    # A 304 of the remaining hub is still unchanged data.
    store.begin_fetch()
    assert store.end_fetch({HUB: first}) is current


def test_drop_hubs_before_any_poll() -> None:
    store = DeviceStore()
    assert store.drop_hubs([HUB]) is None
    assert store.data is None


def test_set_device_of_an_answer_to_a_command() -> None:
    store = polled(hub_state())
    assert store.data is not None
    woken = listen_to_all(store)
    answered = replace(switch("switch-2"), state=DeviceState(on=True))
    assert store.set_device((HUB, "switch-2"), answered)
    assert store.data.devices[HUB, "switch-2"] is answered
    assert woken == Counter({(HUB, "switch-2"): 1})
    assert not store.set_device((HUB, "switch-9"), answered)
    assert not DeviceStore().set_device((HUB, "switch-2"), answered)
