"""The coordinator: one poll per interval, within the rate budget."""

from __future__ import annotations

from collections.abc import Awaitable, Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import math
import random

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    HomeAssistantError,
)
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    SUPPORTED_API_MAJOR,
    Device,
    DeviceCommand,
    Event,
    EventType,
    HearthAuthenticationError,
    HearthCertificateError,
    HearthConnectionError,
    HearthError,
    HearthForbiddenError,
    HearthInvalidResponseError,
    HearthNotFoundError,
    HearthRateLimitError,
    HearthRequestError,
    HearthServerError,
    HearthUnsupportedVersionError,
    HubInfo,
    HubState,
)
from .compat import device_by_identifier, remove_device
from .const import (
    COMMAND_RESERVE,
    DOMAIN,
    LOGGER,
    MANUFACTURER,
    MAX_BACKOFF,
    MIN_STALE_AFTER,
    SAFETY_POLL_INTERVAL,
)
from .rate_limit import RateGovernor
from .source import HearthSource, HubMismatchError
from .stream import EventStream

type HearthConfigEntry = ConfigEntry[HearthCoordinator]
type DeviceKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class HearthData:
    """Every hub of a config entry, and every device by (hub id, device id).

    A poll builds a new one. An event or a command's answer changes one
    device in place, which costs the same whatever the number of devices.
    """

    hubs: dict[str, HubInfo]
    devices: dict[DeviceKey, Device]

    @classmethod
    def build(cls, hubs: dict[str, HubState]) -> HearthData:
        """Index the devices of every hub by (hub id, device id)."""
        return cls(
            hubs={hub_id: state.hub for hub_id, state in hubs.items()},
            devices={
                (hub_id, device.id): device
                for hub_id, state in hubs.items()
                for device in state.devices
            },
        )

    def hub_state(self, hub_id: str) -> HubState:
        """Return one hub with its devices, as its ``/state`` would."""
        return HubState(
            hub=self.hubs[hub_id],
            devices=[
                device for (owner, _), device in self.devices.items() if owner == hub_id
            ],
        )


def device_identifier(hub_id: str, device_id: str) -> tuple[str, str]:
    """Return the device registry identifier of a hub's device."""
    return (DOMAIN, f"{hub_id}_{device_id}")


def hub_device_info(hub: HubInfo, configuration_url: str | None) -> DeviceInfo:
    """Return the device registry entry of a hub."""
    return DeviceInfo(
        identifiers={(DOMAIN, hub.id)},
        connections={(dr.CONNECTION_NETWORK_MAC, hub.mac)} if hub.mac else set(),
        manufacturer=MANUFACTURER,
        model=hub.model,
        name=hub.name,
        sw_version=hub.firmware,
        configuration_url=configuration_url,
    )


def certificate_issue_id(entry_id: str) -> str:
    """Return the id of the repair issue for a changed certificate."""
    return f"certificate_changed_{entry_id}"


def _error(key: str, **placeholders: str) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


