"""The coordinator: polls the hubs of one config entry within the rate budget.

Its one job is the poll: when the next one comes (:meth:`_plan_next_poll`
is the one place that decides, from the event stream's state, the last
poll's outcome, the backoff and Retry-After), and whether the data is fresh.
The data itself lives in the device store; the device registry, the repair
issue and commands have rooms of their own, which the coordinator only
hands the poll's results to.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
import math

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    HearthAuthenticationError,
    HearthCertificateError,
    HearthConnectionError,
    HearthError,
    HearthForbiddenError,
    HearthRateLimitError,
    HearthServerError,
    HearthUnsupportedVersionError,
    HubState,
)
from .backoff import Backoff
from .commands import CommandSender
from .const import (
    COMMAND_RESERVE,
    DOMAIN,
    LOGGER,
    MAX_BACKOFF,
    MIN_STALE_AFTER,
    SAFETY_POLL_INTERVAL,
)
from .errors import error_key
from .firmware import FirmwareWatch
from .issues import CertificateIssue
from .rate_limit import RateGovernor
from .registry import DeviceRegistrar
from .source import HearthSource
from .store import DeviceStore, HearthData
from .stream import EventStream

type HearthConfigEntry = ConfigEntry[HearthCoordinator]


class HearthCoordinator(DataUpdateCoordinator[HearthData]):
    """Polls the hubs of one config entry.

    It honours Retry-After exactly, keeps a share of the rate budget for
    commands, backs off exponentially (with jitter) while the server fails,
    checks the server's health between far-apart retries, and keeps the last
    state through a rate limit for at most ``stale_after``.
    """

    config_entry: HearthConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: HearthConfigEntry,
        source: HearthSource,
        *,
        scan_interval: timedelta,
        configuration_url: str | None = None,
    ) -> None:
        """Set up the coordinator of one config entry and the rooms it feeds."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=scan_interval,
            always_update=False,
        )
        self.source = source
        self.scan_interval = scan_interval
        #: The poll interval while the event stream is open.
        self.safety_interval = max(scan_interval, SAFETY_POLL_INTERVAL)
        self.stale_after = max(MIN_STALE_AFTER, 3 * scan_interval)
        self.governor = RateGovernor(COMMAND_RESERVE)
        self.backoff = Backoff(
            scan_interval.total_seconds(), MAX_BACKOFF.total_seconds(), (1.0, 1.2)
        )
        self.store = DeviceStore()
        self.registrar = DeviceRegistrar(hass, entry.entry_id, configuration_url)
        self.certificate = CertificateIssue(hass, entry.entry_id, entry.title)
        self.commands = CommandSender(hass, entry, source, self.governor, self.store)
        self.firmware = FirmwareWatch(
            hass,
            entry,
            source,
            self.governor,
            self.store,
            refresh_interval=self.safety_interval,
            request_poll=self._request_poll,
        )
        #: The entry's event stream, once started (see __init__.py).
        self.stream: EventStream | None = None
        #: Whether the event stream is open: polls are then a slow safety net.
        self.push_connected = False
        #: Called after every poll, whatever its outcome.
        self.poll_listeners: list[CALLBACK_TYPE] = []
        self.last_fresh: datetime | None = None
        #: When the next poll comes after a failure or a held poll.
        self._retry_in: float | None = None
        self._probe_job = HassJob(self._async_probe, cancel_on_shutdown=True)
        self._probe_unsub: CALLBACK_TYPE | None = None
        self._probe_polling = False
        self._probe_useful = True

    @property
    def configuration_url(self) -> str | None:
        """Return the address of the hub's own web page, for local hubs."""
        return self.registrar.configuration_url

    @property
    def failures(self) -> int:
        """Return the failed polls in a row."""
        return self.backoff.failures

    # When the next poll comes

    def _plan_next_poll(self, retry_in: float | None) -> None:
        """Decide when the next poll comes: the one place that does.

        ``retry_in`` is set after a failure (the backoff) or a held poll
        (Retry-After, the budget): any failed poll is retried on that
        schedule until one succeeds, whatever the event stream does. After a
        success the pace is steady: the safety net while the stream is open,
        the scan interval while it is down.
        """
        self._retry_in = retry_in
        if retry_in is None:
            self.update_interval = (
                self.safety_interval if self.push_connected else self.scan_interval
            )
            return
        # The base class counts the interval from the loop clock cut down to
        # its whole second (then adds its own offset of 0.05 to 0.5 s), so
        # that part of a second is added back: the poll comes right after the
        # moment, not up to a second before it nor a whole second late.
        elapsed_in_second = self.hass.loop.time() % 1
        self.update_interval = timedelta(seconds=retry_in + elapsed_in_second)

    @callback
    def async_set_push(self, connected: bool) -> None:
        """Move polling to the pace that suits the event stream being open or not.

        A poll held back by failures or the rate budget keeps its own time.
        When the stream is lost, the next poll is one scan interval away.
        """
        if connected == self.push_connected:
            return
        self.push_connected = connected
        if self._retry_in is not None:
            return
        self._plan_next_poll(None)
        if not connected and self._listeners:
            self._schedule_refresh()

    # The poll

    async def _async_update_data(self) -> HearthData:
        """Poll every hub once, unless a hub restarts or the rate budget says wait."""
        now = dt_util.utcnow()
        if (
            self.data is not None
            and self.firmware.restart_planned
            and self.push_connected
        ):
            # The stream says when the hub is back from its restart.
            return self._hold_for_restart()
        cost = self.source.poll_cost()
        if (wait := self.governor.poll_wait(now.timestamp(), cost)) > 0:
            return self._hold(now, wait)
        previous = self.store.data
        try:
            hubs = await self._async_fetch(cost)
        except HearthRateLimitError as err:
            self.governor.rate_limited(_now(), err.retry_after)
            return self._hold(now, err.retry_after)
        except (HearthAuthenticationError, HearthForbiddenError) as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except HearthError as err:
            if self._restarting(err):
                return self._hold_for_restart()
            raise self._failed(err) from err
        data = self.store.end_fetch(hubs)
        self._succeeded(now)
        if data is not previous:
            self.registrar.update(previous, data)
        return data

    def _restarting(self, err: HearthError) -> bool:
        """Return whether a failed poll is the planned restart of a hub.

        A hub that installs firmware goes down to restart: it cannot be
        reached, or it fails until it has started, and that is no outage.
        """
        return (
            self.data is not None
            and self.firmware.restart_planned
            and isinstance(err, HearthConnectionError | HearthServerError)
            and not isinstance(err, HearthCertificateError)
        )

    def _hold_for_restart(self) -> HearthData:
        """Keep the last data, quietly, while a hub restarts after an install."""
        self._plan_next_poll(self.scan_interval.total_seconds())
        LOGGER.debug("A hub of %s restarts to install firmware", self.name)
        return self.data

    async def _async_fetch(self, cost: int) -> dict[str, HubState]:
        """Read every hub, counted against the budget; the store notes events meanwhile."""
        self.store.begin_fetch()
        try:
            with self.governor.request(_now, lambda: self.source.rate_limit, cost):
                return await self.source.async_fetch()
        except BaseException:
            self.store.abandon_fetch()
            raise

    @callback
    def _async_refresh_finished(self) -> None:
        """Tell the poll listeners, also after a 304 that wakes no entity."""
        self.firmware.poll_done(self.last_update_success)
        for listener in self.poll_listeners:
            listener()

    @callback
    def _request_poll(self) -> None:
        """Poll soon: a hub that was expected to restart is overdue."""
        self.config_entry.async_create_task(
            self.hass, self.async_request_refresh(), "hearth_firmware_overdue"
        )

    def _succeeded(self, now: datetime) -> None:
        self.backoff.reset()
        self._cancel_probe()
        self._probe_useful = True
        self._plan_next_poll(None)
        self.last_fresh = now
        self.certificate.clear()

    def _failed(self, err: HearthError) -> UpdateFailed | ConfigEntryError:
        """Plan the retry after a failed poll; return the error that says why."""
        delay = self.backoff.fail()
        self._plan_next_poll(delay)
        if isinstance(err, HearthCertificateError):
            self.certificate.raise_for(err)
        elif self._probe_polling:
            # Healthy by its check, yet the poll failed: the check cannot
            # tell when this ends, so only the backoff polls until it does.
            self._probe_useful = False
        elif self._probe_useful and delay > self.scan_interval.total_seconds():
            self._schedule_probe()
        if isinstance(err, HearthUnsupportedVersionError):
            return ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="unsupported_version",
                translation_placeholders={"api_version": err.api_version},
            )
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=error_key(err),
            translation_placeholders={"error": str(err)},
        )

    def _hold(self, now: datetime, wait: float) -> HearthData:
        """Keep the last data while the budget is spent, up to stale_after."""
        if self.data is None or self.last_fresh is None:
            self._plan_next_poll(wait)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"retry_after": str(math.ceil(wait))},
            )
        stale_in = (self.last_fresh + self.stale_after - now).total_seconds()
        if stale_in <= 0:
            self._plan_next_poll(wait)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited_stale",
                translation_placeholders={"retry_after": str(math.ceil(wait))},
            )
        self._plan_next_poll(min(wait, stale_in))
        LOGGER.debug("Rate budget spent; next poll in %.0f s", wait)
        return self.data

    # Health checks between far-apart retries

    def _schedule_probe(self) -> None:
        """Check the server's health one scan interval from now.

        While the pause after failures is longer than the scan interval, this
        health check (no credentials, no budget) tells when the server is
        back, so that the entities return within a scan interval of it.
        """
        self._cancel_probe()
        self._probe_unsub = async_call_later(
            self.hass, self.scan_interval, self._probe_job
        )

    @callback
    def _cancel_probe(self) -> None:
        if self._probe_unsub is not None:
            self._probe_unsub()
            self._probe_unsub = None

    async def _async_probe(self, _now: datetime) -> None:
        """Poll at once when the server answers its health check again.

        When that poll still fails, the checks stop until a poll succeeds: a
        server that says it is healthy but fails polls gets no more requests
        than the backoff allows.
        """
        self._probe_unsub = None
        try:
            await self.source.async_check_health()
        except HearthError as err:
            LOGGER.debug("Health check of %s failed: %s", self.name, err)
            self._schedule_probe()
            return
        LOGGER.debug("%s answers again; polling now", self.name)
        self._probe_polling = True
        try:
            await self.async_refresh()
        finally:
            self._probe_polling = False

    async def async_shutdown(self) -> None:
        """Stop the health checks and close the event stream too."""
        self._cancel_probe()
        self.firmware.async_shutdown()
        if self.stream is not None:
            self.stream.async_stop()
        await super().async_shutdown()

    @callback
    def async_drop_hubs(self, hub_ids: Collection[str]) -> bool:
        """Forget hubs at once, without a poll, and remove their devices.

        Used when another config entry takes a hub over, so that the entities
        of this entry are gone before that entry adds its own. Returns whether
        any of the hubs was served.
        """
        previous = self.store.drop_hubs(hub_ids)
        if previous is None or self.store.data is None:
            return False
        self.registrar.update(previous, self.store.data)
        self.data = self.store.data
        self.async_update_listeners()
        return True


def _now() -> float:
    return dt_util.utcnow().timestamp()
