"""Hearth buttons (wall switches and remotes): one event entity per button.

A press reaches Home Assistant only through the event stream, at once; polls
never carry presses, and a press made while the stream is down is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.event import (
    EventDeviceClass,
    EventEntity,
    EventEntityDescription,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Button, ButtonPress, Device, DeviceKind, PressType
from .compat import ATTR_MULTI_PRESS_COUNT, ButtonEventType
from .coordinator import HearthConfigEntry
from .entity import HearthEntity, async_add_entities_per_device
from .store import DeviceKey

PARALLEL_UPDATES = 0

#: Home Assistant's standard button event for each press type of the hub,
#: with the attributes it carries; plain strings, the same on every release.
PRESS_EVENTS: dict[str, tuple[str, dict[str, Any] | None]] = {
    PressType.SHORT: (ButtonEventType.PRESS_END.value, None),
    PressType.DOUBLE: (
        ButtonEventType.MULTI_PRESS_END.value,
        {ATTR_MULTI_PRESS_COUNT: 2},
    ),
    PressType.LONG: (ButtonEventType.LONG_PRESS_START.value, None),
    PressType.LONG_RELEASE: (ButtonEventType.LONG_PRESS_END.value, None),
}


@dataclass(frozen=True, kw_only=True)
class HearthEventEntityDescription(EventEntityDescription):
    """Describes one button of a button device."""

    button_id: str


def button_description(button: Button) -> HearthEventEntityDescription | None:
    """Describe a button's event entity; None when it reports no known press."""
    event_types = [PRESS_EVENTS[press][0] for press in button.known_press_types]
    if not event_types:
        return None
    return HearthEventEntityDescription(
        key=f"button_{button.id}",
        translation_key="button",
        # The hub's name of the button, which its owner may have set.
        name=button.name or button.id,
        device_class=EventDeviceClass.BUTTON,
        event_types=event_types,
        button_id=button.id,
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HearthConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an event entity for every button of the entry's button devices."""
    coordinator = entry.runtime_data

    def _entities(key: DeviceKey, device: Device) -> list[HearthButtonEvent]:
        if device.kind != DeviceKind.BUTTON:
            return []
        return [
            HearthButtonEvent(coordinator, key, description)
            for button in device.capabilities.buttons
            if (description := button_description(button)) is not None
        ]

    async_add_entities_per_device(coordinator, _entities, async_add_entities)


class HearthButtonEvent(HearthEntity, EventEntity):
    """One button of a wall switch or remote; each press is an event."""

    entity_description: HearthEventEntityDescription

    async def async_added_to_hass(self) -> None:
        """Hear the presses of this device too."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.store.add_press_listener(self._key, self._pressed)
        )

    @callback
    def _pressed(self, press: ButtonPress) -> None:
        """Fire the event of a press of this button."""
        if press.button_id != self.entity_description.button_id:
            return
        event = PRESS_EVENTS.get(press.press_type)
        if event is None or event[0] not in self.event_types:
            return
        self._trigger_event(*event)
        self.async_write_ha_state()
