"""What the event stream's messages do to a config entry.

:class:`PushHandler` hears the entry's :class:`~.stream.EventStream`. Each
event goes into the device store, which wakes only the changed device's
entities (a button press, only its event entities); a device added or
removed updates the entities and the registry; firmware events go to the
firmware watch; what only a full read can settle asks the coordinator for
one. It also keeps
the log to one line per outage: a lost stream is reported only once a poll
has shown the hub still answers (otherwise the failed poll says it all), and
its return only if its loss was reported; a hub that was away altogether
gets back its stream with the poll that finds it back, and a stream still
down at the poll after that is reported then; the planned restart of a hub
that installs firmware is no outage.
"""

from __future__ import annotations

from homeassistant.core import callback

from .api import Event, EventType, HearthCertificateError, HearthError
from .const import LOGGER
from .coordinator import HearthCoordinator
from .firmware import FIRMWARE_EVENTS
from .store import Change


class PushHandler:
    """Applies a config entry's stream events and follows the stream's state."""

    def __init__(self, coordinator: HearthCoordinator) -> None:
        """Feed ``coordinator``'s store, registry and polling."""
        self._coordinator = coordinator
        #: Why the stream is down, until a poll tells whether to report it.
        self._lost_reason: str | None = None
        self._reported = False
        #: A poll failed while the stream was down: the hub was away, and the
        #: failed poll reported it. Cleared when the stream opens.
        self._hub_away = False

    @property
    def _title(self) -> str:
        return self._coordinator.config_entry.title

    async def async_stream_opened(self) -> None:
        """Switch polling to the safety pace and read the full state once.

        The hubs' firmware is read then too: the stream cannot replay its
        firmware events either.
        """
        self._lost_reason = None
        self._hub_away = False
        if self._reported:
            self._reported = False
            LOGGER.info("The event stream of %s is back", self._title)
        coordinator = self._coordinator
        coordinator.firmware.stream_opened()
        coordinator.async_set_push(True)
        await coordinator.async_refresh()
        if coordinator.last_update_success:
            await coordinator.firmware.async_read()

    @callback
    def stream_event(self, hub_id: str, event: Event) -> None:
        """Apply one event, with no request."""
        coordinator = self._coordinator
        if event.type in FIRMWARE_EVENTS:
            coordinator.firmware.apply_event(hub_id, event)
            return
        change = coordinator.store.apply_event(hub_id, event)
        if change is Change.DEVICES:
            if event.type == EventType.DEVICE_REMOVED and event.device_id is not None:
                coordinator.registrar.remove_device((hub_id, event.device_id))
            # New entities come through the listeners, as after a poll.
            coordinator.async_update_listeners()
        elif change is Change.HUB and event.hub is not None:
            coordinator.registrar.register_hub(event.hub)
            coordinator.firmware.hub_changed(hub_id)
        elif change is Change.RESYNC:
            coordinator.config_entry.async_create_task(
                coordinator.hass, coordinator.async_request_refresh(), "hearth_resync"
            )
        elif change is Change.NONE:
            LOGGER.debug(
                "Ignored a %s event of %s: seen before, or of a device not read yet",
                event.type,
                hub_id,
            )

    @callback
    def stream_closed(self, reason: HearthError | None, *, lost: bool) -> None:
        """Poll while the stream is down; report it if polls still work."""
        self._coordinator.firmware.stream_closed()
        self._coordinator.async_set_push(False)
        if lost and self._lost_reason is None:
            self._lost_reason = str(reason) if reason else "closed by the server"

    @callback
    def stream_refused(self, err: HearthError) -> None:
        """Ask the user: accept the new certificate, or authenticate again."""
        coordinator = self._coordinator
        if isinstance(err, HearthCertificateError):
            coordinator.certificate.raise_for(err)
        else:
            coordinator.config_entry.async_start_reauth(coordinator.hass)

    @callback
    def poll_done(self) -> None:
        """After a poll: report a lost stream once the hub answered one.

        A hub that restarts to run new firmware drops the stream on purpose:
        that is not reported while the restart is still expected.
        """
        coordinator = self._coordinator
        if coordinator.push_connected:
            return
        if not coordinator.last_update_success:
            self._hub_away = True
            return
        if self._lost_reason is None or self._reported:
            return
        if self._hub_away:
            # The hub is back, and so is its stream in a moment: the outage
            # was reported by the failed poll, and its end is the recovery.
            self._hub_away = False
            if coordinator.stream is not None:
                coordinator.stream.async_reconnect_now()
            return
        if not coordinator.firmware.restart_planned:
            self._reported = True
            LOGGER.warning(
                "The event stream of %s is down (%s); polling every %.0f s until it is back",
                self._title,
                self._lost_reason,
                coordinator.scan_interval.total_seconds(),
            )
