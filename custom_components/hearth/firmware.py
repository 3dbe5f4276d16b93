"""Hub firmware: what each hub runs and is offered, and installs until the hub is back.

:class:`FirmwareWatch` keeps the firmware document of each hub that has one
(API 1.3 and later; an older hub is not even asked). ``GET /firmware`` is
read with the full read that follows each (re)connect of the event stream
(the first one comes right after the setup; if the stream cannot open, after
the next poll), and otherwise at most once per safety-poll interval: never
as an extra request of every poll, and within the rate budget as a poll is.
Between reads, the stream's ``firmware``, ``firmware_progress`` and
``firmware_failed`` events keep it current.

Installs, started here or anywhere else (the Hearth app, the hub's page),
are followed in :mod:`.installs` until the hub runs the new firmware.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from .api import (
    Event,
    EventType,
    Firmware,
    FirmwareState,
    HearthAuthenticationError,
    HearthError,
    HearthForbiddenError,
    HearthNotFoundError,
    HearthRateLimitError,
    HubInfo,
)
from .const import FIRMWARE_API_VERSION, FIRMWARE_RESTART_TIMEOUT, LOGGER
from .errors import install_error, install_failed, rate_limited, translated
from .installs import Install, Installs
from .rate_limit import RateGovernor
from .source import HearthSource
from .store import DeviceStore, Listener, add_listener

#: The events that carry a hub's whole firmware document.
FIRMWARE_EVENTS = frozenset(
    {EventType.FIRMWARE, EventType.FIRMWARE_PROGRESS, EventType.FIRMWARE_FAILED}
)


def has_firmware_api(hub: HubInfo) -> bool:
    """Return whether the hub's API version has ``/firmware`` (1.3 and later)."""
    try:
        version = tuple(int(part) for part in hub.api_version.split(".")[:2])
    except ValueError:
        return False
    return version >= FIRMWARE_API_VERSION


