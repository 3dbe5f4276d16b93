"""The event stream against the emulator: push, resync, fallback and failures.

Every wait here is on something that happens (a stream opening or ending, a
poll finishing, a state being written), never on a sleep. The loop clock is
frozen, so a backoff or a poll only fires when the test moves time on.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator
from ipaddress import ip_address
import logging
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_ZEROCONF,
    ConfigEntryState,
)
from homeassistant.const import (
    EVENT_HOMEASSISTANT_STOP,
    EVENT_STATE_CHANGED,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed_exact,
)

from custom_components.hearth.api import (
    ApiKeyAuth,
    Device,
    HearthHubClient,
    HearthRateLimitError,
)
from custom_components.hearth.const import (
    DOMAIN,
    SAFETY_POLL_INTERVAL,
    STREAM_UNREACHABLE_RETRY,
)
from custom_components.hearth.coordinator import HearthCoordinator
from custom_components.hearth.entity import HearthEntity
from custom_components.hearth.issues import certificate_issue_id
from custom_components.hearth.registry import device_identifier
from custom_components.hearth.store import DeviceKey
from emulator import Emulator
from tests.harness.emulators import API_KEY, make_emulator
from tests.integration.helpers import (
    GET_STATE,
    POST_TOKEN,
    account_entry,
    hub_entry,
    setup_entry,
    state_of,
)
from tests.integration.streaming import (
    GET_CLOUD_EVENTS,
    GET_EVENTS,
    LIGHT,
    LOGGER_NAME,
    SWITCH,
    TEMPERATURE,
    FrozenClock,
    UpperJitter,
    Watch,
    cloud_entity,
    device_wakes,
    fan_outs,
    flip_switch,
    next_state,
    ours,
    porch_switch_on_at_the_hub,
    setup_streaming,
    stop_hub,
)

from .helpers import find_device

pytestmark = pytest.mark.freeze_time("2025-01-01 00:00:00+00:00")


@pytest.fixture
def event_stream() -> bool:
    """Let the entries of this module open their event stream."""
    return True


@pytest.fixture(autouse=True)
async def unload_before_the_emulator_stops(
    hass: HomeAssistant, emulator: Emulator
) -> AsyncGenerator[None]:
    """Close the streams before the emulator stops.

    Stopping waits for open connections with timeouts of the loop clock,
    which stands still here.
    """
    yield
    await unload_all(hass)


async def unload_all(hass: HomeAssistant) -> None:
    """Unload every loaded entry, which closes its stream."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            assert await hass.config_entries.async_unload(entry.entry_id)


class RestartableHub:
    """A hub of its own, stopped and started again on its port as a hub restarts.

    Its certificate is kept in files, so the entry's pin holds across the
    restart; each start is a new emulator, which remembers nothing else.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        session: ClientSession,
        watch: Watch,
        files: tuple[Path, Path],
    ) -> None:
        """Build the first hub; :meth:`start` serves it."""
        self._hass = hass
        self._freezer = freezer
        self._session = session
        self._watch = watch
        self._files = files
        self.emulator = make_emulator(cloud_hubs=0, certificate_files=files)

    @property
    def clock(self) -> FrozenClock:
        """Return the clock of Home Assistant and of the hub now running."""
        return FrozenClock(self._hass, self._freezer, self.emulator, self._session)

    async def start(self, port: int = 0) -> None:
        """Serve the hub on ``port`` (0: a free one)."""
        await self.emulator.start(host="127.0.0.1", port=port, cloud_port=None)

    async def set_up(self) -> HearthCoordinator:
        """Set up an entry of the hub; return its coordinator once streaming."""
        return await setup_streaming(self._hass, self._watch, hub_entry(self.emulator))

    async def stop(self) -> None:
        """Stop the hub while Home Assistant is connected to it."""
        await stop_hub(self._hass, self._freezer, self.emulator, self._watch)

    async def start_again(self) -> None:
        """Start the hub again: a new one, with the certificate, on the port."""
        port = self.emulator.port
        self.emulator = make_emulator(cloud_hubs=0, certificate_files=self._files)
        await self.start(port)


@pytest.fixture
async def restartable_hub(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    session: ClientSession,
    socket_enabled: None,
    tmp_path: Path,
    watch: Watch,
) -> AsyncGenerator[RestartableHub]:
    """Serve a restartable hub; unload its entry, then stop it, after the test."""
    hub = RestartableHub(
        hass, freezer, session, watch, (tmp_path / "cert.pem", tmp_path / "key.pem")
    )
    await hub.start()
    yield hub
    await unload_all(hass)
    await hub.emulator.stop()


@pytest.fixture
def frozen_clock(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    session: ClientSession,
) -> FrozenClock:
    """Return the clock of the test's Home Assistant and emulator."""
    return FrozenClock(hass, freezer, emulator, session)


