"""The coordinator against the emulator: polling, rate limits, failures, devices."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from datetime import timedelta
from itertools import pairwise
import logging
from math import ceil
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_SCAN_INTERVAL,
    EVENT_STATE_CHANGED,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.event import RANDOM_MICROSECOND_MAX, RANDOM_MICROSECOND_MIN
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.hearth.api import DeviceCommand
from custom_components.hearth.const import DOMAIN
from emulator import Emulator
from tests.harness.emulators import API_KEY, make_emulator
from tests.integration.helpers import (
    GET_STATE,
    PATCH_DEVICE,
    add_entry,
    advance,
    hub_entry,
    hub_entry_data,
    setup_entry,
    state_of,
)

from .helpers import find_device

pytestmark = pytest.mark.freeze_time("2025-01-01 00:00:00+00:00")

COORDINATOR_LOGGER = "custom_components.hearth"
#: One entity of each platform of the demo home, with its state at setup.
LIGHT = "light.hallway_light"
SWITCH = "switch.porch_switch"
SENSOR = "sensor.living_room_climate_temperature"


def available(hass: HomeAssistant, *entity_ids: str) -> bool:
    """Return whether every entity is available."""
    return all(
        state_of(hass, entity_id) != STATE_UNAVAILABLE for entity_id in entity_ids
    )


def hearth_entity_ids(hass: HomeAssistant) -> list[str]:
    """Return every enabled entity of the integration."""
    return [
        entry.entity_id
        for entry in er.async_get(hass).entities.values()
        if entry.platform == DOMAIN and not entry.disabled
    ]


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """Assert that no log line an expected failure caused carries a traceback.

    asyncio's own DEBUG lines about torn-down TLS transports (the loop runs in
    debug mode in tests) are left aside: they are not the integration's. So
    is the DEBUG "Full error:" record with the traceback that Home
    Assistant's coordinator helper adds from 2026.x under the coordinator's
    logger: it shows only when the user turns on debug logging.
    """
    for record in caplog.records:
        if record.levelno >= logging.INFO or (
            record.name.startswith(COORDINATOR_LOGGER)
            and "custom_components" in record.pathname
        ):
            assert record.exc_info is None, record.getMessage()
            assert "Traceback" not in caplog.handler.format(record)


async def turn_on_porch_switch(hass: HomeAssistant) -> HomeAssistantError:
    """Turn the porch switch on; return the error that the call raises."""
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True
        )
    assert err.value.translation_domain == DOMAIN
    return err.value


class FixedJitter:
    """Stands in for the coordinator's random source: always the largest jitter."""

    def uniform(self, low: float, high: float) -> float:
        """Return the upper bound."""
        return high


# Polling


