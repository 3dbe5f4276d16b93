"""Base entity shared by every Hearth platform."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Device, DeviceCommand
from .compat import parent_device_info
from .const import MANUFACTURER
from .coordinator import HearthCoordinator
from .registry import device_identifier
from .store import DeviceKey


def _registry_info(device: Device | None) -> tuple[str | None, ...] | None:
    """Return what the device registry shows of a device."""
    return None if device is None else (device.name, device.model, device.firmware)


@dataclass(frozen=True, kw_only=True)
class HearthEntityDescription(EntityDescription):
    """What every Hearth entity description has: which devices it applies to."""

    exists_fn: Callable[[Device], bool]


class HearthEntity(CoordinatorEntity[HearthCoordinator]):
    """An entity of one device behind a hub.

    It writes its state only when its device or its availability changed, so
    a poll that changes nothing costs no state writes.
    """

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: HearthCoordinator,
        key: DeviceKey,
        description: EntityDescription,
    ) -> None:
        """Bind the entity to a device of a hub."""
        super().__init__(coordinator)
        self.entity_description = description
        self._key = key
        self._hub_id, self._device_id = key
        device = coordinator.data.devices[key]
        hub = coordinator.data.hubs[self._hub_id]
        self._attr_unique_id = f"{self._hub_id}_{self._device_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={device_identifier(self._hub_id, self._device_id)},
            manufacturer=MANUFACTURER,
            model=device.model,
            name=device.name,
            sw_version=device.firmware,
            configuration_url=coordinator.configuration_url,
            **parent_device_info(
                dr.async_get(coordinator.hass),
                hub.id,
                coordinator.config_entry.entry_id,
            ),
        )
        self._written: tuple[Device | None, bool] = (device, self.available)

    async def async_added_to_hass(self) -> None:
        """Listen to the coordinator's polls and to this device's own changes."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.store.add_device_listener(
                self._key, self._handle_coordinator_update
            )
        )

    @property
    def device(self) -> Device:
        """Return the device's latest state."""
        return self.coordinator.data.devices[self._key]

    @property
    def available(self) -> bool:
        """Return False while the hub is unreachable or the device offline."""
        device = self.coordinator.data.devices.get(self._key)
        return super().available and device is not None and device.online

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when something this entity shows changed."""
        current = (self.coordinator.data.devices.get(self._key), self.available)
        if current[1] == self._written[1] and (
            current[0] is self._written[0] or current[0] == self._written[0]
        ):
            return
        previous, self._written = self._written[0], current
        device = current[0]
        if device is not None and _registry_info(device) != _registry_info(previous):
            self._async_update_device_entry(device)
        self.async_write_ha_state()

    @callback
    def _async_update_device_entry(self, device: Device) -> None:
        """Show a new name, model or firmware of the device in the registry.

        The device info is read only when the entity is added, so an update
        of the device's firmware would otherwise show only after a reload.
        """
        dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.coordinator.config_entry.entry_id,
            identifiers={device_identifier(self._hub_id, self._device_id)},
            model=device.model,
            name=device.name,
            sw_version=device.firmware,
        )

    async def _async_command(self, command: DeviceCommand) -> None:
        """Send a command to this entity's device."""
        await self.coordinator.commands.async_send(
            self._hub_id, self._device_id, command
        )


@callback
def async_add_device_entities[DescriptionT: HearthEntityDescription](
    coordinator: HearthCoordinator,
    descriptions: Iterable[DescriptionT],
    factory: Callable[[HearthCoordinator, DeviceKey, DescriptionT], Entity],
    add_entities: Callable[[list[Entity]], None],
) -> None:
    """Add the entities of every device now and of each device that appears.

    A description's ``exists_fn`` says whether it applies to a device.
    """
    descriptions = tuple(descriptions)
    async_add_entities_per_device(
        coordinator,
        lambda key, device: [
            factory(coordinator, key, description)
            for description in descriptions
            if description.exists_fn(device)
        ],
        add_entities,
    )


@callback
def async_add_entities_per_device(
    coordinator: HearthCoordinator,
    entities_fn: Callable[[DeviceKey, Device], Iterable[Entity]],
    add_entities: Callable[[list[Entity]], None],
) -> None:
    """Add the entities ``entities_fn`` makes of every device, now and as devices appear.

    The entities of a device that disappears go with its device registry entry.
    """
    known: set[DeviceKey] = set()

    @callback
    def _add_new() -> None:
        devices = coordinator.data.devices
        new = devices.keys() - known
        # Forget removed devices, so that one that comes back is added again.
        known.intersection_update(devices.keys())
        if not new:
            return
        known.update(new)
        add_entities(
            [entity for key in sorted(new) for entity in entities_fn(key, devices[key])]
        )

    _add_new()
    coordinator.config_entry.async_on_unload(coordinator.async_add_listener(_add_new))