# Events


async def test_event_updates_only_its_device_without_a_request(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    emulator: Emulator,
) -> None:
    """A change on the hub shows at once, with no request, in its entities only."""
    emulator.reset_stats()
    fanned_out = fan_outs(coordinator)
    wakes = device_wakes(coordinator)
    written = async_capture_events(hass, EVENT_STATE_CHANGED)
    await porch_switch_on_at_the_hub(hass, emulator)

    assert emulator.stats.total == 0
    assert fanned_out == []
    # No other device's listener woke: on a large hub that would cost all.
    assert wakes == Counter({(emulator.hub_id, "switch-1"): 1})
    assert [event.data["entity_id"] for event in written] == [SWITCH]

    # Readings move the same way: one sensor, one write.
    written.clear()
    warm = await next_state(hass, TEMPERATURE, lambda state: state.state == "30.5")
    emulator.set_state("sensor-1", temperature=30.5)
    await warm()
    await hass.async_block_till_done()
    assert [event.data["entity_id"] for event in written] == [TEMPERATURE]
    assert emulator.stats.total == 0


@pytest.mark.usefixtures("coordinator")
async def test_offline_event_makes_only_that_device_unavailable(
    hass: HomeAssistant,
    emulator: Emulator,
) -> None:
    """A device the hub reports offline is unavailable at once; the rest stays."""
    gone = await next_state(hass, LIGHT, lambda state: state.state == STATE_UNAVAILABLE)
    emulator.set_online("light-1", False)
    await gone()
    assert state_of(hass, SWITCH) == STATE_OFF
    back = await next_state(hass, LIGHT, lambda state: state.state == STATE_OFF)
    emulator.set_online("light-1", True)
    await back()


