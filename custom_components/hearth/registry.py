"""The device registry entries of a config entry: its hubs and their devices.

Hubs are registered before their devices' entities, which name them as
their parent. Devices the hub no longer reports leave the registry, with
their entities: at once when a poll or an event says so, and at setup for
those that went while Home Assistant was not running.
"""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo

from .api import HubInfo
from .compat import device_by_identifier, devices_by_connection, remove_device
from .const import DOMAIN, LOGGER, MANUFACTURER
from .store import DeviceKey, HearthData


def device_identifier(hub_id: str, device_id: str) -> tuple[str, str]:
    """Return the device registry identifier of a hub's device."""
    return (DOMAIN, f"{hub_id}_{device_id}")


def hub_device_info(hub: HubInfo, configuration_url: str | None) -> DeviceInfo:
    """Return the device registry entry of a hub."""
    return DeviceInfo(
        identifiers={(DOMAIN, hub.id)},
        connections={(dr.CONNECTION_NETWORK_MAC, hub.mac)} if hub.mac else set(),
        manufacturer=MANUFACTURER,
        model=hub.model,
        name=hub.name,
        sw_version=hub.firmware,
        configuration_url=configuration_url,
    )


def identifiers_of(data: HearthData) -> set[tuple[str, str]]:
    """Return the registry identifiers of every hub and device in ``data``."""
    current = {(DOMAIN, hub_id) for hub_id in data.hubs}
    current.update(device_identifier(*key) for key in data.devices)
    return current


def hub_id_for_mac(hass: HomeAssistant, mac: str) -> str | None:
    """Return the id of the hub with this MAC address in the device registry."""
    for device in devices_by_connection(
        dr.async_get(hass), (dr.CONNECTION_NETWORK_MAC, mac)
    ):
        for domain, value in device.identifiers:
            if domain == DOMAIN:
                return value
    return None


class DeviceRegistrar:
    """Keeps the device registry in step with the hubs of one config entry."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, configuration_url: str | None
    ) -> None:
        """Register for the entry ``entry_id``; hubs link to ``configuration_url``."""
        self._hass = hass
        self._entry_id = entry_id
        self.configuration_url = configuration_url

    def register_hub(self, hub: HubInfo) -> None:
        """Create or update the device entry of a hub."""
        dr.async_get(self._hass).async_get_or_create(
            config_entry_id=self._entry_id,
            **hub_device_info(hub, self.configuration_url),
        )

    def update(self, previous: HearthData | None, data: HearthData) -> None:
        """Register new or changed hubs, and remove what is gone since ``previous``."""
        for hub_id, hub in data.hubs.items():
            if previous is None or previous.hubs.get(hub_id) != hub:
                self.register_hub(hub)
        if previous is None:
            self.remove_stale(data)
        elif (
            data.devices.keys() != previous.devices.keys()
            or data.hubs.keys() != previous.hubs.keys()
        ):
            gone = [
                device_identifier(*key)
                for key in previous.devices.keys() - data.devices.keys()
            ]
            gone += [
                (DOMAIN, hub_id) for hub_id in previous.hubs.keys() - data.hubs.keys()
            ]
            self.remove(gone)

    def remove_device(self, key: DeviceKey) -> None:
        """Remove one device the hub removed."""
        self.remove([device_identifier(*key)])

    def remove(self, identifiers: Iterable[tuple[str, str]]) -> None:
        """Take the entries of these identifiers away from the config entry."""
        registry = dr.async_get(self._hass)
        for identifier in identifiers:
            if device := device_by_identifier(registry, identifier, self._entry_id):
                remove_device(registry, device, self._entry_id)

    def remove_stale(self, data: HearthData) -> None:
        """Remove the entry's devices that the hubs no longer report.

        Called with the first full read after setup: a device removed from
        the hub while Home Assistant was not running leaves too.
        """
        registry = dr.async_get(self._hass)
        current = identifiers_of(data)
        for device in dr.async_entries_for_config_entry(registry, self._entry_id):
            own = {item for item in device.identifiers if item[0] == DOMAIN}
            if own and not own & current:
                LOGGER.debug("Removing %s: its hub no longer reports it", device.name)
                remove_device(registry, device, self._entry_id)
