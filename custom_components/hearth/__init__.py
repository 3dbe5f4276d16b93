"""The Hearth integration: lights, switches, sensors and buttons of Hearth hubs."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_API_KEY,
    CONF_HOST,
    CONF_PORT,
    CONF_SCAN_INTERVAL,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from yarl import URL

from .api import ApiKeyAuth, HearthHubClient, pinned_ssl
from .cloud import CloudSource, async_create_cloud_source, is_cloud_entry
from .const import (
    CERTIFICATE_MODE_PIN,
    CONF_CERTIFICATE_MODE,
    CONF_FINGERPRINT,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
)
from .coordinator import HearthConfigEntry, HearthCoordinator
from .handover import async_track_local_entries
from .issues import certificate_issue_id
from .push import PushHandler
from .registry import identifiers_of
from .source import HearthSource, LocalHubSource
from .stream import EventStream

PLATFORMS = [
    Platform.EVENT,
    Platform.LIGHT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.UPDATE,
]


def local_hub_url(host: str, port: int) -> str:
    """Return the address of a hub's own web page (IPv6 bracketed, 443 left out)."""
    return str(URL.build(scheme="https", host=host, port=port, path="/"))


async def async_setup_entry(hass: HomeAssistant, entry: HearthConfigEntry) -> bool:
    """Connect to the hub or cloud, fetch the state once, set up the platforms."""
    data = entry.data
    source: HearthSource
    cloud_source: CloudSource | None = None
    configuration_url: str | None = None
    if is_cloud_entry(entry):
        source = cloud_source = await async_create_cloud_source(hass, entry)
    else:
        client = HearthHubClient(
            async_get_clientsession(hass),
            data[CONF_HOST],
            ApiKeyAuth(data[CONF_API_KEY]),
            port=data[CONF_PORT],
            ssl=pinned_ssl(data[CONF_FINGERPRINT])
            if data[CONF_CERTIFICATE_MODE] == CERTIFICATE_MODE_PIN
            else True,
        )
        source = LocalHubSource(client, entry.unique_id)
        configuration_url = local_hub_url(data[CONF_HOST], data[CONF_PORT])
    scan_interval = timedelta(
        seconds=entry.options.get(
            CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL.total_seconds()
        )
    )
    coordinator = HearthCoordinator(
        hass,
        entry,
        source,
        scan_interval=scan_interval,
        configuration_url=configuration_url,
    )
    if cloud_source is not None:
        entry.async_on_unload(
            async_track_local_entries(hass, coordinator, cloud_source)
        )
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    push = PushHandler(coordinator)
    coordinator.poll_listeners.append(push.poll_done)
    coordinator.stream = EventStream(
        hass, entry, source.async_events, push, coordinator.governor
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    coordinator.stream.async_start()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: HearthConfigEntry) -> bool:
    """Unload the platforms."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: HearthConfigEntry) -> None:
    """Close the entry's repair issue: there is no certificate left to accept."""
    ir.async_delete_issue(hass, DOMAIN, certificate_issue_id(entry.entry_id))


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: HearthConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Allow removing a device only once the hub no longer reports it.

    While the entry is not loaded nothing can be checked; a device the hub
    still has comes back at the next setup.
    """
    if entry.state is not ConfigEntryState.LOADED:
        return True
    return not device_entry.identifiers & identifiers_of(entry.runtime_data.data)
