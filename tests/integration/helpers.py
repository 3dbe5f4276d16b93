"""Helpers of the integration tests: routes, time, config entries and flows."""

from __future__ import annotations

from datetime import timedelta
import inspect
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.hearth.const import (
    CERTIFICATE_MODE_PIN,
    CONF_CERTIFICATE_MODE,
    CONF_FINGERPRINT,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
)
from custom_components.hearth.coordinator import HearthCoordinator
from emulator import Emulator
from tests.harness.emulators import API_KEY

# Routes of the emulator, as ``emulator.stats.count(*ROUTE)`` takes them.
GET_INFO = ("GET", "/api/v1/info")
GET_STATE = ("GET", "/api/v1/state")
PATCH_DEVICE = ("PATCH", "/api/v1/devices/{device_id}")
GET_ME = ("GET", "/v1/me")
GET_HUBS = ("GET", "/v1/hubs")
GET_HUB_STATE = ("GET", "/v1/hubs/{hub_id}/state")
PATCH_CLOUD_DEVICE = ("PATCH", "/v1/hubs/{hub_id}/devices/{device_id}")
POST_TOKEN = ("POST", "/oauth/token")


# Time


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Let ``seconds`` pass and everything that falls due run to its end.

    Scheduled polls run as background tasks, so those are waited for too.
    """
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def async_poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one scan interval pass, so that the coordinator polls the hub."""
    await advance(hass, freezer, DEFAULT_SCAN_INTERVAL.total_seconds())


# Config entries


def hub_entry_data(emulator: Emulator, api_key: str = API_KEY) -> dict[str, Any]:
    """Return the data of a local entry for ``emulator``, its certificate pinned."""
    return {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: emulator.port,
        CONF_API_KEY: api_key,
        CONF_CERTIFICATE_MODE: CERTIFICATE_MODE_PIN,
        CONF_FINGERPRINT: emulator.fingerprint,
    }


def hub_entry(emulator: Emulator, title: str = "Hearth Hub") -> MockConfigEntry:
    """Return a local entry for ``emulator``, reached at 127.0.0.1."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=emulator.hub_id,
        data=hub_entry_data(emulator),
    )


def account_entry(
    emulator: Emulator,
    *,
    expires_in: float | None = None,
    auth_implementation: str = DOMAIN,
) -> MockConfigEntry:
    """Return the entry of the emulator's cloud account, as OAuth2 stores it.

    Its token lives ``expires_in`` seconds from now (by default as long as the
    cloud says).
    """
    token: dict[str, Any] = emulator.issue_token()
    lifetime = int(token["expires_in"]) if expires_in is None else expires_in
    token["expires_at"] = dt_util.utcnow().timestamp() + lifetime
    return MockConfigEntry(
        domain=DOMAIN,
        title="Demo account",
        unique_id=emulator.account.id,
        data={"auth_implementation": auth_implementation, "token": token},
    )


async def add_entry(
    hass: HomeAssistant, entry: MockConfigEntry, **changes: Any
) -> bool:
    """Add ``entry``, apply ``changes`` (``data=``, ``options=``) and set it up.

    Return whether the setup succeeded, once everything it started is done.
    """
    entry.add_to_hass(hass)
    if changes:
        hass.config_entries.async_update_entry(entry, **changes)
    loaded = await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return loaded


async def setup_entry(
    hass: HomeAssistant, entry: MockConfigEntry, **changes: Any
) -> HearthCoordinator:
    """Add and set up ``entry`` as :func:`add_entry`; return its coordinator."""
    assert await add_entry(hass, entry, **changes)
    coordinator: HearthCoordinator = entry.runtime_data
    return coordinator


# States


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state; the entity must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


# The user flow


def user_input(
    host: str, api_key: str = API_KEY, mode: str = CERTIFICATE_MODE_PIN
) -> dict[str, str]:
    """Return what the user types into the connection form."""
    return {CONF_HOST: host, CONF_API_KEY: api_key, CONF_CERTIFICATE_MODE: mode}


async def start_user_flow(hass: HomeAssistant) -> ConfigFlowResult:
    """Open the form that adds a hub by address, through the menu."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "local"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "local"
    assert result["errors"] == {}
    return result


def find_device(
    registry: dr.DeviceRegistry,
    identifiers: set[tuple[str, str]] | None = None,
    connections: set[tuple[str, str]] | None = None,
) -> dr.DeviceEntry | None:
    """Return the one device with these identifiers or connections, if any.

    From Home Assistant 2026.8 the lookup across config entries is
    ``async_get_devices``; ``async_get_device`` is deprecated there.
    """
    if not hasattr(registry, "async_get_device_by_identifier"):
        return registry.async_get_device(
            identifiers=identifiers, connections=connections
        )
    devices: list[dr.DeviceEntry] = registry.async_get_devices(
        identifiers=identifiers, connections=connections
    )
    assert len(devices) <= 1, devices
    return devices[0] if devices else None


def device_entry_ids(device: dr.DeviceEntry) -> set[str]:
    """Return the config entries of a device (exactly one from 2026.8)."""
    if hasattr(device, "config_entry_id"):
        return {device.config_entry_id}
    return set(device.config_entries)


async def remove_device(client: Any, device_id: str, entry_id: str) -> Any:
    """Ask over the WebSocket API to remove a device from its config entry.

    From Home Assistant 2026.8 a device has one entry, and the test client's
    ``remove_device`` takes the device alone.
    """
    if len(inspect.signature(client.remove_device).parameters) == 1:
        return await client.remove_device(device_id)
    return await client.remove_device(device_id, entry_id)
