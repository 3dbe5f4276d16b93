"""What differs between the Home Assistant releases Hearth supports.

Everything here exists for the releases before the floor in ``hacs.json``
moves past the change it bridges; each piece says which release made it
unnecessary, so it can be deleted then.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, cast

from homeassistant import config_entries, exceptions
from homeassistant.components import event
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo

from .const import DOMAIN

# Home Assistant 2026.8 made a device belong to exactly one config entry,
# with lookups scoped to the entry, and a parent named by its registry id.
_ENTRY_SCOPED_DEVICES = hasattr(dr.DeviceRegistry, "async_get_device_by_identifier")


def device_by_identifier(
    registry: dr.DeviceRegistry, identifier: tuple[str, str], entry_id: str
) -> dr.DeviceEntry | None:
    """Return the entry's device with this identifier."""
    if _ENTRY_SCOPED_DEVICES:
        device: dr.DeviceEntry | None = registry.async_get_device_by_identifier(  # type: ignore[attr-defined,unused-ignore]
            identifier, entry_id
        )
        return device
    device = registry.async_get_device(identifiers={identifier})
    if device is None or entry_id not in device.config_entries:
        return None
    return device


def devices_by_connection(
    registry: dr.DeviceRegistry, connection: tuple[str, str]
) -> list[dr.DeviceEntry]:
    """Return every device with this connection, whichever entry has it."""
    if _ENTRY_SCOPED_DEVICES:
        devices: list[dr.DeviceEntry] = registry.async_get_devices(  # type: ignore[attr-defined,unused-ignore]
            connections={connection}
        )
        return devices
    device = registry.async_get_device(connections={connection})
    return [] if device is None else [device]


def remove_device(
    registry: dr.DeviceRegistry, device: dr.DeviceEntry, entry_id: str
) -> None:
    """Take a device away from the entry (and so out of the registry).

    Before 2026.8 one device could serve several entries: the entry is only
    detached from it, and the registry removes the device once no entry is left.
    """
    if _ENTRY_SCOPED_DEVICES:
        registry.async_remove_device(device.id)
    else:
        registry.async_update_device(device.id, remove_config_entry_id=entry_id)


def parent_device_info(
    registry: dr.DeviceRegistry, hub_id: str, entry_id: str
) -> DeviceInfo:
    """Return the device info that links a device to its hub's device."""
    if not _ENTRY_SCOPED_DEVICES:
        # No longer a key of DeviceInfo from 2026.8.
        return cast("DeviceInfo", {"via_device": (DOMAIN, hub_id)})
    hub = device_by_identifier(registry, (DOMAIN, hub_id), entry_id)
    if hub is None:
        return DeviceInfo()
    # Not a key of DeviceInfo before 2026.8.
    return cast("DeviceInfo", {"via_device_id": hub.id})


# Home Assistant 2025.8 added OptionsFlowWithReload. An update listener that
# reloads would clash with the flows' own reloads (an error from 2026.12), so
# before 2025.8 the options flow reloads the entry itself.
_NATIVE_RELOADING_OPTIONS_FLOW = hasattr(config_entries, "OptionsFlowWithReload")
if TYPE_CHECKING:
    _OptionsFlowBase = OptionsFlow
else:
    _OptionsFlowBase = getattr(config_entries, "OptionsFlowWithReload", OptionsFlow)


class ReloadingOptionsFlow(_OptionsFlowBase):
    """An options flow whose changed options reload the entry."""

    def async_create_entry(
        self, *, data: Mapping[str, Any], **kwargs: Any
    ) -> ConfigFlowResult:
        """Finish the flow; the entry reloads if its options changed."""
        if not _NATIVE_RELOADING_OPTIONS_FLOW:
            hass = self.hass
            if hass.config_entries.async_update_entry(self.config_entry, options=data):
                hass.config_entries.async_schedule_reload(self.config_entry.entry_id)
        return super().async_create_entry(data=data, **kwargs)


# Home Assistant 2025.x raised ValueError for an OAuth2 implementation that
# is not (or no longer) there; newer releases raise ImplementationUnavailableError
# while a provider may still bring it back.
IMPLEMENTATION_UNAVAILABLE: tuple[type[Exception], ...] = tuple(
    error
    for error in (
        ValueError,
        getattr(exceptions, "ImplementationUnavailableError", None),
    )
    if error is not None
)
#: The token endpoint refused a refresh: the user must sign in again.
OAUTH_REAUTH: tuple[type[Exception], ...] = tuple(
    error
    for error in (getattr(exceptions, "OAuth2TokenRequestReauthError", None),)
    if error is not None
)


# The releases after the developers' blog post of 2026-07-22 (2026.10 among
# them, not 2025.4) name the standard event types of buttons (ButtonEventType)
# and their multi_press_count attribute. Before, the same strings are used as
# plain ones, so that automations hold across an upgrade.
class _ButtonEventType(StrEnum):
    """The standard event types of an event entity of device class button."""

    PRESS_START = "press_start"
    PRESS_END = "press_end"
    LONG_PRESS_START = "long_press_start"
    LONG_PRESS_END = "long_press_end"
    MULTI_PRESS_ONGOING = "multi_press_ongoing"
    MULTI_PRESS_END = "multi_press_end"


ButtonEventType: type[_ButtonEventType] = getattr(
    event, "ButtonEventType", _ButtonEventType
)
ATTR_MULTI_PRESS_COUNT: Final[str] = getattr(
    event, "ATTR_MULTI_PRESS_COUNT", "multi_press_count"
)
