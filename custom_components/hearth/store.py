"""The device store: every hub and device of a config entry, and who watches each.

Polls replace the whole picture; events and the answers to commands change
one device, which wakes only that device's listeners, at the same cost on a
500-device hub as on a 5-device one. A button press is an event only: it
changes no state, and goes to the pressed device's press listeners once,
however often it arrives (each hub numbers its presses). The store also remembers what changed
outside polls, so that a poll that answers 304 still writes it and a poll
already on its way cannot overwrite a newer event. It knows nothing of Home
Assistant.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import Enum, auto

from .api import (
    SUPPORTED_API_MAJOR,
    ButtonPress,
    Device,
    Event,
    EventType,
    HubInfo,
    HubState,
)

type DeviceKey = tuple[str, str]
type Listener = Callable[[], None]
type PressListener = Callable[[ButtonPress], None]


@dataclass(frozen=True, slots=True)
class HearthData:
    """Every hub of a config entry, and every device by (hub id, device id)."""

    hubs: dict[str, HubInfo]
    devices: dict[DeviceKey, Device]

    @classmethod
    def build(cls, hubs: dict[str, HubState]) -> HearthData:
        """Index the devices of every hub by (hub id, device id)."""
        return cls(
            hubs={hub_id: state.hub for hub_id, state in hubs.items()},
            devices={
                (hub_id, device.id): device
                for hub_id, state in hubs.items()
                for device in state.devices
            },
        )

    def hub_state(self, hub_id: str) -> HubState:
        """Return one hub with its devices, as its ``/state`` would."""
        return HubState(
            hub=self.hubs[hub_id],
            devices=[
                device for (owner, _), device in self.devices.items() if owner == hub_id
            ],
        )


class Change(Enum):
    """What an event did to the store, and so what else must follow."""

    #: Nothing (a duplicate, or a device the hub never announced).
    NONE = auto()
    #: One device changed; its listeners were woken.
    DEVICE = auto()
    #: Devices were added or removed: entities and registry follow.
    DEVICES = auto()
    #: The hub itself changed (name, firmware, ...): its registry entry follows.
    HUB = auto()
    #: A button was pressed; the device's press listeners heard it.
    PRESS = auto()
    #: Only a full read can tell: a hub new to the account, or a new API.
    RESYNC = auto()


class DeviceStore:
    """Holds the entry's data; changes one device at a time."""

    def __init__(self) -> None:
        """Start empty; the first poll fills it."""
        self.data: HearthData | None = None
        self._listeners: dict[DeviceKey, list[Listener]] = {}
        self._press_listeners: dict[DeviceKey, list[PressListener]] = {}
        #: The largest press number seen of each hub: only a larger one is new.
        #: Kept across polls and reconnects; a hub never reuses a number.
        self._last_press: dict[str, int] = {}
        #: The states of the last poll, to tell an unchanged (304) poll.
        self._fetched: dict[str, HubState] = {}
        #: Whether events or commands changed the data since the last poll.
        self._changed_since_fetch = False
        #: The devices that changed (None: removed) while a poll was on its way.
        self._changed_while_fetching: dict[DeviceKey, Device | None] | None = None

    # Polls

    def begin_fetch(self) -> None:
        """Note the changes from now on, which may be newer than the answer."""
        self._changed_while_fetching = {}

    def abandon_fetch(self) -> None:
        """Forget the poll under way: it failed."""
        self._changed_while_fetching = None

    def end_fetch(self, hubs: dict[str, HubState]) -> HearthData:
        """Take in a poll's answer; return the new data.

        Returns the current data itself when every hub answered 304 and
        nothing changed meanwhile, so that nothing is parsed or written.
        """
        changed = self._changed_while_fetching or {}
        self._changed_while_fetching = None
        previous = self.data
        fetched, self._fetched = self._fetched, hubs
        changed_since, self._changed_since_fetch = self._changed_since_fetch, False
        if (
            previous is not None
            and not changed_since
            and hubs.keys() == fetched.keys()
            and all(hubs[hub_id] is fetched[hub_id] for hub_id in hubs)
        ):
            return previous
        # After events, a 304 still gets the state it confirms: a hub that
        # restarted can count its ETag up to the cached one again.
        data = HearthData.build(hubs)
        # The stream delivers in order, so its last word stands over an
        # answer that was already on its way.
        for key, device in changed.items():
            if key[0] not in data.hubs:
                continue
            if device is None:
                data.devices.pop(key, None)
            else:
                data.devices[key] = device
        self.data = data
        return data

    def drop_hubs(self, hub_ids: Collection[str]) -> HearthData | None:
        """Forget hubs at once; return the previous data if any was there."""
        previous = self.data
        if previous is None or previous.hubs.keys().isdisjoint(hub_ids):
            return None
        self.data = HearthData(
            hubs={
                hub_id: hub
                for hub_id, hub in previous.hubs.items()
                if hub_id not in hub_ids
            },
            devices={
                key: device
                for key, device in previous.devices.items()
                if key[0] not in hub_ids
            },
        )
        self._fetched = {
            hub_id: state
            for hub_id, state in self._fetched.items()
            if hub_id not in hub_ids
        }
        return previous

    # One device at a time

    def set_device(self, key: DeviceKey, device: Device) -> bool:
        """Swap in a known device's new state and wake its listeners alone."""
        if self.data is None or key not in self.data.devices:
            return False
        self.data.devices[key] = device
        self._note_change(key, device)
        for listener in tuple(self._listeners.get(key, ())):
            listener()
        return True

    def apply_event(self, hub_id: str, event: Event) -> Change:
        """Apply one message of the event stream."""
        data = self.data
        if data is None or hub_id not in data.hubs:
            return Change.RESYNC
        if event.type == EventType.HUB and event.hub is not None:
            return self._set_hub(data, hub_id, event.hub)
        if event.type == EventType.BUTTON_PRESS and event.press is not None:
            return self._press(data, hub_id, event.press)
        if event.type == EventType.DEVICE_REMOVED and event.device_id is not None:
            key = (hub_id, event.device_id)
            if data.devices.pop(key, None) is None:
                return Change.NONE
            self._note_change(key, None)
            return Change.DEVICES
        if event.device is None:
            return Change.NONE
        key = (hub_id, event.device.id)
        if event.type == EventType.DEVICE_STATE:
            # A device the hub never announced waits for the next full read.
            return Change.DEVICE if self.set_device(key, event.device) else Change.NONE
        if event.type == EventType.DEVICE_ADDED:
            if self.set_device(key, event.device):
                return Change.DEVICE
            data.devices[key] = event.device
            self._note_change(key, event.device)
            return Change.DEVICES
        return Change.NONE

    def _set_hub(self, data: HearthData, hub_id: str, hub: HubInfo) -> Change:
        if hub.api_major != SUPPORTED_API_MAJOR:
            # A full read refuses it with the same error as at setup.
            return Change.RESYNC
        if data.hubs[hub_id] == hub:
            return Change.NONE
        data.hubs[hub_id] = hub
        self._changed_since_fetch = True
        return Change.HUB

    def _press(self, data: HearthData, hub_id: str, press: ButtonPress) -> Change:
        """Hand a press to its device's press listeners, unless it was seen.

        A press whose number is not above the largest seen of its hub is a
        repeat (the same press on two streams, or sent again): dropped.
        """
        if press.seq <= self._last_press.get(hub_id, -1):
            return Change.NONE
        self._last_press[hub_id] = press.seq
        key = (hub_id, press.device_id)
        if key not in data.devices:
            return Change.NONE
        for listener in tuple(self._press_listeners.get(key, ())):
            listener(press)
        return Change.PRESS

    def _note_change(self, key: DeviceKey, device: Device | None) -> None:
        """Remember a change that did not come from a poll (None: removed)."""
        self._changed_since_fetch = True
        if self._changed_while_fetching is not None:
            self._changed_while_fetching[key] = device

    # Listeners

    def add_device_listener(self, key: DeviceKey, listener: Listener) -> Listener:
        """Call ``listener`` whenever this device alone changes; return the undo."""
        return add_listener(self._listeners, key, listener)

    def add_press_listener(self, key: DeviceKey, listener: PressListener) -> Listener:
        """Call ``listener`` with each new press of this device; return the undo."""
        return add_listener(self._press_listeners, key, listener)


def add_listener[K, T](registry: dict[K, list[T]], key: K, listener: T) -> Listener:
    """Add ``listener`` to the listeners of ``key`` in ``registry``; return the undo."""
    listeners = registry.setdefault(key, [])
    listeners.append(listener)

    def _remove() -> None:
        listeners.remove(listener)
        if not listeners:
            del registry[key]

    return _remove
