"""Hearth switches and outlets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import (
    SwitchDeviceClass,
    SwitchEntity,
    SwitchEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Device, DeviceCommand, DeviceKind, SwitchType
from .coordinator import HearthConfigEntry
from .entity import (
    HearthEntity,
    HearthEntityDescription,
    async_add_device_entities,
)

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class HearthSwitchEntityDescription(SwitchEntityDescription, HearthEntityDescription):
    """Describes a Hearth switch."""

    is_on_fn: Callable[[Device], bool | None]


def _is_switch(device: Device, switch_type: SwitchType) -> bool:
    return device.kind == DeviceKind.SWITCH and (
        (device.capabilities.switch_type or SwitchType.SWITCH) == switch_type
    )


SWITCHES: tuple[HearthSwitchEntityDescription, ...] = (
    HearthSwitchEntityDescription(
        key="outlet",
        translation_key="outlet",
        name=None,
        device_class=SwitchDeviceClass.OUTLET,
        exists_fn=lambda device: _is_switch(device, SwitchType.OUTLET),
        is_on_fn=lambda device: device.state.on,
    ),
    HearthSwitchEntityDescription(
        key="switch",
        translation_key="switch",
        name=None,
        device_class=SwitchDeviceClass.SWITCH,
        exists_fn=lambda device: _is_switch(device, SwitchType.SWITCH),
        is_on_fn=lambda device: device.state.on,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HearthConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a switch entity for every switch of the entry's hubs."""
    async_add_device_entities(
        entry.runtime_data,
        SWITCHES,
        HearthSwitch,
        async_add_entities,
    )


class HearthSwitch(HearthEntity, SwitchEntity):
    """A switch or outlet behind a Hearth hub."""

    entity_description: HearthSwitchEntityDescription

    @property
    def is_on(self) -> bool | None:
        """Return whether the switch is on."""
        return self.entity_description.is_on_fn(self.device)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn the switch on."""
        await self._async_command(DeviceCommand(on=True))

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn the switch off."""
        await self._async_command(DeviceCommand(on=False))
