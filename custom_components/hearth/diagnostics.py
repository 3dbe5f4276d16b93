"""Diagnostics of a Hearth config entry, with secrets and MACs redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_MAC, CONF_TOKEN
from homeassistant.core import HomeAssistant

from .coordinator import HearthConfigEntry, HearthCoordinator

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
    """Return what helps to debug an entry, without anything secret.

    This works in every state of the entry: while it is not loaded, waits to
    retry its setup or failed, there is no coordinator, and the entry's state
    and the reason it gives are what is shown.
    """
    diagnostics: dict[str, Any] = {
        "entry": {
            "state": entry.state.value,
            "reason": _redact_host(entry, entry.reason),
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "polling": None,
        "event_stream": None,
        "hubs": None,
        "firmware": None,
    }
    # Set once the first refresh succeeded; removed again when unloaded.
    coordinator: HearthCoordinator | None = getattr(entry, "runtime_data", None)
    if coordinator is None:
        return diagnostics
    governor = coordinator.governor
    diagnostics["polling"] = {
        "scan_interval": coordinator.scan_interval.total_seconds(),
        "last_update_success": coordinator.last_update_success,
        "consecutive_failures": coordinator.failures,
        "rate_limit": {
            "limit": governor.limit,
            "remaining": governor.remaining,
            "reserve_for_commands": governor.reserve,
        },
    }
    if (stream := coordinator.stream) is not None:
        status = stream.status
        diagnostics["event_stream"] = {
            "connected": stream.connected,
            "connected_since": status.connected_since.isoformat()
            if status.connected_since
            else None,
            "reconnects": status.reconnects,
            "last_close_reason": _redact_host(entry, status.last_close_reason),
            "consecutive_failures": stream.backoff.failures,
        }
    watch = coordinator.firmware
    diagnostics["firmware"] = {
        "may_install": watch.may_install,
        "hubs": {hub_id: doc.to_dict() for hub_id, doc in watch.firmware.items()},
        "installing": sorted(watch.installs),
    }
    diagnostics["hubs"] = async_redact_data(
        {
            hub_id: coordinator.data.hub_state(hub_id).to_dict()
            for hub_id in coordinator.data.hubs
        },
        TO_REDACT,
    )
    return diagnostics


def _redact_host(entry: HearthConfigEntry, text: str | None) -> str | None:
    """Return ``text`` (an error message) without the hub's address in it."""
    host = entry.data.get(CONF_HOST)
    if text is None or not host:
        return text
    return text.replace(str(host), REDACTED)
