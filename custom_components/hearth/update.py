"""The firmware of each hub, as an update entity on the hub's device.

Hubs before API 1.3 have no firmware to read, and so no update entity.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.update import (
    UpdateDeviceClass,
    UpdateEntity,
    UpdateEntityDescription,
    UpdateEntityFeature,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Firmware
from .const import DOMAIN
from .coordinator import HearthConfigEntry, HearthCoordinator

PARALLEL_UPDATES = 1

_READ_FEATURES = UpdateEntityFeature.PROGRESS | UpdateEntityFeature.RELEASE_NOTES

#: One per hub, named by its device class ("Firmware").
FIRMWARE = UpdateEntityDescription(
    key="firmware",
    device_class=UpdateDeviceClass.FIRMWARE,
    entity_category=EntityCategory.CONFIG,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HearthConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a firmware update entity for every hub that reports its firmware."""
    coordinator = entry.runtime_data
    watch = coordinator.firmware
    known: set[str] = set()

    @callback
    def _add_new() -> None:
        # Forget hubs that went, so that one that comes back is added again.
        known.intersection_update(watch.firmware)
        if new := watch.firmware.keys() - known:
            known.update(new)
            async_add_entities(
                [HearthFirmwareUpdate(coordinator, hub_id) for hub_id in sorted(new)]
            )

    _add_new()
    entry.async_on_unload(watch.add_listener(None, _add_new))


class HearthFirmwareUpdate(CoordinatorEntity[HearthCoordinator], UpdateEntity):
    """The firmware a hub runs, the latest it is offered, and installing it."""

    _attr_has_entity_name = True
    entity_description = FIRMWARE

    def __init__(self, coordinator: HearthCoordinator, hub_id: str) -> None:
        """Bind the entity to a hub's device."""
        super().__init__(coordinator)
        self._hub_id = hub_id
        self._watch = coordinator.firmware
        self._attr_unique_id = f"{hub_id}_{FIRMWARE.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, hub_id)})
        self._attr_supported_features = self._features()

    def _features(self) -> UpdateEntityFeature:
        if self._watch.may_install:
            return _READ_FEATURES | UpdateEntityFeature.INSTALL
        return _READ_FEATURES

    async def async_added_to_hass(self) -> None:
        """Follow the hub's firmware as well as the polls."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._watch.add_listener(self._hub_id, self._firmware_changed)
        )

    @callback
    def _firmware_changed(self) -> None:
        self._attr_supported_features = self._features()
        self.async_write_ha_state()

    @property
    def _firmware(self) -> Firmware | None:
        return self._watch.firmware.get(self._hub_id)

    @property
    def available(self) -> bool:
        """Return False while the hub cannot be read or its firmware is unknown."""
        return (
            super().available
            and self._hub_id in self.coordinator.data.hubs
            and self._firmware is not None
        )

    @property
    def installed_version(self) -> str | None:
        """Return the firmware the hub says it runs."""
        if (hub := self.coordinator.data.hubs.get(self._hub_id)) is not None:
            return hub.firmware
        return self._firmware.installed if self._firmware else None

    @property
    def latest_version(self) -> str | None:
        """Return the latest firmware; the installed one when the hub knows of none."""
        firmware = self._firmware
        if firmware is None or firmware.latest is None:
            return self.installed_version
        return firmware.latest

    @property
    def in_progress(self) -> bool:
        """Return True from the start of an install until the hub runs the new firmware."""
        return self._watch.installing(self._hub_id)

    @property
    def update_percentage(self) -> int | None:
        """Return how far the install is, until the hub goes down to restart."""
        firmware = self._firmware
        return firmware.progress if firmware and firmware.installing else None

    @property
    def release_url(self) -> str | None:
        """Return the page about the latest firmware."""
        return self._firmware.release_url if self._firmware else None

    async def async_release_notes(self) -> str | None:
        """Return the release notes of the latest firmware (Markdown)."""
        return self._firmware.release_notes if self._firmware else None

    async def async_install(
        self, version: str | None, backup: bool, **kwargs: Any
    ) -> None:
        """Install the latest firmware; return once the hub runs it.

        The version shown is the one asked for, so that what the user saw is
        what gets installed.
        """
        await self._watch.async_install(self._hub_id, version or self.latest_version)