@pytest.mark.usefixtures("restrict_platforms")
async def test_one_request_per_poll_and_no_writes_without_changes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Every poll is one GET /state; an unchanged state (304) writes nothing."""
    await setup_entry(hass, mock_config_entry)
    assert len(hearth_entity_ids(hass)) == 16
    assert hass.states.async_entity_ids_count() == 16
    assert emulator.stats.count(*GET_STATE) == 1
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    for polls in range(2, 5):
        await advance(hass, freezer, 30)
        assert emulator.stats.count(*GET_STATE) == polls
    assert emulator.stats.total == 4
    assert emulator.stats.by_status[304] == 3
    assert events == []

    emulator.set_state("light-1", on=True)
    await advance(hass, freezer, 30)
    assert emulator.stats.count(*GET_STATE) == 5
    assert emulator.stats.by_status[200] == 2
    assert [event.data["entity_id"] for event in events] == [LIGHT]
    assert state_of(hass, LIGHT) == STATE_ON


@pytest.mark.usefixtures("restrict_platforms")
async def test_one_request_per_poll_for_a_large_home(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, socket_enabled: None
) -> None:
    """The number of devices changes nothing about the number of requests."""
    emulator = make_emulator(
        devices=200,
    )
    await emulator.start(host="127.0.0.1", port=0, cloud_port=None)
    try:
        entry = hub_entry(emulator, title="Big Hub")
        await setup_entry(hass, entry)
        assert len(hearth_entity_ids(hass)) > 200
        for device in list(emulator.home.devices)[:50]:
            emulator.update_device(device, {"name": f"Renamed {device}"})
        await advance(hass, freezer, 30)
        await advance(hass, freezer, 30)
        assert emulator.stats.total == 3
        assert emulator.stats.count(*GET_STATE) == 3
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await emulator.stop()


# Rate limits


@pytest.fixture(
    params=[RANDOM_MICROSECOND_MIN, RANDOM_MICROSECOND_MAX], ids=["early", "late"]
)
def poll_offset(request: pytest.FixtureRequest) -> Generator[None]:
    """Pin the offset Home Assistant adds to each coordinator's polls.

    It is drawn at random (0.05 to 0.5 s) for every coordinator; a test that
    depends on it runs at both ends instead of by luck.
    """
    with patch(
        "homeassistant.helpers.update_coordinator.randint", return_value=request.param
    ):
        yield


@pytest.mark.parametrize("retry_after_format", ["seconds", "http-date"])
# Home Assistant schedules polls from the whole second of the loop clock: a
# start just before a full second shows whether the rest is made up for.
@pytest.mark.parametrize(
    "start", ["2025-01-01 00:00:00+00:00", "2025-01-01 00:00:00.990+00:00"]
)
@pytest.mark.usefixtures("restrict_platforms", "poll_offset")
async def test_retry_after_is_respected_to_the_second(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    retry_after_format: str,
    start: str,
) -> None:
    """After a 429 no request goes out before Retry-After; then exactly one."""
    freezer.move_to(start)
    coordinator = await setup_entry(hass, mock_config_entry)
    started = dt_util.utcnow().timestamp()
    # One request per minute: the one made at setup fills the window.
    emulator.set_rate_limit(1, retry_after_format)
    emulator.set_state("light-1", on=True)

    await advance(hass, freezer, 31)
    assert emulator.stats.count(*GET_STATE) == 2
    assert emulator.stats.rate_limited == 1
    # The setup request leaves the window 60 s after it came: Retry-After 29
    # (an HTTP date has whole seconds only, so it says a little more).
    expected = started + 60 if retry_after_format == "seconds" else ceil(started) + 60
    assert coordinator.governor.blocked_until == expected
    # The refused request used no budget.
    assert list(coordinator.governor.counted) == [started]
    assert coordinator.last_update_success
    assert state_of(hass, LIGHT) == STATE_OFF

    await advance(hass, freezer, 28)
    assert emulator.stats.total == 2

    await advance(hass, freezer, 2)
    assert emulator.stats.count(*GET_STATE) == 3
    assert emulator.stats.rate_limited == 1
    assert state_of(hass, LIGHT) == STATE_ON


@pytest.mark.usefixtures("restrict_platforms")
async def test_rate_limit_keeps_the_last_state_until_it_is_stale(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Entities keep their state for stale_after (5 min), then go unavailable."""
    coordinator = await setup_entry(hass, mock_config_entry)
    assert coordinator.stale_after == timedelta(minutes=5)
    entities = hearth_entity_ids(hass)
    # Another client of the key spends the budget: every answer is a 429
    # (without Retry-After, so the client waits its default 60 s).
    emulator.add_fault("server_error", status=429)
    emulator.set_state("light-1", on=True)

    unavailable_at = None
    for second in range(1, 311):
        await advance(hass, freezer, 1)
        if not available(hass, *entities):
            unavailable_at = second
            break
        assert state_of(hass, LIGHT) == STATE_OFF
    # Stale exactly 5 min after the last fresh state (setup, at 0 s).
    assert unavailable_at == 300
    # Polls at 30 s (the scan interval), then every 60 s: 90, 150, 210, 270.
    assert emulator.stats.count(*GET_STATE) == 1 + 5
    assert emulator.stats.rate_limited == 5
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == "rate_limited_stale"

    emulator.clear_faults()
    for _ in range(40):
        await advance(hass, freezer, 1)
    assert available(hass, *entities)
    assert state_of(hass, LIGHT) == STATE_ON
    assert emulator.stats.count(*GET_STATE) == 1 + 5 + 1


