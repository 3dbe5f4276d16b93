"""Diagnostics of a Hearth config entry, with secrets and MACs redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_MAC, CONF_TOKEN
from homeassistant.core import HomeAssistant

from .coordinator import HearthConfigEntry

TO_REDACT = {
    CONF_API_KEY,
    CONF_TOKEN,
    CONF_MAC,
    CONF_HOST,
    "access_token",
    "refresh_token",
    "account_id",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HearthConfigEntry
) -> dict[str, Any]:
    """Return what helps to debug an entry, without anything secret."""
    coordinator = entry.runtime_data
    governor = coordinator.governor
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "polling": {
            "scan_interval": coordinator.scan_interval.total_seconds(),
            "last_update_success": coordinator.last_update_success,
            "consecutive_failures": coordinator.failures,
            "rate_limit": {
                "limit": governor.limit,
                "remaining": governor.remaining,
                "reserve_for_commands": governor.reserve,
            },
        },
        "hubs": async_redact_data(
            {
                hub_id: state.to_dict()
                for hub_id, state in coordinator.data.hubs.items()
            },
            TO_REDACT,
        ),
    }