class FirmwareWatch:
    """The firmware of a config entry's hubs, and the installs they run."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        source: HearthSource,
        governor: RateGovernor,
        store: DeviceStore,
        *,
        refresh_interval: timedelta,
        request_poll: Callable[[], None],
    ) -> None:
        """Read through ``source`` within ``governor``'s budget, hubs from ``store``."""
        self._hass = hass
        self._entry = entry
        self._source = source
        self._governor = governor
        self._store = store
        self._refresh_interval = refresh_interval.total_seconds()
        self._request_poll = request_poll
        #: The firmware document of each hub that has one.
        self.firmware: dict[str, Firmware] = {}
        #: Hubs that answered 404, with the API version they reported then.
        self._absent: dict[str, str] = {}
        self.installs = Installs(hass, self._timed_out)
        #: Per hub; under None, those that hear a hub's firmware appear or go.
        self._listeners: dict[str | None, list[Listener]] = {}
        #: Read after the next poll. The first read waits for the event stream,
        #: which opens right after the setup and is followed by a read anyway.
        self._due = False
        self._read_at = _now()
        self._ever_read = False
        self._reading = False
        #: The hub refused a write: the credential is read-only.
        self.write_refused = False

    @property
    def may_install(self) -> bool:
        """Return whether installing may work: no refusal so far, nor known in advance."""
        return not self.write_refused and self._source.may_write is not False

    @property
    def restart_planned(self) -> bool:
        """Return whether a hub installs firmware and has not come back since."""
        return self.installs.restart_planned

    def installing(self, hub_id: str) -> bool:
        """Return whether the hub installs firmware or restarts to run it."""
        firmware = self.firmware.get(hub_id)
        return self.installs.get(hub_id) is not None or (
            firmware is not None and firmware.installing
        )

    def add_listener(self, hub_id: str | None, listener: Listener) -> Listener:
        """Call ``listener`` when a hub's firmware (None: the set of hubs) changes."""
        return add_listener(self._listeners, hub_id, listener)

    def _notify(self, hub_id: str | None) -> None:
        for listener in tuple(self._listeners.get(hub_id, ())):
            listener()

    # Reading

    @callback
    def poll_done(self, succeeded: bool) -> None:
        """After a poll: follow the hubs, and read the firmware when it is due."""
        data = self._store.data
        if data is None:
            return
        if gone := self.firmware.keys() - data.hubs.keys():
            for hub_id in gone:
                del self.firmware[hub_id]
            self._notify(None)
        for hub_id in self.installs:
            self._check_installed(hub_id)
        if not succeeded or self._reading:
            return
        if self._due or _now() - self._read_at >= self._refresh_interval:
            self._entry.async_create_task(
                self._hass, self.async_read(), "hearth_firmware_read"
            )

    async def async_read(self) -> None:
        """Read the firmware of every hub that has it, if the budget allows."""
        data = self._store.data
        if data is None or self._reading:
            return
        hubs = [
            hub.id
            for hub in data.hubs.values()
            if self._asked(hub) and not self.installs.is_down(hub.id)
        ]
        if hubs and self._governor.poll_wait(_now(), len(hubs)) > 0:
            self._due = True  # The next poll tries again.
            return
        self._reading, self._due, self._read_at = True, False, _now()
        self._ever_read = True
        try:
            for hub_id in hubs:
                if not await self._async_read_hub(hub_id):
                    break
        finally:
            self._reading = False

    def _asked(self, hub: HubInfo) -> bool:
        """Return whether the hub has firmware to read, as far as is known."""
        return has_firmware_api(hub) and self._absent.get(hub.id) != hub.api_version

    async def _async_read_hub(self, hub_id: str) -> bool:
        """Read one hub's firmware; return False when the budget ran out."""
        try:
            with self._governor.request(_now, lambda: self._source.rate_limit):
                firmware = await self._source.async_get_firmware(hub_id)
        except HearthNotFoundError:
            if (data := self._store.data) and (hub := data.hubs.get(hub_id)):
                self._absent[hub_id] = hub.api_version
            LOGGER.debug("%s has no firmware to read (404)", hub_id)
            if self.firmware.pop(hub_id, None) is not None:
                self._notify(None)
            return True
        except HearthRateLimitError as err:
            self._governor.rate_limited(_now(), err.retry_after)
            self._due = True
            return False
        except HearthError as err:
            # Tried again at the safety pace: a hub that fails is not pressed.
            LOGGER.debug("Reading the firmware of %s failed: %s", hub_id, err)
            return True
        self._absent.pop(hub_id, None)
        if (install := self.installs.get(hub_id)) is not None:
            if firmware.installing:
                install.down = install.back = False
            elif install.back and firmware.installed == install.installed:
                # Back, yet running the old firmware: it was not installed.
                version = install.version or "?"
                self._finish(
                    hub_id,
                    install_failed(firmware.error, version, firmware.installed)
                    if firmware.error
                    else translated(
                        "firmware_not_installed",
                        version=version,
                        installed=firmware.installed,
                    ),
                )
        self._set(hub_id, firmware)
        self._check_installed(hub_id)
        return True

    def _set(self, hub_id: str, firmware: Firmware) -> None:
        new = hub_id not in self.firmware
        self.firmware[hub_id] = firmware
        self._notify(hub_id)
        if new:
            self._notify(None)

    # Following the stream

    @callback
    def apply_event(self, hub_id: str, event: Event) -> None:
        """Take in a firmware event of a hub."""
        firmware = event.firmware
        data = self._store.data
        if firmware is None or data is None or hub_id not in data.hubs:
            return
        self._absent.pop(hub_id, None)
        if event.type == EventType.FIRMWARE_FAILED:
            install = self.installs.get(hub_id)
            self._finish(
                hub_id,
                install_failed(
                    firmware.error,
                    (install.version if install else None) or firmware.latest or "?",
                    firmware.installed,
                ),
            )
        elif firmware.installing:
            self.installs.expect(hub_id, firmware.installed, firmware.latest)
        self._set(hub_id, firmware)

    @callback
    def hub_changed(self, hub_id: str) -> None:
        """Hear that a hub's info changed (its firmware, perhaps)."""
        self._check_installed(hub_id)
        self._notify(hub_id)

    def _check_installed(self, hub_id: str) -> None:
        """End a hub's install once the hub runs another firmware than before."""
        data = self._store.data
        hub = data.hubs.get(hub_id) if data else None
        install = self.installs.get(hub_id)
        if hub is None or install is None or hub.firmware == install.installed:
            return
        if firmware := self.firmware.get(hub_id):
            self.firmware[hub_id] = replace(firmware, installed=hub.firmware)
        self._finish(hub_id, None)

    @callback
    def stream_closed(self) -> None:
        """Hear that the event stream ended: a hub that installs went down.

        A stream that cannot open at all leaves the first read to the polls.
        """
        self._due = self._due or not self._ever_read
        self.installs.stream_closed()

    @callback
    def stream_opened(self) -> None:
        """Hear that the stream is open: a hub that restarted is back."""
        self.installs.stream_opened()

    # Installing

    async def async_install(self, hub_id: str, version: str | None) -> None:
        """Install ``version`` (the latest), and return once the hub runs it.

        The install is expected before it is asked for, so that events that
        overtake the hub's answer find it. Raises the translated error that
        says why when the hub refuses, the install fails, or the hub is not
        back in time.
        """
        if (wait := self._governor.command_wait(_now())) > 0:
            raise rate_limited(wait)
        data = self._store.data
        known = self.firmware.get(hub_id)
        installed = known.installed if known else ""
        if data is not None and hub_id in data.hubs:
            installed = data.hubs[hub_id].firmware
        created = self.installs.get(hub_id) is None
        install = self.installs.expect(hub_id, installed, version)
        waiter: asyncio.Future[None] = self._hass.loop.create_future()
        install.waiters.append(waiter)
        try:
            with self._governor.request(_now, lambda: self._source.rate_limit):
                firmware = await self._source.async_install_firmware(hub_id, version)
        except HearthError as err:
            install.waiters.remove(waiter)
            if created and self.installs.get(hub_id) is install:
                self._finish(hub_id, None)
            if isinstance(err, HearthRateLimitError):
                self._governor.rate_limited(_now(), err.retry_after)
            elif isinstance(err, HearthForbiddenError):
                self.write_refused = True
                self._notify(hub_id)
            elif isinstance(err, HearthAuthenticationError):
                self._entry.async_start_reauth(self._hass)
            raise install_error(err, version) from err
        current = self.firmware.get(hub_id)
        if self.installs.get(hub_id) and not (current and current.installing):
            self._set(hub_id, firmware)
        await waiter

    def _timed_out(self, hub_id: str, install: Install) -> None:
        """Give up on a hub that is not back in time: it is gone, as polls may say."""
        minutes = FIRMWARE_RESTART_TIMEOUT.total_seconds() / 60
        LOGGER.debug("%s is not back %.0f min after its install", hub_id, minutes)
        self._finish(
            hub_id,
            translated(
                "firmware_restart_timeout",
                version=install.version or "?",
                minutes=f"{minutes:.0f}",
            ),
        )
        self._request_poll()

    def _finish(self, hub_id: str, error: HomeAssistantError | None) -> None:
        """End the install of a hub: it succeeded, or ``error`` says why not."""
        if not self.installs.finish(hub_id, error):
            return
        if (firmware := self.firmware.get(hub_id)) and firmware.installing:
            # What the hub said last, before it went quiet.
            self.firmware[hub_id] = replace(
                firmware, state=FirmwareState.IDLE, progress=None
            )
        self._notify(hub_id)

    @callback
    def async_shutdown(self) -> None:
        """Stop waiting for installs: the entry is unloaded."""
        self.installs.shutdown()


def _now() -> float:
    return dt_util.utcnow().timestamp()