@pytest.mark.usefixtures("coordinator")
async def test_devices_and_hub_follow_their_events(
    hass: HomeAssistant,
    emulator: Emulator,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Added and removed devices and a renamed hub need no poll either."""
    emulator.reset_stats()
    added = await next_state(
        hass, "switch.attic_fan", lambda state: state.state == STATE_ON
    )
    emulator.add_device(
        {"id": "switch-9", "kind": "switch", "name": "Attic Fan", "state": {"on": True}}
    )
    await added()

    removed: asyncio.Future[None] = hass.loop.create_future()

    @callback
    def _removed(event: Event[EventStateChangedData]) -> None:
        if event.data["new_state"] is None and not removed.done():
            removed.set_result(None)

    unsubscribe = async_track_state_change_event(hass, "switch.attic_fan", _removed)
    emulator.remove_device("switch-9")
    await removed
    unsubscribe()
    assert entity_registry.async_get("switch.attic_fan") is None
    assert (
        find_device(device_registry, {device_identifier(emulator.hub_id, "switch-9")})
        is None
    )

    renamed: asyncio.Future[None] = hass.loop.create_future()

    @callback
    def _registry_updated(event: Event[dr.EventDeviceRegistryUpdatedData]) -> None:
        if not renamed.done():
            renamed.set_result(None)

    hass.bus.async_listen(dr.EVENT_DEVICE_REGISTRY_UPDATED, _registry_updated)
    emulator.update_hub(name="Upstairs Hub", firmware="9.9.9")
    await renamed
    hub = find_device(device_registry, {(DOMAIN, emulator.hub_id)})
    assert hub is not None
    assert (hub.name, hub.sw_version) == ("Upstairs Hub", "9.9.9")
    assert emulator.stats.total == 0


async def test_unsupported_api_announced_by_the_hub_stops_the_entry(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    emulator: Emulator,
    watch: Watch,
) -> None:
    """A hub event with a new major API version is checked by a poll at once."""
    polls = watch.counts["polled"]
    emulator.add_fault("api_version", version="2.0")
    await watch.wait("polled", polls + 1)
    assert not coordinator.last_update_success
    assert state_of(hass, SWITCH) == STATE_UNAVAILABLE


# Resync and polling


@pytest.mark.usefixtures("coordinator")
async def test_resync_after_connect_and_each_reconnect(
    hass: HomeAssistant,
    frozen_clock: FrozenClock,
    emulator: Emulator,
    watch: Watch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each time the stream opens, one GET /state reads what it may have missed."""
    caplog.set_level(logging.DEBUG)
    # The setup's poll, then the resync once the stream is open.
    assert emulator.stats.count(*GET_STATE) == 2
    assert emulator.stats.count(*GET_EVENTS) == 1

    # A healthy stream that the hub ends is reopened at once, without a word.
    await frozen_clock.tick(61)
    emulator._hub_server.streams.force_close()
    await watch.wait("opened", 2)
    assert emulator.stats.count(*GET_EVENTS) == 2
    assert emulator.stats.count(*GET_STATE) == 3
    assert ours(caplog, logging.WARNING) == []
    assert ours(caplog, logging.INFO) == []


async def test_slow_safety_poll_while_the_stream_is_open(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    frozen_clock: FrozenClock,
    emulator: Emulator,
    watch: Watch,
) -> None:
    """While the stream is open, polls come only every five minutes."""
    assert coordinator.update_interval == SAFETY_POLL_INTERVAL
    polls = watch.counts["polled"]
    emulator.reset_stats()
    for _ in range(9):
        await frozen_clock.tick(30)
    assert emulator.stats.total == 0
    await frozen_clock.tick(31)
    await watch.wait("polled", polls + 1)
    assert emulator.stats.count(*GET_STATE) == 1
    # The hubs' firmware is read at the same slow pace.
    assert emulator.stats.count("GET", "/api/v1/firmware") == 1
    assert emulator.stats.total == 2


async def test_lost_stream_falls_back_to_polling_and_backs_off(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    frozen_clock: FrozenClock,
    emulator: Emulator,
    watch: Watch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Down: polls at the scan interval, reconnects 1, 2, 4 … 60 s apart, logs once.

    The loss is reported once a poll has shown that the hub still answers
    (when it does not, the failed poll is the one line). Back: one line, a
    resync, and the slow safety poll again.
    """
    caplog.set_level(logging.DEBUG)
    coordinator.stream.backoff.random = UpperJitter()  # type: ignore[assignment]
    await frozen_clock.tick(61)
    emulator.add_fault("server_error", path="/api/v1/events")
    emulator._hub_server.streams.force_close()
    # The stream ends, and reopening it at once fails.
    await watch.wait("closed", 2)
    assert not coordinator.stream.connected
    assert coordinator.update_interval == coordinator.scan_interval
    assert ours(caplog, logging.WARNING) == []

    attempts = 2
    for delay in (1, 2, 4, 8, 16, 32, 60, 60):
        await frozen_clock.tick(delay - 0.1)
        assert watch.counts["closed"] == attempts
        await frozen_clock.tick(0.1)
        attempts += 1
        await watch.wait("closed", attempts)
    assert emulator.stats.count(*GET_EVENTS) == attempts
    assert ours(caplog, logging.WARNING) == [
        "The event stream of Hearth Hub is down (HTTP 503); "
        "polling every 30 s until it is back"
    ]

    # Meanwhile the scan interval's polls kept everything up to date.
    emulator.reset_stats()
    polls = watch.counts["polled"]
    emulator.set_state("light-1", on=True)
    await frozen_clock.tick(31)
    await watch.wait("polled", polls + 1)
    assert state_of(hass, LIGHT) == STATE_ON
    assert emulator.stats.count(*GET_STATE) == 1

    emulator.clear_faults()
    await frozen_clock.tick(60)
    await watch.wait("opened", 2)
    assert coordinator.update_interval == SAFETY_POLL_INTERVAL
    assert len(ours(caplog, logging.WARNING)) == 1
    assert ours(caplog, logging.INFO) == ["The event stream of Hearth Hub is back"]
    assert not any(
        record.exc_info
        for record in caplog.records
        if record.name.startswith(LOGGER_NAME)
    )


@pytest.mark.usefixtures("restrict_platforms")
async def test_resync_after_a_hub_restart_shows_its_state(
    hass: HomeAssistant,
    restartable_hub: RestartableHub,
    watch: Watch,
) -> None:
    """A restarted hub counts its ETag from the start again; the resync is right.

    Home Assistant last read /state at setup; since then only events came. The
    restarted hub forgot what changed, and its ETag is the one read at setup:
    the resync gets 304, and must show the state that 304 confirms.
    """
    coordinator = await restartable_hub.set_up()
    coordinator.stream.backoff.random = UpperJitter()  # type: ignore[assignment]
    on = await next_state(hass, SWITCH, lambda state: state.state == STATE_ON)
    restartable_hub.emulator.set_state("switch-1", on=True)
    await on()
    await restartable_hub.stop()
    assert not coordinator.stream.connected
    opened = watch.counts["opened"]
    await restartable_hub.start_again()
    second = restartable_hub.emulator
    clock = restartable_hub.clock
    while watch.counts["opened"] <= opened:
        await clock.tick(1)
    assert second.stats.by_status[304] >= 1
    # Only the firmware, which /state does not carry, is read whole.
    assert second.stats.by_status[200] == second.stats.count("GET", "/api/v1/firmware")
    assert state_of(hass, SWITCH) == STATE_OFF


# Failures that need the user


async def test_refused_key_starts_reauth_and_closes_the_stream(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    frozen_clock: FrozenClock,
    emulator: Emulator,
    watch: Watch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A key the hub refuses on the stream asks for a new one; no more attempts."""
    await frozen_clock.tick(61)
    emulator.revoke_key(API_KEY)
    await watch.wait("closed", 2)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert not coordinator.stream.connected
    attempts = emulator.stats.count(*GET_EVENTS)
    await frozen_clock.tick(120)
    assert emulator.stats.count(*GET_EVENTS) == attempts
    assert watch.counts["closed"] == 2
    assert ours(caplog, logging.WARNING) == []


async def test_certificate_mismatch_opens_the_repair_issue_and_stops(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    frozen_clock: FrozenClock,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    watch: Watch,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A new certificate on the hub opens the repair issue; nothing more is sent."""
    await frozen_clock.tick(61)
    emulator.rotate_certificate()
    await watch.wait("closed", 2)
    issue = issue_registry.async_get_issue(
        DOMAIN, certificate_issue_id(mock_config_entry.entry_id)
    )
    assert issue is not None
    assert issue.data is not None
    assert issue.data["fingerprint"] == emulator.fingerprint
    assert coordinator.stream._task is None or coordinator.stream._task.done()
    await frozen_clock.tick(600)
    assert watch.counts["closed"] == 2


async def test_rate_limited_handshake_waits_for_retry_after(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    frozen_clock: FrozenClock,
    emulator: Emulator,
    watch: Watch,
    session: ClientSession,
) -> None:
    """A 429 on the handshake: no attempt (nor poll) before Retry-After."""
    await frozen_clock.tick(61)
    emulator.set_rate_limit(5)
    # Another client of the same key spends the budget behind the governor's back.
    other = HearthHubClient(
        session, "127.0.0.1", ApiKeyAuth(API_KEY), port=emulator.port, ssl=False
    )
    for _ in range(5):
        await other.async_get_info()
    with pytest.raises(HearthRateLimitError) as refused:
        await other.async_get_info()
    retry_after = refused.value.retry_after
    assert retry_after > 10
    attempts = emulator.stats.count(*GET_EVENTS)
    polls = emulator.stats.count(*GET_STATE)
    emulator._hub_server.streams.force_close()
    await watch.wait("closed", 2)
    assert emulator.stats.count(*GET_EVENTS) == attempts + 1
    assert emulator.stats.by_status[429] == 2
    assert coordinator.governor.blocked_until >= dt_util.utcnow().timestamp() + 10

    await frozen_clock.tick(retry_after - 1)
    assert emulator.stats.count(*GET_EVENTS) == attempts + 1
    assert emulator.stats.count(*GET_STATE) == polls
    await frozen_clock.tick(2)
    await watch.wait("opened", 2)
    assert emulator.stats.count(*GET_EVENTS) == attempts + 2


# Hearth Cloud


@pytest.mark.usefixtures("credentials", "restrict_platforms")
async def test_cloud_events_apply_and_skip_locally_served_hubs(
    hass: HomeAssistant,
    emulator: Emulator,
    watch: Watch,
    entity_registry: er.EntityRegistry,
) -> None:
    """The account's stream updates its hubs with no request.

    The local hub's events are left to the local entry.
    """
    await setup_streaming(hass, watch, hub_entry(emulator))
    cloud = await setup_entry(hass, account_entry(emulator))
    await watch.wait("opened", 2)
    (hub_id,) = set(emulator.account.hubs) - {emulator.hub_id}
    assert set(cloud.data.hubs) == {hub_id}
    home = emulator.cloud_hub(hub_id).home
    device_id = next(d.id for d in home.devices.values() if d.kind == "switch")
    entity_id = cloud_entity(entity_registry, hub_id, device_id)
    emulator.reset_stats()
    fanned_out = fan_outs(cloud)

    await flip_switch(hass, home, device_id, entity_id)
    await porch_switch_on_at_the_hub(hass, emulator)
    assert emulator.stats.total == 0
    assert fanned_out == []
    assert set(cloud.data.hubs) == {hub_id}


@pytest.mark.usefixtures("credentials", "restrict_platforms")
async def test_cloud_token_expiry_renews_the_stream_quietly(
    hass: HomeAssistant,
    emulator: Emulator,
    watch: Watch,
    caplog: pytest.LogCaptureFixture,
    entity_registry: er.EntityRegistry,
) -> None:
    """The cloud closes the stream when its token expires.

    A fresh token, a new stream, a resync, and not a line in the log.
    """
    cloud = await setup_entry(hass, account_entry(emulator))
    await watch.wait("opened", 1)
    tokens = emulator.stats.count(*POST_TOKEN)
    streams = emulator.stats.count(*GET_CLOUD_EVENTS)
    emulator.expire_tokens()
    await watch.wait("opened", 2)
    assert emulator.stats.count(*POST_TOKEN) == tokens + 1
    assert emulator.stats.count(*GET_CLOUD_EVENTS) == streams + 1
    assert cloud.stream.connected
    assert ours(caplog, logging.INFO) == []
    assert ours(caplog, logging.WARNING) == []
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    (hub_id,) = set(emulator.account.hubs) - {emulator.hub_id}
    home = emulator.cloud_hub(hub_id).home
    device_id = next(d.id for d in home.devices.values() if d.kind == "switch")
    await flip_switch(
        hass, home, device_id, cloud_entity(entity_registry, hub_id, device_id)
    )


@pytest.mark.usefixtures("credentials", "restrict_platforms")
async def test_cloud_refused_refresh_starts_reauth(
    hass: HomeAssistant,
    emulator: Emulator,
    watch: Watch,
    frozen_clock: FrozenClock,
) -> None:
    """A token the cloud refuses even after a refresh asks for a new sign-in."""
    cloud = await setup_entry(hass, account_entry(emulator))
    await watch.wait("opened", 1)
    await frozen_clock.tick(61)
    tokens = emulator.stats.count(*POST_TOKEN)
    emulator.add_fault("server_error", status=401, path="/v1/events")
    emulator._cloud_server.streams.force_close()
    await watch.wait("closed", 2)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert not cloud.stream.connected
    # One refresh and one more try before giving up.
    assert emulator.stats.count(*POST_TOKEN) == tokens + 1
    assert emulator.stats.count(*GET_CLOUD_EVENTS) == 3


# Lifecycle


async def test_unload_reload_and_stop_close_the_stream(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    watch: Watch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unload, reload and Home Assistant's stop leave no task and no error behind."""
    task = coordinator.stream._task
    assert task is not None
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    assert task.done()
    assert not mock_config_entry._background_tasks
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED

    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await watch.wait("opened", 2)
    coordinator = mock_config_entry.runtime_data
    task = coordinator.stream._task
    assert task is not None
    assert len(mock_config_entry._background_tasks) == 1

    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert task.cancelling()
    await asyncio.wait([task])
    assert not coordinator.stream.connected
    assert ours(caplog, logging.WARNING) == []
    assert ours(caplog, logging.ERROR) == []


# Event storms


@pytest.mark.usefixtures("restrict_platforms")
async def test_event_storm_of_a_large_hub(
    hass: HomeAssistant, socket_enabled: None, watch: Watch
) -> None:
    """Every sensor of a 500-device hub drifts three times, all at once.

    Each event wakes only its own device's entities, no event wakes them
    all, and Home Assistant ends with every last reading, without a GET.
    """
    emulator = make_emulator(
        devices=500,
        cloud_hubs=0,
    )
    await emulator.start(host="127.0.0.1", port=0, cloud_port=None)
    try:
        entry = hub_entry(emulator, title="Big Hub")
        coordinator = await setup_streaming(hass, watch, entry)
        emulator.reset_stats()
        written = async_capture_events(hass, EVENT_STATE_CHANGED)
        fanned_out = fan_outs(coordinator)
        wakes = device_wakes(coordinator)
        expected: dict[DeviceKey, Device] = {}
        for _ in range(3):
            for device in emulator.drift():
                key = (emulator.hub_id, device.id)
                expected[key] = Device.from_dict(device.to_json())
        last = key
        applied: asyncio.Future[None] = hass.loop.create_future()

        @callback
        def _last_applied() -> None:
            if coordinator.data.devices[last] == expected[last] and not applied.done():
                applied.set_result(None)

        coordinator.store.add_device_listener(last, _last_applied)
        await applied
        await hass.async_block_till_done()
        assert len(expected) > 100
        assert fanned_out == []
        # Each event woke its own device's listeners and no other device's.
        assert set(wakes) == set(expected)
        assert all(count <= 3 for count in wakes.values())
        for device_key, device in expected.items():
            assert coordinator.data.devices[device_key] == device
        device_of = {
            entity.entity_id: entity._key
            for platform in ("sensor", "switch", "light")
            for entity in hass.data["entity_components"][platform].entities
            if isinstance(entity, HearthEntity)
        }
        writes = Counter(device_of[event.data["entity_id"]] for event in written)
        # Only the drifted devices' entities were written, at most once per event.
        assert set(writes) <= set(expected)
        assert all(count <= 3 * 3 for count in writes.values())
        assert emulator.stats.total == 0
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await emulator.stop()


# Outages and recovery: the poll schedule, the log, the way back


@pytest.mark.parametrize(
    ("fault", "options"),
    [
        ("api_version", {"version": "2.0"}),
        ("malformed_json", {"path": "/api/v1/state", "count": 1}),
        ("server_error", {"path": "/api/v1/state", "count": 1}),
    ],
)
async def test_failed_poll_while_streaming_recovers_within_a_scan_interval(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    frozen_clock: FrozenClock,
    emulator: Emulator,
    watch: Watch,
    fault: str,
    options: dict[str, Any],
) -> None:
    """A failed poll is retried on the poll schedule, whatever the stream does.

    The stream stays open throughout, so its slow safety pace must not decide
    the retry: once the hub answers normally again, the entities are back
    within one scan interval.
    """
    await frozen_clock.tick(61)
    assert coordinator.push_connected
    polls = watch.counts["polled"]
    added = emulator.add_fault(fault, **options)
    # A new API version is announced on the stream and read at once; the
    # other faults meet the next safety poll.
    while watch.counts["polled"] == polls:
        await frozen_clock.tick(30)
    assert not coordinator.last_update_success
    assert state_of(hass, SWITCH) == STATE_UNAVAILABLE
    assert coordinator.push_connected
    if fault == "api_version":
        emulator.remove_fault(added.id)

    await frozen_clock.tick(coordinator.scan_interval.total_seconds())
    assert coordinator.last_update_success
    assert state_of(hass, SWITCH) != STATE_UNAVAILABLE
    assert coordinator.update_interval == SAFETY_POLL_INTERVAL


@pytest.mark.usefixtures("restrict_platforms")
async def test_outage_logs_one_line_each_way_and_the_hub_is_back_in_seconds(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    restartable_hub: RestartableHub,
    watch: Watch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A hub away for ten minutes: one line when it goes, one when it is back.

    The stream and the polls both notice the outage; the log says it once.
    Reopening the stream costs a hub that is away nothing, so it is tried at
    most 5 s apart, and the entities are back within 5 s of the hub.
    """
    coordinator = await restartable_hub.set_up()
    await restartable_hub.clock.tick(61)
    await restartable_hub.stop()
    for _ in range(600):
        freezer.tick(1)
        async_fire_time_changed_exact(hass)
        await hass.async_block_till_done()
    assert state_of(hass, SWITCH) == STATE_UNAVAILABLE
    assert not coordinator.push_connected
    went = ours(caplog, logging.WARNING, logging.ERROR)
    assert len(went) == 1, went
    assert "Cannot reach" in went[0]

    await restartable_hub.start_again()
    clock = restartable_hub.clock
    opened = watch.counts["opened"]
    # Within 5 s an attempt falls due; then only I/O is left to wait for.
    for _ in range(int(STREAM_UNREACHABLE_RETRY)):
        await clock.tick(1)
    await asyncio.wait_for(watch.wait("opened", opened + 1), 30)
    assert state_of(hass, SWITCH) != STATE_UNAVAILABLE
    assert len(ours(caplog, logging.WARNING, logging.ERROR)) == 1
    assert ours(caplog, logging.INFO) == ["Fetching Hearth Hub data recovered"]


async def hub_away(
    hub: RestartableHub, caplog: pytest.LogCaptureFixture
) -> tuple[HearthCoordinator, list[str]]:
    """Set up the hub's entry, stop the hub and poll once; return the log line.

    The failed poll logs the outage, in one line.
    """
    coordinator = await hub.set_up()
    await hub.clock.tick(61)
    await hub.stop()
    await coordinator.async_refresh()
    went = ours(caplog, logging.WARNING, logging.ERROR)
    assert len(went) == 1, went
    assert "Cannot reach" in went[0]
    return coordinator, went


async def test_the_poll_that_finds_the_hub_back_reopens_its_stream_quietly(
    restartable_hub: RestartableHub,
    watch: Watch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A poll that finds the hub back before its stream does adds no log line.

    The failed poll reported the outage; the stream is reopened at once, with
    no clock moved, rather than reported as down.
    """
    coordinator, went = await hub_away(restartable_hub, caplog)

    await restartable_hub.start_again()
    opened = watch.counts["opened"]
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert ours(caplog, logging.WARNING, logging.ERROR) == went
    # Frozen time: only the poll's request to reopen can open it.
    await watch.wait("opened", opened + 1)
    assert ours(caplog, logging.WARNING, logging.ERROR) == went
    assert ours(caplog, logging.INFO) == ["Fetching Hearth Hub data recovered"]


async def test_a_stream_still_down_after_an_outage_is_reported_at_the_next_poll(
    restartable_hub: RestartableHub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Back from an outage with its stream refused: reported one poll later."""
    coordinator, went = await hub_away(restartable_hub, caplog)

    await restartable_hub.start_again()
    restartable_hub.emulator.add_fault("server_error", path="/api/v1/events")
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert ours(caplog, logging.WARNING, logging.ERROR) == went
    await coordinator.async_refresh()
    assert not coordinator.push_connected
    reported = ours(caplog, logging.WARNING, logging.ERROR)[len(went) :]
    assert len(reported) == 1, reported
    assert reported[0].startswith("The event stream of Hearth Hub is down")


async def test_zeroconf_announcement_reopens_the_stream_at_once(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    frozen_clock: FrozenClock,
    emulator: Emulator,
    watch: Watch,
) -> None:
    """A hub that announces itself is back: its stream reopens without waiting."""
    await frozen_clock.tick(61)
    emulator.add_fault("server_error", path="/api/v1/events")
    emulator._hub_server.streams.force_close()
    await watch.wait("closed", 2)
    assert coordinator.stream is not None
    assert coordinator.stream.backoff.delay() > 0
    emulator.clear_faults()
    opened = watch.counts["opened"]

    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=ZeroconfServiceInfo(
            ip_address=ip_address("127.0.0.1"),
            ip_addresses=[ip_address("127.0.0.1")],
            hostname=f"{emulator.hub_id}.local.",
            name="Hearth Hub._hearth._tcp.local.",
            port=emulator.port,
            properties={"id": emulator.hub_id, "model": "HH-1"},
            type="_hearth._tcp.local.",
        ),
    )
    assert result["reason"] == "already_configured"
    await watch.wait("opened", opened + 1)
    assert coordinator.push_connected


async def test_reconnect_backoff_starts_over_after_a_stream_with_events(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    frozen_clock: FrozenClock,
    emulator: Emulator,
    watch: Watch,
) -> None:
    """Failures before a stream that delivered events do not slow the next reopen."""
    assert coordinator.stream is not None
    coordinator.stream.backoff.random = UpperJitter()  # type: ignore[assignment]
    emulator.add_fault("server_error", path="/api/v1/events", count=3)
    emulator._hub_server.streams.force_close()
    await watch.wait("closed", 1)
    for closed, delay in enumerate((1, 2, 4), start=2):
        await frozen_clock.tick(delay)
        await watch.wait("closed", closed)
    await frozen_clock.tick(8)
    await watch.wait("opened", 2)
    await porch_switch_on_at_the_hub(hass, emulator)

    opened = watch.counts["opened"]
    emulator._hub_server.streams.force_close()
    await watch.wait("opened", opened + 1)
    assert coordinator.stream.backoff.failures == 0
