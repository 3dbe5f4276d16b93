"""Handing hubs over between a cloud entry and the local entries of its hubs.

A hub configured both ways is served by its local entry only (see
:mod:`.cloud`). This keeps that true while entries come and go, without
waiting for a poll.
"""

from __future__ import annotations

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    SOURCE_IGNORE,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .cloud import CloudSource, is_cloud_entry
from .const import DOMAIN
from .coordinator import HearthCoordinator


@callback
def async_track_local_entries(
    hass: HomeAssistant, coordinator: HearthCoordinator, source: CloudSource
) -> CALLBACK_TYPE:
    """Hand hubs over between the cloud entry and local entries at once.

    When a local entry is added, the cloud entry drops that hub before the
    local entry sets up its entities. When one is removed, the cloud entry
    polls again if it had been skipping that hub.
    """

    @callback
    def _entry_changed(change: ConfigEntryChange, entry: ConfigEntry) -> None:
        if (
            entry.domain != DOMAIN
            or entry.source == SOURCE_IGNORE
            or entry.unique_id is None
            or is_cloud_entry(entry)
        ):
            return
        hub_id = entry.unique_id
        if change is not ConfigEntryChange.REMOVED:
            if coordinator.async_drop_hubs({hub_id}):
                source.skipped.add(hub_id)
        elif hub_id in source.skipped:
            coordinator.config_entry.async_create_task(
                hass, coordinator.async_request_refresh(), "hearth_cloud_take_over"
            )

    return async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _entry_changed)