@pytest.mark.usefixtures("restrict_platforms")
async def test_polls_stay_within_the_budget_and_keep_room_for_commands(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """6 requests a minute with a 10 s scan interval: no 429, commands still fit."""
    emulator.set_rate_limit(6)
    coordinator = await setup_entry(
        hass, mock_config_entry, options={CONF_SCAN_INTERVAL: 10}
    )
    entities = hearth_entity_ids(hass)
    assert coordinator.governor.reserve == 2

    polls = [emulator.stats.count(*GET_STATE)]
    for _ in range(300):
        await advance(hass, freezer, 1)
        polls.append(emulator.stats.count(*GET_STATE))
        assert available(hass, *entities)
    assert emulator.stats.rate_limited == 0
    # At most limit - reserve = 4 polls in any 60 s, and not fewer either:
    # each waits only as long as the window needs.
    assert max(polls[t] - polls[t - 60] for t in range(60, len(polls))) == 4
    assert polls[-1] == 21

    # The reserve: two commands go through even right after a poll.
    for service in (SERVICE_TURN_ON, SERVICE_TURN_OFF):
        await hass.services.async_call(
            SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: SWITCH}, blocking=True
        )
    assert emulator.stats.count(*PATCH_DEVICE) == 2
    assert emulator.stats.rate_limited == 0

    # The budget is spent: the third command is refused without a request.
    err = await turn_on_porch_switch(hass)
    assert err.translation_key == "rate_limited"
    assert err.translation_placeholders is not None
    retry_after = err.translation_placeholders["retry_after"]
    assert int(retry_after) > 0
    assert str(err) == (
        f"The hub's rate limit is reached. Try again in {retry_after} seconds"
    )
    assert emulator.stats.count(*PATCH_DEVICE) == 2
    assert emulator.stats.total == polls[-1] + 2

    for _ in range(120):
        await advance(hass, freezer, 1)
        assert available(hass, *entities)
    assert emulator.stats.rate_limited == 0


# Failures


