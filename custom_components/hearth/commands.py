"""Commands to devices: sent at once, within the rate budget, never dropped.

A command that cannot be sent raises an error saying why and when to retry;
the hub's answer goes straight into the device store, with no extra read.
"""

from __future__ import annotations

from dataclasses import replace

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .api import (
    DeviceCommand,
    HearthAuthenticationError,
    HearthError,
    HearthRateLimitError,
    HearthRequestError,
)
from .errors import DEVICE_OFFLINE, command_error, rate_limited
from .rate_limit import RateGovernor
from .source import HearthSource
from .store import DeviceStore


class CommandSender:
    """Sends the commands of one config entry's entities."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        source: HearthSource,
        governor: RateGovernor,
        store: DeviceStore,
    ) -> None:
        """Send through ``source``, counted by ``governor``, answers to ``store``."""
        self._hass = hass
        self._entry = entry
        self._source = source
        self._governor = governor
        self._store = store

    async def async_send(
        self, hub_id: str, device_id: str, command: DeviceCommand
    ) -> None:
        """Send a command and show its result at once, without a refresh."""
        if (wait := self._governor.command_wait(_now())) > 0:
            raise rate_limited(wait)
        key = (hub_id, device_id)
        try:
            with self._governor.request(_now, lambda: self._source.rate_limit):
                device = await self._source.async_command(hub_id, device_id, command)
        except HearthError as err:
            if isinstance(err, HearthRateLimitError):
                self._governor.rate_limited(_now(), err.retry_after)
            elif isinstance(err, HearthAuthenticationError):
                self._entry.async_start_reauth(self._hass)
            elif (
                isinstance(err, HearthRequestError)
                and err.code == DEVICE_OFFLINE
                and self._store.data is not None
                and (known := self._store.data.devices.get(key))
            ):
                # Show it at once rather than at the next poll.
                self._store.set_device(key, replace(known, online=False))
            raise command_error(err) from err
        self._store.set_device((hub_id, device.id), device)


def _now() -> float:
    return dt_util.utcnow().timestamp()
