"""Firmware installs under way, each until its hub runs another firmware.

An install ends with the hub restarting: it drops the event stream (a local
hub does; the cloud's stream stays open) and comes back running the new
firmware. That restart is planned. Until the hub is back, polls are held
(no request, the last state kept, nothing logged), for at most
``FIRMWARE_RESTART_TIMEOUT`` after the last sign of progress; a hub that is
not back by then is really gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_call_later

from .const import FIRMWARE_RESTART_TIMEOUT


def _nothing() -> None:
    """Cancel nothing."""


@dataclass(slots=True)
class Install:
    """An install under way on one hub, until the hub runs another firmware."""

    #: What the hub ran when the install started.
    installed: str
    #: What it installs, if the hub said.
    version: str | None
    cancel_deadline: CALLBACK_TYPE = _nothing
    #: The event stream ended during the install: the hub went down to restart.
    down: bool = False
    #: The stream opened again after that: the hub answers again.
    back: bool = False
    waiters: list[asyncio.Future[None]] = field(default_factory=list)


class Installs:
    """The installs of a config entry's hubs, and the restarts they plan."""

    def __init__(
        self, hass: HomeAssistant, timed_out: Callable[[str, Install], None]
    ) -> None:
        """Call ``timed_out`` for an install whose hub is not back in time."""
        self._hass = hass
        self._timed_out = timed_out
        self._running: dict[str, Install] = {}

    def get(self, hub_id: str) -> Install | None:
        """Return the install under way on a hub, if any."""
        return self._running.get(hub_id)

    def __iter__(self) -> Iterator[str]:
        """Iterate over the hubs that install (a copy: installs may end meanwhile)."""
        return iter(tuple(self._running))

    @property
    def restart_planned(self) -> bool:
        """Return whether a hub installs firmware and has not come back since."""
        return any(not install.back for install in self._running.values())

    def is_down(self, hub_id: str) -> bool:
        """Return whether the hub is down, restarting: nothing to ask it."""
        install = self._running.get(hub_id)
        return install is not None and install.down and not install.back

    def expect(self, hub_id: str, installed: str, version: str | None) -> Install:
        """Note an install under way; its time to come back starts over."""
        install = self._running.get(hub_id)
        if install is None:
            install = self._running[hub_id] = Install(installed, version)
        else:
            install.cancel_deadline()
            install.version = install.version or version

        @callback
        def _expired(_now: datetime) -> None:
            if self._running.get(hub_id) is install:
                self._timed_out(hub_id, install)

        install.cancel_deadline = async_call_later(
            self._hass,
            FIRMWARE_RESTART_TIMEOUT,
            HassJob(_expired, cancel_on_shutdown=True),
        )
        return install

    def finish(self, hub_id: str, error: HomeAssistantError | None) -> bool:
        """End a hub's install: it succeeded, or ``error`` says why not.

        Returns whether an install was under way.
        """
        install = self._running.pop(hub_id, None)
        if install is None:
            return False
        install.cancel_deadline()
        for waiter in install.waiters:
            if waiter.done():
                continue
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)
        return True

    def stream_closed(self) -> None:
        """Hear that the event stream ended: a hub that installs went down."""
        for install in self._running.values():
            install.down = True

    def stream_opened(self) -> None:
        """Hear that the stream is open again: a hub that went down is back."""
        for install in self._running.values():
            install.back = install.down

    def shutdown(self) -> None:
        """Stop waiting for every install: the entry is unloaded."""
        for install in self._running.values():
            install.cancel_deadline()
            for waiter in install.waiters:
                waiter.cancel()
        self._running.clear()