@pytest.mark.usefixtures("restrict_platforms")
async def test_backoff_grows_to_the_cap_and_resets(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """While the hub fails, the pause doubles from 30 s up to 300 s (+ jitter)."""
    coordinator = await setup_entry(hass, mock_config_entry)
    coordinator.backoff.random = FixedJitter()  # type: ignore[assignment]
    start = dt_util.utcnow().timestamp()
    emulator.add_fault("server_error")

    times: list[int] = []
    second = 0
    while len(times) < 7:
        await advance(hass, freezer, 1)
        second += 1
        if emulator.stats.count(*GET_STATE) > 1 + len(times):
            times.append(second)
        assert second < 2000
    gaps = [later - earlier for earlier, later in pairwise(times)]
    # 30, 60, 120, 240, 300, 300 times the jitter 1.2.
    assert gaps == [36, 72, 144, 288, 360, 360]
    assert times[0] == 30
    assert coordinator.failures == 7
    # The failures carried no rate-limit headers: the budget seen at setup
    # is all the governor knows.
    assert coordinator.governor.answered_at == start
    assert list(coordinator.governor.counted) == [start]
    assert coordinator.update_interval == timedelta(seconds=360)

    emulator.clear_faults()
    # The health check finds the hub back within a scan interval.
    await advance(hass, freezer, 30)
    assert emulator.stats.count(*GET_STATE) == 9
    assert coordinator.failures == 0
    assert coordinator.update_interval == timedelta(seconds=30)
    await advance(hass, freezer, 30)
    assert emulator.stats.count(*GET_STATE) == 10


GET_HEALTH = ("GET", "/api/v1/health")
#: When polls fail all the time: 30 s, then 30, 60, 120, 240, 300... x 1.2.
BACKOFF_POLLS = [30, 66, 138, 282, 570, 930, 1290]


async def _outage_then_recovery(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    outage: int,
    start_outage: Callable[[], Awaitable[object]],
    end_outage: Callable[[], Awaitable[object]],
) -> tuple[list[int], int, int]:
    """Set up, fail every poll for ``outage`` seconds, then end the outage.

    Return the seconds at which GET /state went out during the outage, the
    health checks it answered during the outage, and how many seconds after
    its end the entities were all back.
    """
    coordinator = await setup_entry(hass, mock_config_entry)
    coordinator.backoff.random = FixedJitter()  # type: ignore[assignment]
    entities = hearth_entity_ids(hass)
    await start_outage()
    polls: list[int] = []
    for second in range(1, outage + 1):
        before = emulator.stats.count(*GET_STATE)
        await advance(hass, freezer, 1)
        if emulator.stats.count(*GET_STATE) > before:
            polls.append(second)
        assert not available(hass, *entities) or not polls
    checks = emulator.stats.count(*GET_HEALTH)
    emulator.set_state("light-1", on=True)
    await end_outage()
    for second in range(1, 31):
        await advance(hass, freezer, 1)
        if available(hass, *entities):
            assert state_of(hass, LIGHT) == STATE_ON
            return polls, checks, second
    pytest.fail("the entities were not back within a scan interval")


@pytest.mark.parametrize("outage", [100, 1200])
@pytest.mark.usefixtures("restrict_platforms")
async def test_back_within_a_scan_interval_after_server_errors(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    outage: int,
) -> None:
    """After an outage of any length, entities are back within 30 s.

    The polls during the outage are the backoff's, no more: the health
    checks in between use no budget.
    """

    async def _fail() -> None:
        emulator.add_fault("server_error")

    async def _heal() -> None:
        emulator.clear_faults()

    polls, checks, back_after = await _outage_then_recovery(
        hass, freezer, emulator, mock_config_entry, outage, _fail, _heal
    )
    assert polls == [t for t in BACKOFF_POLLS if t <= outage]
    assert back_after <= 30
    # At most one check per scan interval, none before the first failure.
    assert 0 < checks <= (outage - 30) // 30


@pytest.mark.usefixtures("restrict_platforms", "socket_enabled")
async def test_back_within_a_scan_interval_after_the_hub_was_down(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, tmp_path: Path
) -> None:
    """A hub that was off for over 16 minutes is back within a scan interval.

    Its backoff would poll 290 s after it is back.
    """
    emulator = make_emulator(
        # Like a real hub, it keeps its certificate when it restarts.
        certificate_files=(tmp_path / "cert.pem", tmp_path / "key.pem"),
    )
    await emulator.start(host="127.0.0.1", port=0, cloud_port=None)
    port = emulator.port
    try:
        _polls, _checks, back_after = await _outage_then_recovery(
            hass,
            freezer,
            emulator,
            hub_entry(emulator),
            1000,
            emulator.stop,
            lambda: emulator.start(host="127.0.0.1", port=port, cloud_port=None),
        )
        assert back_after <= 30
    finally:
        await emulator.stop()


@pytest.mark.usefixtures("restrict_platforms")
async def test_health_checks_stop_when_polls_fail_anyway(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A hub whose health check passes while its polls fail gets no extra polls.

    One poll follows the first passing check; after it fails, only the
    backoff polls until a poll succeeds.
    """
    coordinator = await setup_entry(hass, mock_config_entry)
    coordinator.backoff.random = FixedJitter()  # type: ignore[assignment]
    emulator.add_fault("server_error", path="/api/v1/state")
    for _ in range(600):
        await advance(hass, freezer, 1)
    # 30 fails; the check at 60 passes, the poll at 60 fails; then only the
    # backoff: 60 + 72 = 132, + 144 = 276, + 288 = 564, with no checks.
    # Without checks the polls would be 30, 66, 138, 282 and 570: as many.
    assert emulator.stats.count(*GET_STATE) == 1 + 5
    assert emulator.stats.count(*GET_HEALTH) == 1
    emulator.clear_faults()
    await advance(hass, freezer, 360)
    assert coordinator.last_update_success
    assert coordinator.failures == 0


@pytest.mark.parametrize(
    ("failures", "base"), [(1, 30), (2, 60), (3, 120), (4, 240), (5, 300), (9, 300)]
)
@pytest.mark.usefixtures("restrict_platforms")
async def test_backoff_jitter_stays_within_bounds(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    failures: int,
    base: float,
) -> None:
    """The jitter only ever lengthens the pause, by at most a fifth."""
    coordinator = await setup_entry(hass, mock_config_entry)
    coordinator.backoff.failures = failures
    delays = [(coordinator.backoff.delay()) for _ in range(200)]
    assert all(base <= delay <= base * 1.2 for delay in delays)
    assert len(set(delays)) > 1


@pytest.mark.usefixtures("restrict_platforms")
async def test_unreachable_hub_logs_once_and_recovery_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One ERROR when the hub becomes unreachable, one INFO when it is back."""
    caplog.set_level(logging.DEBUG)
    coordinator = await setup_entry(hass, mock_config_entry)
    coordinator.backoff.random = FixedJitter()  # type: ignore[assignment]
    entities = hearth_entity_ids(hass)
    emulator.add_fault("drop")

    for delay in (30, 36, 72, 144):
        await advance(hass, freezer, delay)
    # Four polls, each retried once after the dropped connection; so are
    # the health checks between them.
    assert emulator.stats.count(*GET_STATE) == 1 + 8
    assert emulator.stats.dropped == 8 + emulator.stats.count(*GET_HEALTH)
    assert coordinator.failures == 4
    assert not available(hass, *entities)

    emulator.clear_faults()
    for _ in range(30):
        await advance(hass, freezer, 1)
        if available(hass, *entities):
            break
    assert available(hass, *entities)
    assert emulator.stats.count(*GET_STATE) == 1 + 8 + 1
    await advance(hass, freezer, 30)
    assert emulator.stats.count(*GET_STATE) == 1 + 8 + 2

    ours = [r for r in caplog.records if r.name.startswith(COORDINATOR_LOGGER)]
    errors = [r for r in ours if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "Error fetching Hearth Hub data: "
        "Cannot reach Hearth: 127.0.0.1 closed the connection"
    ]
    recovered = [r for r in ours if "recovered" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in recovered] == [
        (logging.INFO, "Fetching Hearth Hub data recovered")
    ]
    assert all(r.levelno < logging.ERROR for r in caplog.records if r not in errors)
    assert_no_traceback(caplog)
    assert API_KEY not in caplog.text
    assert not any(API_KEY in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("fault", "translation_key"),
    [
        ({"kind": "malformed_json"}, "invalid_response"),
        ({"kind": "truncated_json"}, "invalid_response"),
        ({"kind": "wrong_schema"}, "invalid_response"),
        ({"kind": "huge_body"}, "invalid_response"),
        ({"kind": "huge_body", "chunked": True}, "invalid_response"),
        ({"kind": "truncated_body"}, "cannot_connect"),
        ({"kind": "server_error", "status": 500}, "server_error"),
    ],
)
@pytest.mark.usefixtures("restrict_platforms")
async def test_bad_answers_make_entities_unavailable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
    translation_key: str,
) -> None:
    """An answer that cannot be used fails the update; entities go unavailable."""
    coordinator = await setup_entry(hass, mock_config_entry)
    entities = hearth_entity_ids(hass)
    # A changed state, so that the hub answers 200 (which the fault spoils).
    emulator.set_state("light-1", on=True)
    emulator.add_fault(**fault)

    await advance(hass, freezer, 30)
    assert emulator.stats.count(*GET_STATE) == 2
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == translation_key
    assert coordinator.failures == 1
    assert not available(hass, *entities)
    assert_no_traceback(caplog)

    emulator.clear_faults()
    await advance(hass, freezer, 37)
    assert coordinator.failures == 0
    assert available(hass, *entities)
    assert state_of(hass, LIGHT) == STATE_ON


@pytest.mark.usefixtures("restrict_platforms")
async def test_revoked_key_starts_reauth_and_stops_polling(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A 401 while running starts a reauth flow; no more polls are sent."""
    await setup_entry(hass, mock_config_entry)
    entities = hearth_entity_ids(hass)
    emulator.revoke_key(API_KEY)

    await advance(hass, freezer, 30)
    assert emulator.stats.by_status[401] == 1
    flows = hass.config_entries.flow.async_progress()
    assert len(flows) == 1
    assert flows[0]["handler"] == DOMAIN
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id
    assert not available(hass, *entities)

    await advance(hass, freezer, 600)
    assert emulator.stats.count(*GET_STATE) == 2
    assert mock_config_entry.state is ConfigEntryState.LOADED


# Devices


@pytest.mark.usefixtures("restrict_platforms")
async def test_devices_come_and_go_without_a_reload(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """New devices get entities on the next poll; gone ones leave the registry."""
    coordinator = await setup_entry(hass, mock_config_entry)
    hub = emulator.hub_id
    assert len(hearth_entity_ids(hass)) == 16
    devices = dr.async_entries_for_config_entry(
        device_registry, mock_config_entry.entry_id
    )
    assert len(devices) == 1 + 11

    emulator.add_device({"id": "switch-9", "kind": "switch", "name": "Attic Fan"})
    await advance(hass, freezer, 30)
    assert mock_config_entry.runtime_data is coordinator
    assert state_of(hass, "switch.attic_fan") == STATE_OFF
    assert find_device(device_registry, {(DOMAIN, f"{hub}_switch-9")})
    assert len(hearth_entity_ids(hass)) == 17

    emulator.remove_device("switch-1")
    await advance(hass, freezer, 30)
    assert find_device(device_registry, {(DOMAIN, f"{hub}_switch-1")}) is None
    assert entity_registry.async_get(SWITCH) is None
    assert hass.states.get(SWITCH) is None
    assert len(hearth_entity_ids(hass)) == 16

    # A device that comes back is added again.
    emulator.add_device({"id": "switch-1", "kind": "switch", "name": "Porch Switch"})
    await advance(hass, freezer, 30)
    assert state_of(hass, SWITCH) == STATE_OFF
    assert mock_config_entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("restrict_platforms")
async def test_offline_device_is_unavailable_alone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An offline device's entities are unavailable; the others are not."""
    await setup_entry(hass, mock_config_entry)
    climate = [
        entity for entity in hearth_entity_ids(hass) if "living_room_climate" in entity
    ]
    others = [entity for entity in hearth_entity_ids(hass) if entity not in climate]
    assert len(climate) == 3

    emulator.set_online("sensor-1", False)
    await advance(hass, freezer, 30)
    assert all(state_of(hass, entity) == STATE_UNAVAILABLE for entity in climate)
    assert available(hass, *others)

    emulator.set_online("sensor-1", True)
    await advance(hass, freezer, 30)
    assert available(hass, *climate)
    assert state_of(hass, SENSOR) == "21.4"


# Commands


@pytest.mark.parametrize(
    ("status", "translation_key", "placeholders", "users_input"),
    [
        (400, "command_rejected", {"error": "Injected fault"}, True),
        (404, "command_rejected", {"error": "Injected fault"}, False),
        (409, "command_rejected", {"error": "Injected fault"}, True),
        (502, "server_error", {"error": "Injected fault"}, False),
    ],
)
@pytest.mark.usefixtures("restrict_platforms")
async def test_command_errors_are_translated(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    status: int,
    translation_key: str,
    placeholders: dict[str, str],
    users_input: bool,
) -> None:
    """A refused command raises a translated error; the state stays as it was.

    A request the hub refuses for what it asked (400, 409) is the caller's to
    fix: ServiceValidationError. A device that is gone (404) or a failing hub
    is not: HomeAssistantError.
    """
    coordinator = await setup_entry(hass, mock_config_entry)
    emulator.add_fault("server_error", status=status, path="/api/v1/devices")

    err = await turn_on_porch_switch(hass)
    assert isinstance(err, ServiceValidationError) is users_input
    assert err.translation_key == translation_key
    assert err.translation_placeholders == placeholders
    assert emulator.stats.count(*PATCH_DEVICE) == 1
    assert state_of(hass, SWITCH) == STATE_OFF
    assert coordinator.failures == 0
    assert hass.config_entries.flow.async_progress() == []


@pytest.mark.usefixtures("restrict_platforms")
async def test_command_with_an_unusable_answer(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """The hub switched, but its answer cannot be read: say so, change nothing."""
    await setup_entry(hass, mock_config_entry)
    emulator.add_fault("malformed_json", path="/api/v1/devices")

    err = await turn_on_porch_switch(hass)
    assert err.translation_key == "invalid_response"
    assert err.translation_placeholders == {
        "error": "Unexpected answer: JSONDecodeError"
    }
    assert state_of(hass, SWITCH) == STATE_OFF


@pytest.mark.usefixtures("restrict_platforms")
async def test_command_with_a_revoked_key_starts_reauth(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """A 401 on a command asks for a new key at once."""
    await setup_entry(hass, mock_config_entry)
    emulator.revoke_key(API_KEY)

    err = await turn_on_porch_switch(hass)
    assert err.translation_key == "invalid_auth"
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.usefixtures("restrict_platforms")
async def test_command_rate_limited_by_the_hub_holds_the_polls(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A 429 on a command blocks every request until its Retry-After."""
    coordinator = await setup_entry(hass, mock_config_entry)
    start = dt_util.utcnow().timestamp()
    emulator.set_rate_limit(1)
    await advance(hass, freezer, 10)

    err = await turn_on_porch_switch(hass)
    assert err.translation_key == "rate_limited"
    assert err.translation_placeholders == {"retry_after": "50"}
    assert coordinator.governor.blocked_until == start + 60
    assert emulator.stats.rate_limited == 1

    # Neither the scheduled poll (at 30 s) nor another command goes out.
    await advance(hass, freezer, 49)
    err = await turn_on_porch_switch(hass)
    assert err.translation_placeholders == {"retry_after": "1"}
    assert emulator.stats.total == 2
    assert available(hass, SWITCH)

    await advance(hass, freezer, 2)
    assert emulator.stats.count(*GET_STATE) == 2
    assert emulator.stats.rate_limited == 1


@pytest.mark.usefixtures("restrict_platforms")
async def test_command_answer_waits_while_the_poll_fails(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A command answered while polls fail shows once a poll works again.

    Home Assistant sends no command to an unavailable entity, so this is the
    race of a command sent just before a poll failed.
    """
    coordinator = await setup_entry(hass, mock_config_entry)
    coordinator.backoff.random = FixedJitter()  # type: ignore[assignment]
    emulator.add_fault("server_error", path="/api/v1/state")
    await advance(hass, freezer, 30)
    assert state_of(hass, SWITCH) == STATE_UNAVAILABLE
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    await coordinator.commands.async_send(
        emulator.hub_id, "switch-1", DeviceCommand(on=True)
    )
    await hass.async_block_till_done()
    assert emulator.stats.count(*PATCH_DEVICE) == 1
    assert coordinator.data.devices[emulator.hub_id, "switch-1"].state.on is True
    assert events == []

    emulator.clear_faults()
    await advance(hass, freezer, 37)
    assert state_of(hass, SWITCH) == STATE_ON
    assert emulator.stats.count(*PATCH_DEVICE) == 1


# Identity of the hub


async def test_another_hub_at_the_address_is_refused(
    hass: HomeAssistant, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The entry of another hub does not take over the hub at its address."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Kitchen hub",
        unique_id="hearth-0ther0",
        data=hub_entry_data(emulator),
    )
    assert not await add_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert f"Another hub ({emulator.hub_id}) now answers" in caplog.text
    assert hearth_entity_ids(hass) == []
    assert find_device(dr.async_get(hass), {(DOMAIN, emulator.hub_id)}) is None
    assert_no_traceback(caplog)


async def test_hub_updated_to_an_unsupported_api_stops_the_entry(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A hub that now speaks API 2 is refused with a translated reason."""
    coordinator = await setup_entry(hass, mock_config_entry)
    emulator.update_hub(api_version="2.0")

    await advance(hass, freezer, 30)
    assert coordinator.last_exception is not None
    assert getattr(coordinator.last_exception, "translation_key", None) == (
        "unsupported_version"
    )
    assert not available(hass, *hearth_entity_ids(hass))
    assert "speaks API version 2.0" in caplog.text
    assert_no_traceback(caplog)


async def test_unsupported_api_at_setup_is_a_setup_error(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """At setup the entry fails for good rather than retrying."""
    emulator.update_hub(api_version="2.0")
    assert not await add_entry(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR


@pytest.mark.usefixtures("restrict_platforms")
async def test_command_to_an_offline_device_shows_it_offline_at_once(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """The hub's 409 device_offline makes the entity unavailable without a poll."""
    await setup_entry(hass, mock_config_entry)
    polls = emulator.stats.count(*GET_STATE)
    emulator.set_online("switch-1", False)

    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            SWITCH_DOMAIN,
            SERVICE_TURN_ON,
            {ATTR_ENTITY_ID: SWITCH},
            blocking=True,
        )
    assert info.value.translation_key == "device_offline"
    assert state_of(hass, SWITCH) == STATE_UNAVAILABLE
    assert emulator.stats.count(*GET_STATE) == polls
