"""The event stream of a config entry: changes reach Home Assistant at once.

:class:`EventStream` keeps the source's event stream open (a local hub's
``/events``, or the cloud's ``/v1/events`` for every hub of an account) and
reports what happens to a :class:`StreamListener`: each event, each time the
stream opens (the stream has no replay, so the listener reads the full state
then), each time it ends, and a refusal only the user can fix. It applies
nothing itself and knows nothing of the coordinator.

Reopening: at once after a stream that delivered events (or lived a while),
then with jittered exponential backoff. While the server cannot be reached
at all, attempts cost it nothing, so they stay at most
``STREAM_UNREACHABLE_RETRY`` apart and a hub that comes back is seen within
that; a server that answers with errors gets the full backoff, up to a
minute, and a 429 is honoured through the rate governor. A discovery of the
hub (its zeroconf announcement when it comes back) ends any wait at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import (
    CALLBACK_TYPE,
    Event as HassEvent,
    HomeAssistant,
    callback,
)
from homeassistant.util import dt as dt_util

from .api import (
    Event,
    HearthAuthenticationError,
    HearthCertificateError,
    HearthConnectionError,
    HearthError,
    HearthForbiddenError,
    HearthRateLimitError,
    HearthTokenExpiredError,
)
from .backoff import Backoff
from .const import (
    LOGGER,
    STREAM_MAX_BACKOFF,
    STREAM_MIN_BACKOFF,
    STREAM_STABLE_AFTER,
    STREAM_UNREACHABLE_RETRY,
)
from .rate_limit import RateGovernor
from .source import OnOpen

#: Failures that only the user can fix: the stream stays closed until reload.
_REFUSED = (HearthAuthenticationError, HearthForbiddenError, HearthCertificateError)

type OpenEvents = Callable[[OnOpen], AsyncIterator[tuple[str, Event]]]


class StreamListener(Protocol):
    """What the owner of an event stream hears from it."""

    async def async_stream_opened(self) -> None:
        """Hear that the stream is open; no event has been read yet."""

    def stream_event(self, hub_id: str, event: Event) -> None:
        """Hear one event of one hub."""

    def stream_closed(self, reason: HearthError | None, *, lost: bool) -> None:
        """Hear that the stream ended, or that an attempt to open it failed.

        ``lost`` is True when the stream is down for now (an attempt to
        reopen it failed), False for a stream that ended and is reopened at
        once. ``reason`` is None for a close by the server.
        """

    def stream_refused(self, err: HearthError) -> None:
        """Hear that the server refused the credentials or the certificate."""


@dataclass(slots=True)
class StreamStatus:
    """What diagnostics show of a stream."""

    connected_since: datetime | None = None
    reconnects: int = 0
    last_close_reason: str | None = None


class EventStream:
    """Keeps one config entry's event stream open."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        open_events: OpenEvents,
        listener: StreamListener,
        governor: RateGovernor,
    ) -> None:
        """Bind the stream; nothing opens before :meth:`async_start`."""
        self._hass = hass
        self._entry = entry
        self._open_events = open_events
        self._listener = listener
        self._governor = governor
        self.backoff = Backoff(
            STREAM_MIN_BACKOFF, STREAM_MAX_BACKOFF, jitter=(0.8, 1.0)
        )
        self.status = StreamStatus()
        self._task: asyncio.Task[None] | None = None
        self._unsub_stop: CALLBACK_TYPE | None = None
        self._wake = asyncio.Event()
        self._delivered = False
        self._unreachable = False

    @property
    def connected(self) -> bool:
        """Return whether the stream is open now."""
        return self.status.connected_since is not None

    @callback
    def async_start(self) -> None:
        """Open the stream in a background task of the config entry.

        Unloading the entry or stopping Home Assistant cancels the task,
        which closes the WebSocket.
        """
        self._task = self._entry.async_create_background_task(
            self._hass, self._async_run(), f"Hearth event stream of {self._entry.title}"
        )
        self._unsub_stop = self._hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._async_hass_stopping
        )

    @callback
    def _async_hass_stopping(self, event: HassEvent) -> None:
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
        self.status.connected_since = None

    @callback
    def async_reconnect_now(self) -> None:
        """End a wait to reopen the stream: the server is known to be back."""
        self._wake.set()

    async def _async_run(self) -> None:
        while True:
            await self._async_pause()
            try:
                await self._async_read()
            except _REFUSED as err:
                if isinstance(err, HearthTokenExpiredError) and self.connected:
                    # The cloud ends a stream when its token expires; the
                    # source dropped the token, and a fresh one opens it again.
                    self._closed(None, renewed=True)
                    continue
                self._closed(err)
                self._listener.stream_refused(err)
                return
            except HearthRateLimitError as err:
                self._governor.rate_limited(_now(), err.retry_after)
                self._closed(err)
            except HearthError as err:
                self._closed(err)
            else:
                self._closed(None)

    async def _async_read(self) -> None:
        """Open the stream and hand its events on until it ends."""
        self._delivered = False
        with self._governor.request(_now, lambda: None) as handshake:

            async def _opened() -> None:
                handshake.answered()
                self._opened()
                await self._listener.async_stream_opened()

            async for hub_id, event in self._open_events(_opened):
                self._delivered = True
                self._listener.stream_event(hub_id, event)

    async def _async_pause(self) -> None:
        """Wait for the backoff, then for the rate budget (and Retry-After)."""
        self._wake.clear()
        delay = self.backoff.delay()
        if self._unreachable:
            delay = min(delay, STREAM_UNREACHABLE_RETRY)
        if delay:
            LOGGER.debug(
                "Reopening the event stream of %s in %.1f s", self._entry.title, delay
            )
            try:
                async with asyncio.timeout(delay):
                    await self._wake.wait()
                LOGGER.debug("%s was discovered; reopening now", self._entry.title)
            except TimeoutError:
                pass
        while (wait := self._governor.poll_wait(_now(), 1)) > 0:
            LOGGER.debug(
                "Rate budget spent; event stream of %s waits %.0f s",
                self._entry.title,
                wait,
            )
            await asyncio.sleep(wait)

    def _opened(self) -> None:
        if self.status.last_close_reason is not None:
            self.status.reconnects += 1
        self.status.connected_since = dt_util.utcnow()
        LOGGER.debug("Opened the event stream of %s", self._entry.title)

    def _closed(self, err: HearthError | None, *, renewed: bool = False) -> None:
        """Record the end of a stream or of a failed attempt, and say so.

        A stream that delivered events or lived a while was healthy: the
        next attempt is made at once, and the backoff starts over.
        """
        opened_at, self.status.connected_since = self.status.connected_since, None
        reason = str(err) if err else "closed by the server"
        self.status.last_close_reason = reason
        healthy = renewed or self._delivered
        if opened_at is not None:
            healthy = healthy or (
                (dt_util.utcnow() - opened_at).total_seconds() >= STREAM_STABLE_AFTER
            )
        if healthy:
            self.backoff.reset()
        else:
            self.backoff.fail()
        # Nobody answers: trying again often costs the server nothing.
        self._unreachable = isinstance(err, HearthConnectionError)
        LOGGER.debug("Event stream of %s ended: %s", self._entry.title, reason)
        self._listener.stream_closed(err, lost=bool(self.backoff.failures))


def _now() -> float:
    return dt_util.utcnow().timestamp()
