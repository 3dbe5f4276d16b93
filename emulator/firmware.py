"""Firmware installs of the emulated hubs: progress, failure and the restart.

An install reports its progress in steps, then the hub restarts: it goes
down (the emulator closes its event streams and stops listening, and the
cloud sees it offline), stays down for the restart time and comes back
running the new version. The faults ``firmware_failure`` (the install
fails part-way and the hub keeps its version) and ``restart_hang`` (the hub
stays down far longer than any client waits) spoil installs of any hub.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
import contextlib
from dataclasses import dataclass
import logging
from typing import Any, Final

from .faults import FaultKind, FaultSet
from .home import Home, InvalidRequestError, JSONDict

_LOGGER = logging.getLogger(__name__)

DEFAULT_STEP_SECONDS: Final = 1.0
DEFAULT_RESTART_SECONDS: Final = 5.0
#: The progress an install reports after each step (0 % when it starts).
PROGRESS_STEPS: Final = (20, 40, 60, 80, 100)
#: A failing install fails instead of reporting this much progress.
FAIL_AT_PERCENT: Final = 60
FAILURE_MESSAGES: Final = {
    "download_failed": "The download of firmware {version} failed",
    "verification_failed": "The image of firmware {version} failed its signature check",
    "install_failed": "Writing firmware {version} failed",
}

type RestartHook = Callable[[Home], Awaitable[None]]
#: Starts an install on a hub (optionally of a named version); the firmware then.
type Install = Callable[[Home, str | None], JSONDict]
type Spawn = Callable[[Coroutine[Any, Any, None], str], None]


@dataclass(slots=True)
class FirmwareTimings:
    """How long an install takes: each progress step, and the restart."""

    step_seconds: float = DEFAULT_STEP_SECONDS
    restart_seconds: float = DEFAULT_RESTART_SECONDS

    def to_json(self) -> JSONDict:
        """Return the admin API form."""
        return {
            "step_seconds": self.step_seconds,
            "restart_seconds": self.restart_seconds,
        }


class FirmwareInstaller:
    """Runs the installs of every hub, each in a task of the emulator's."""

    def __init__(
        self,
        faults: FaultSet,
        timings: FirmwareTimings,
        *,
        going_down: RestartHook,
        coming_back: RestartHook,
        spawn: Spawn,
    ) -> None:
        """Keep the faults to consult, and how a hub goes down and comes back."""
        self.faults = faults
        self.timings = timings
        self._going_down = going_down
        self._coming_back = coming_back
        self._spawn = spawn
        self._hung: set[asyncio.Event] = set()
        #: The hubs (ids) that are down, restarting.
        self.restarting: set[str] = set()

    def install(self, home: Home, version: str | None = None) -> JSONDict:
        """Start installing the latest firmware on a hub; return its firmware at once.

        Raises the home's conflict errors when it is up to date, already
        installing, or ``version`` is not the latest.
        """
        firmware = home.begin_install(version)
        self._spawn(self._run(home), f"hearth-firmware-{home.hub.id}")
        return firmware

    def release(self) -> None:
        """End every restart that hangs; those hubs come back at once."""
        for hung in self._hung:
            hung.set()

    async def _run(self, home: Home) -> None:
        version = home.firmware.latest
        failure = self.faults.take(FaultKind.FIRMWARE_FAILURE)
        for percent in PROGRESS_STEPS:
            await asyncio.sleep(self.timings.step_seconds)
            if failure is not None and percent >= FAIL_AT_PERCENT:
                message = FAILURE_MESSAGES.get(
                    failure.code, "Installing firmware {version} failed"
                )
                home.fail_install(failure.code, message.format(version=version))
                _LOGGER.info("%s: firmware %s failed", home.hub.id, version)
                return
            home.install_progress(percent)
        hang = self.faults.take(FaultKind.RESTART_HANG)
        _LOGGER.info("%s: restarting to run firmware %s", home.hub.id, version)
        self.restarting.add(home.hub.id)
        try:
            await self._going_down(home)
            if hang is None:
                await asyncio.sleep(self.timings.restart_seconds)
            else:
                await self._hang(hang.delay)
            home.finish_install()
            await self._coming_back(home)
        finally:
            self.restarting.discard(home.hub.id)
        _LOGGER.info("%s: back, running firmware %s", home.hub.id, version)

    async def _hang(self, seconds: float) -> None:
        """Wait ``seconds``, or until :meth:`release`."""
        released = asyncio.Event()
        self._hung.add(released)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await released.wait()
        finally:
            self._hung.discard(released)


def parse_install_body(body: JSONDict) -> str | None:
    """Return the version an install request names, or None for the latest."""
    unknown = sorted(set(body) - {"version"})
    if unknown:
        raise InvalidRequestError(f"Unknown field(s): {', '.join(unknown)}")
    if "version" not in body:
        return None
    version = body["version"]
    if not (isinstance(version, str) and version):
        raise InvalidRequestError("'version' must be a non-empty string")
    return version