class HearthCoordinator(DataUpdateCoordinator[HearthData]):
    """Polls the hubs of one config entry and sends their commands.

    It honours Retry-After exactly, keeps a share of the rate budget for
    commands, backs off exponentially (with jitter) while the server fails,
    and keeps the last state through a rate limit for at most ``stale_after``.
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
        """Set up the coordinator of one config entry."""
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
        self.configuration_url = configuration_url
        self.stale_after = max(MIN_STALE_AFTER, 3 * scan_interval)
        self.governor = RateGovernor(COMMAND_RESERVE)
        self.last_fresh: datetime | None = None
        self.failures = 0
        self._random = random.Random()  # noqa: S311 - jitter, not secrets
        self._probe_job = HassJob(self._async_probe, cancel_on_shutdown=True)
        self._probe_unsub: CALLBACK_TYPE | None = None
        self._probe_polling = False
        self._probe_useful = True
        #: The states of the last poll, to tell an unchanged (304) poll.
        self._fetched: dict[str, HubState] = {}
        #: Whether events or commands changed the data since the last poll.
        self._changed_since_fetch = False
        #: The devices that events changed (None: removed) during a poll.
        self._changed_while_fetching: dict[DeviceKey, Device | None] | None = None
        self._device_listeners: dict[DeviceKey, list[CALLBACK_TYPE]] = {}
        self.stream = EventStream(self)
        # The issue outlives a reload (e.g. a reconfigure that pinned the new
        # certificate), so the first good poll must still clear it.
        self._certificate_issue = (
            ir.async_get(hass).async_get_issue(
                DOMAIN, certificate_issue_id(entry.entry_id)
            )
            is not None
        )

    def _wake_in(self, seconds: float) -> None:
        """Schedule the next poll no earlier than ``seconds`` from now.

        The base class counts the interval from the loop clock cut down to its
        whole second (then adds its own offset of 0.05 to 0.5 s), so that part
        of a second is added back: the poll comes right after the moment, not
        up to a second before it nor a whole second late.
        """
        elapsed_in_second = self.hass.loop.time() % 1
        self.update_interval = timedelta(seconds=seconds + elapsed_in_second)

    def backoff_delay(self) -> float:
        """Return the pause after ``failures`` failed polls in a row."""
        base = self.scan_interval.total_seconds()
        delay = min(MAX_BACKOFF.total_seconds(), base * 2 ** (self.failures - 1))
        jittered: float = delay * self._random.uniform(1.0, 1.2)
        return jittered

    async def _async_update_data(self) -> HearthData:
        """Poll every hub once, unless the rate budget says wait."""
        now = dt_util.utcnow()
        cost = self.source.poll_cost()
        if (wait := self.governor.poll_wait(now.timestamp(), cost)) > 0:
            return self._hold(now, wait)
        self._changed_while_fetching = {}
        try:
            hubs = await self._counted(self.source.async_fetch(), cost)
        except HearthRateLimitError as err:
            self.governor.rate_limited(dt_util.utcnow().timestamp(), err.retry_after)
            return self._hold(now, err.retry_after)
        except (HearthAuthenticationError, HearthForbiddenError) as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except HearthUnsupportedVersionError as err:
            raise ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="unsupported_version",
                translation_placeholders={"api_version": err.api_version},
            ) from err
        except HearthError as err:
            self.failures += 1
            delay = self.backoff_delay()
            self._wake_in(delay)
            if isinstance(err, HearthCertificateError):
                self._raise_certificate_issue(err)
            elif self._probe_polling:
                # Healthy by its check, yet the poll failed: the check cannot
                # tell when this ends, so only the backoff polls until it does.
                self._probe_useful = False
            elif self._probe_useful and delay > self.scan_interval.total_seconds():
                self._schedule_probe()
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=_update_error_key(err),
                translation_placeholders={"error": str(err)},
            ) from err
        finally:
            changed = self._changed_while_fetching or {}
            self._changed_while_fetching = None
        self.failures = 0
        self._cancel_probe()
        self._probe_useful = True
        self.update_interval = self._steady_interval()
        self.last_fresh = now
        if self._certificate_issue:
            self._certificate_issue = False
            ir.async_delete_issue(
                self.hass, DOMAIN, certificate_issue_id(self.config_entry.entry_id)
            )
        previous = self.data
        fetched, self._fetched = self._fetched, hubs
        changed_since, self._changed_since_fetch = self._changed_since_fetch, False
        if (
            previous is not None
            and not changed_since
            and hubs.keys() == fetched.keys()
            and all(hubs[hub_id] is fetched[hub_id] for hub_id in hubs)
        ):
            # Every hub answered 304 Not Modified: nothing to parse or write.
            return previous
        # After events, a 304 still gets the state it confirms: a hub that
        # restarted can count its ETag up to the cached one again.
        data = HearthData.build(hubs)
        # An event read while the answer was on its way may be newer than
        # the answer; the stream delivers in order, so its last word stands.
        for key, device in changed.items():
            if key[0] not in data.hubs:
                continue
            if device is None:
                data.devices.pop(key, None)
            else:
                data.devices[key] = device
        self._register_hubs(previous, data)
        if previous is not None and (
            data.devices.keys() != previous.devices.keys()
            or data.hubs.keys() != previous.hubs.keys()
        ):
            self._prune_devices(previous, data)
        return data

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
        self.stream.async_stop()
        await super().async_shutdown()

    def _register_hubs(self, previous: HearthData | None, data: HearthData) -> None:
        """Create or update the device entry of each new or changed hub.

        Hubs are registered before their devices' entities, which point to
        them as their parent.
        """
        registry = dr.async_get(self.hass)
        for hub_id, state in data.hubs.items():
            if previous is None or previous.hubs.get(hub_id) != state:
                self._register_hub(registry, state)

    def _register_hub(self, registry: dr.DeviceRegistry, hub: HubInfo) -> None:
        registry.async_get_or_create(
            config_entry_id=self.config_entry.entry_id,
            **hub_device_info(hub, self.configuration_url),
        )

    async def _counted[T](self, call: Awaitable[T], cost: int = 1) -> T:
        """Await a request while the governor counts it as in flight.

        The governor learns only from an answer that carried rate-limit
        headers: after a failure without one, the client still holds the
        headers of an earlier answer.
        """
        before = self.source.rate_limit
        self.governor.begin(cost)
        refused = False
        try:
            return await call
        except HearthRateLimitError:
            refused = True
            raise
        finally:
            info = self.source.rate_limit
            self.governor.end(
                dt_util.utcnow().timestamp(),
                None if info is before else info,
                cost,
                counted=not refused,
            )

    def _hold(self, now: datetime, wait: float) -> HearthData:
        """Keep the last data while the budget is spent, up to stale_after."""
        if self.data is None or self.last_fresh is None:
            self._wake_in(wait)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"retry_after": str(math.ceil(wait))},
            )
        stale_in = (self.last_fresh + self.stale_after - now).total_seconds()
        if stale_in <= 0:
            self._wake_in(wait)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited_stale",
                translation_placeholders={"retry_after": str(math.ceil(wait))},
            )
        self._wake_in(min(wait, stale_in))
        LOGGER.debug("Rate budget spent; next poll in %.0f s", wait)
        return self.data

    def _raise_certificate_issue(self, err: HearthCertificateError) -> None:
        """Open the repair issue that lets the user accept a new certificate."""
        if err.fingerprint is None or self._certificate_issue:
            return
        self._certificate_issue = True
        entry = self.config_entry
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            certificate_issue_id(entry.entry_id),
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="certificate_changed",
            translation_placeholders={
                "title": entry.title,
                "fingerprint": err.fingerprint,
            },
            data={"entry_id": entry.entry_id, "fingerprint": err.fingerprint},
        )

    def _prune_devices(self, previous: HearthData, data: HearthData) -> None:
        """Remove the devices (and hubs) that are gone from the registry."""
        gone = [
            device_identifier(hub_id, device_id)
            for hub_id, device_id in previous.devices.keys() - data.devices.keys()
        ]
        gone += [(DOMAIN, hub_id) for hub_id in previous.hubs.keys() - data.hubs.keys()]
        self._remove_device_entries(gone)

    def _remove_device_entries(self, gone: Iterable[tuple[str, str]]) -> None:
        """Detach the registry entries of these identifiers from the entry."""
        registry = dr.async_get(self.hass)
        entry_id = self.config_entry.entry_id
        for identifier in gone:
            if device_entry := device_by_identifier(registry, identifier, entry_id):
                remove_device(registry, device_entry, entry_id)

    @callback
    def async_drop_hubs(self, hub_ids: Collection[str]) -> bool:
        """Forget hubs at once, without a poll, and prune their devices.

        Used when another config entry takes a hub over, so that the entities
        of this entry are gone before that entry adds its own. Returns whether
        any of the hubs was served.
        """
        previous = self.data
        if previous is None or previous.hubs.keys().isdisjoint(hub_ids):
            return False
        data = HearthData(
            hubs={
                hub_id: hub
                for hub_id, hub in previous.hubs.items()
                if hub_id not in hub_ids
            },
            devices={
                key: device
                for key, device in previous.devices.items()
                if key[0] not in hub_ids
            },
        )
        self._fetched = {
            hub_id: state
            for hub_id, state in self._fetched.items()
            if hub_id not in hub_ids
        }
        self._prune_devices(previous, data)
        self.data = data
        self.async_update_listeners()
        return True

    async def async_send_command(
        self, hub_id: str, device_id: str, command: DeviceCommand
    ) -> None:
        """Send a command and show its result at once, without a refresh.

        Nothing is dropped: a command that cannot be sent raises an error
        saying why, and when to retry.
        """
        if (wait := self.governor.command_wait(dt_util.utcnow().timestamp())) > 0:
            raise _error("rate_limited", retry_after=str(math.ceil(wait)))
        try:
            device = await self._counted(
                self.source.async_command(hub_id, device_id, command)
            )
        except HearthError as err:
            if (
                isinstance(err, HearthRequestError)
                and err.code == "device_offline"
                and (known := self.data.devices.get((hub_id, device_id)))
            ):
                # Show it at once rather than at the next poll.
                self._apply_device(hub_id, replace(known, online=False))
            raise self._command_error(err) from err
        self._apply_device(hub_id, device)

    def _command_error(self, err: HearthError) -> HomeAssistantError:
        """Map a failed command to a translated error."""
        if isinstance(err, HearthRateLimitError):
            self.governor.rate_limited(dt_util.utcnow().timestamp(), err.retry_after)
            return _error("rate_limited", retry_after=str(math.ceil(err.retry_after)))
        if isinstance(err, HearthForbiddenError):
            return _error("read_only")
        if isinstance(err, HearthAuthenticationError):
            self.config_entry.async_start_reauth(self.hass)
            return _error("invalid_auth")
        if isinstance(err, HearthRequestError) and err.code == "device_offline":
            return _error("device_offline")
        if isinstance(err, HearthRequestError | HearthNotFoundError):
            return _error("command_rejected", error=str(err))
        return _error(_update_error_key(err), error=str(err))

    def _apply_device(self, hub_id: str, device: Device) -> None:
        """Put a command's answer into the data and tell its entities.

        The poll timer is left alone, so commands never starve polling.
        """
        key = (hub_id, device.id)
        if key in self.data.devices:
            self._set_device(key, device)

    def _set_device(self, key: DeviceKey, device: Device) -> None:
        """Swap in a device's new state and wake only its own entities."""
        self.data.devices[key] = device
        self._note_change(key, device)
        if self.last_update_success and (listeners := self._device_listeners.get(key)):
            for update_callback in tuple(listeners):
                update_callback()

    def _note_change(self, key: DeviceKey, device: Device | None) -> None:
        """Remember a change that did not come from a poll (None: removed).

        The next poll then writes even when its answer is a 304, and a poll
        under way keeps this change if it is newer than the answer.
        """
        self._changed_since_fetch = True
        if self._changed_while_fetching is not None:
            self._changed_while_fetching[key] = device

    @callback
    def async_add_device_listener(
        self, key: DeviceKey, update_callback: CALLBACK_TYPE
    ) -> CALLBACK_TYPE:
        """Call ``update_callback`` whenever one device alone changes.

        A poll still calls every listener of :meth:`async_add_listener`; an
        event or a command's answer calls only the listeners of its device.
        """
        listeners = self._device_listeners.setdefault(key, [])
        listeners.append(update_callback)

        @callback
        def _remove() -> None:
            listeners.remove(update_callback)
            if not listeners:
                del self._device_listeners[key]

        return _remove

    # The event stream

    @callback
    def async_start_push(self) -> None:
        """Open the event stream; it lives until the entry is unloaded."""
        self.stream.async_start()

    def _steady_interval(self) -> timedelta:
        """Return the poll interval while polls succeed."""
        return self.safety_interval if self.stream.connected else self.scan_interval

    @callback
    def async_push_changed(self) -> None:
        """Move polling to the pace that suits the stream being open or not.

        A poll held back by failures or the rate budget keeps its own time.
        When the stream is lost, the next poll is one scan interval away.
        """
        connected = self.stream.connected
        before = self.scan_interval if connected else self.safety_interval
        if self.update_interval != before:
            return
        self.update_interval = self._steady_interval()
        if not connected and self._listeners:
            self._schedule_refresh()

    @callback
    def async_stream_refused(self, err: HearthError) -> None:
        """Act on a stream that cannot be opened again without the user."""
        if isinstance(err, HearthCertificateError):
            self._raise_certificate_issue(err)
        else:
            self.config_entry.async_start_reauth(self.hass)

    @callback
    def async_apply_event(self, hub_id: str, event: Event) -> None:
        """Apply one message of the event stream, with no request."""
        data = self.data
        if hub_id not in data.hubs:
            # A hub new to the account: a poll adds it with all its devices.
            self.config_entry.async_create_task(
                self.hass, self.async_request_refresh(), "hearth_new_hub"
            )
            return
        if event.type == EventType.HUB and event.hub is not None:
            self._apply_hub(hub_id, event.hub)
        elif event.type == EventType.DEVICE_REMOVED and event.device_id is not None:
            self._remove_device((hub_id, event.device_id))
        elif (
            event.type in (EventType.DEVICE_STATE, EventType.DEVICE_ADDED)
            and event.device is not None
        ):
            key = (hub_id, event.device.id)
            if key in data.devices:
                self._set_device(key, event.device)
            else:
                data.devices[key] = event.device
                self._note_change(key, event.device)
                # New entities come through the listeners, as after a poll.
                self.async_update_listeners()

    def _apply_hub(self, hub_id: str, hub: HubInfo) -> None:
        """Take in a renamed or updated hub; re-check an API version change."""
        if hub.api_major != SUPPORTED_API_MAJOR:
            # The poll refuses it with the same error as at setup.
            self.config_entry.async_create_task(
                self.hass, self.async_request_refresh(), "hearth_api_version"
            )
        if self.data.hubs[hub_id] != hub:
            self.data.hubs[hub_id] = hub
            self._changed_since_fetch = True
            self._register_hub(dr.async_get(self.hass), hub)

    def _remove_device(self, key: DeviceKey) -> None:
        """Forget a device the hub removed, with its entities."""
        if self.data.devices.pop(key, None) is None:
            return
        self._note_change(key, None)
        self._remove_device_entries([device_identifier(*key)])
        self.async_update_listeners()


def _update_error_key(err: HearthError) -> str:
    """Return the translation key that explains a failed request."""
    if isinstance(err, HearthCertificateError):
        return "certificate_changed"
    if isinstance(err, HubMismatchError):
        return "wrong_hub"
    if isinstance(err, HearthConnectionError):
        return "cannot_connect"
    if isinstance(err, HearthServerError):
        return "server_error"
    if isinstance(err, HearthInvalidResponseError):
        return "invalid_response"
    return "unknown_error"
