"""The event stream of a config entry: changes reach Home Assistant at once.

The coordinator owns one :class:`EventStream`. It keeps the source's event
stream open (a local hub's ``/events``, or the cloud's ``/v1/events`` for
every hub of an account), reads the full state once each time
the stream opens (the stream has no replay), hands every event to the
coordinator, and reopens a lost stream with capped, jittered exponential
backoff. While the stream is open, polls are only a slow safety net; while it
is down, polling runs at the scan interval.
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, callback
from homeassistant.util import dt as dt_util

from .api import (
    HearthAuthenticationError,
    HearthCertificateError,
    HearthError,
    HearthForbiddenError,
    HearthRateLimitError,
    HearthTokenExpiredError,
)
from .const import LOGGER, STREAM_MAX_BACKOFF, STREAM_MIN_BACKOFF, STREAM_STABLE_AFTER

if TYPE_CHECKING:
    from .coordinator import HearthCoordinator

#: Failures that only the user can fix: the stream stays closed until reload.
_REFUSED = (HearthAuthenticationError, HearthForbiddenError, HearthCertificateError)


class EventStream:
    """Keeps one config entry's event stream open and applies its events.

    A stream that was open for a while and ends (the server restarted it, or
    closed it when an access token expired) is reopened at once, without a
    log line. Only when reopening fails is the stream reported lost, once;
    it is reported back, once, when it opens again. Each attempt in between
    is logged at debug level.
    """

    def __init__(self, coordinator: HearthCoordinator) -> None:
        """Bind the stream to its coordinator; nothing opens before start."""
        self._coordinator = coordinator
        self._task: asyncio.Task[None] | None = None
        self._unsub_stop: CALLBACK_TYPE | None = None
        #: Whether the stream is open now.
        self.connected = False
        #: Failed attempts (and short-lived streams) since the last healthy one.
        self.failures = 0
        self._opened_at: float | None = None
        self._lost_logged = False
        self._counting = False
        self.random = random.Random()  # noqa: S311 - jitter, not secrets

    @property
    def _title(self) -> str:
        return self._coordinator.config_entry.title

    @callback
    def async_start(self) -> None:
        """Open the stream in a background task of the config entry.

        Unloading the entry or stopping Home Assistant cancels the task,
        which closes the WebSocket.
        """
        entry = self._coordinator.config_entry
        hass = self._coordinator.hass
        self._task = entry.async_create_background_task(
            hass, self._async_run(), f"Hearth event stream of {entry.title}"
        )
        self._unsub_stop = hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._async_hass_stopping
        )

    @callback
    def _async_hass_stopping(self, event: Event) -> None:
        """Close the stream as soon as Home Assistant starts to stop."""
        self._unsub_stop = None
        self.async_stop()

    @callback
    def async_stop(self) -> None:
        """Close the stream; nothing is sent on it any more."""
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.connected = False

    def backoff_delay(self) -> float:
        """Return the pause before the next attempt after ``failures``."""
        delay = min(STREAM_MAX_BACKOFF, STREAM_MIN_BACKOFF * 2 ** (self.failures - 1))
        jittered: float = delay * self.random.uniform(0.8, 1.0)
        return jittered

    async def _async_run(self) -> None:
        coordinator = self._coordinator
        while True:
            await self._async_pause()
            self._counting = True
            coordinator.governor.begin()
            try:
                async for hub_id, event in coordinator.source.async_events(
                    self._async_opened
                ):
                    coordinator.async_apply_event(hub_id, event)
            except _REFUSED as err:
                if isinstance(err, HearthTokenExpiredError) and self.connected:
                    # The cloud ends a stream when its token expires; the
                    # source dropped the token, and a fresh one opens it again.
                    self._closed(None, renewed=True)
                    continue
                self._closed(err, refused=True)
                coordinator.async_stream_refused(err)
                return
            except HearthRateLimitError as err:
                coordinator.governor.rate_limited(_now(), err.retry_after)
                self._closed(err)
            except HearthError as err:
                self._closed(err)
            else:
                self._closed(None)

    async def _async_pause(self) -> None:
        """Wait for the backoff, then for the rate budget (and Retry-After)."""
        if self.failures:
            delay = self.backoff_delay()
            LOGGER.debug(
                "Reopening the event stream of %s in %.1f s", self._title, delay
            )
            await asyncio.sleep(delay)
        governor = self._coordinator.governor
        while (wait := governor.poll_wait(_now(), 1)) > 0:
            LOGGER.debug(
                "Rate budget spent; event stream of %s waits %.0f s", self._title, wait
            )
            await asyncio.sleep(wait)

    def _end_count(self) -> None:
        """Let the governor know the connection attempt is answered."""
        if self._counting:
            self._counting = False
            self._coordinator.governor.end(_now(), None)

    async def _async_opened(self) -> None:
        """Switch polling to the safety pace and read the full state once."""
        self._end_count()
        self.connected = True
        self._opened_at = _now()
        if self._lost_logged:
            self._lost_logged = False
            LOGGER.info("The event stream of %s is back", self._title)
        else:
            LOGGER.debug("Opened the event stream of %s", self._title)
        self._coordinator.async_push_changed()
        await self._coordinator.async_refresh()

    def _closed(
        self,
        err: HearthError | None,
        *,
        refused: bool = False,
        renewed: bool = False,
    ) -> None:
        """Record the end of a stream or of a failed attempt.

        ``renewed``: the server ended the stream for a new token; reconnect
        at once, as after a long healthy stream.
        """
        self._end_count()
        opened_at, self._opened_at = self._opened_at, None
        was_connected, self.connected = self.connected, False
        if renewed or (
            opened_at is not None and _now() - opened_at >= STREAM_STABLE_AFTER
        ):
            self.failures = 0
        else:
            self.failures += 1
        if was_connected:
            self._coordinator.async_push_changed()
        LOGGER.debug(
            "Event stream of %s ended: %s", self._title, err or "closed by the server"
        )
        if self.failures and not refused and not self._lost_logged:
            self._lost_logged = True
            LOGGER.warning(
                "The event stream of %s is down (%s); polling every %.0f s until it is back",
                self._title,
                err or "closed by the server",
                self._coordinator.scan_interval.total_seconds(),
            )


def _now() -> float:
    return dt_util.utcnow().timestamp()
