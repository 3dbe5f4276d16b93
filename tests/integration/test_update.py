"""The update platform: each hub's firmware, read, followed and installed.

The emulator installs in steps of 50 ms and restarts for 200 ms, so a whole
install runs in about a second of real time; the stream then reopens with
its backoff. Waits are on states and stream opens, never on sleeps.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from typing import Any

from homeassistant.components.update import UpdateEntityFeature
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.hearth.const import DOMAIN
from custom_components.hearth.coordinator import HearthCoordinator
from emulator import Emulator
from tests.harness.emulators import API_KEY, READ_ONLY_KEY
from tests.integration.helpers import (
    GET_STATE,
    account_entry,
    find_device,
    hub_entry,
    hub_entry_data,
    setup_entry,
    state_of,
)
from tests.integration.streaming import (
    SWITCH,
    Watch,
    next_state,
    ours,
    warnings_and_errors,
)

FIRMWARE = "update.hearth_hub_firmware"
GET_FIRMWARE = ("GET", "/api/v1/firmware")
QUICK = {"step_seconds": 0.05, "restart_seconds": 0.2}


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the update platform, and switches to watch during a restart."""
    return [Platform.SWITCH, Platform.UPDATE]


@pytest.fixture
def event_stream() -> bool:
    """Open the event stream: installs report their progress on it."""
    return True


@pytest.fixture(autouse=True)
def quick_installs(emulator: Emulator) -> None:
    """Install in a second rather than in ten."""
    emulator.update_firmware(QUICK)


async def install(hass: HomeAssistant, entity_id: str = FIRMWARE) -> None:
    """Install the latest firmware through the update.install action."""
    await hass.services.async_call(
        "update", "install", {"entity_id": entity_id}, blocking=True
    )


def states_of(events: list[Any], entity_id: str) -> list[State]:
    """Return the states written for ``entity_id`` among captured state changes."""
    return [
        event.data["new_state"]
        for event in events
        if event.data["entity_id"] == entity_id and event.data["new_state"]
    ]


@pytest.mark.parametrize("platforms", [[Platform.UPDATE]])
@pytest.mark.usefixtures("coordinator")
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The hub's firmware is one update entity on the hub's device.

    Its picture is Home Assistant's brand icon, whose address differs
    between releases, so it is left out.
    """
    shared = snapshot.exclude

    def _exclude(*, prop: Any, path: Any) -> bool:
        return prop == "entity_picture" or bool(
            shared is not None and shared(prop=prop, path=path)
        )

    await snapshot_platform(
        hass,
        entity_registry,
        snapshot.with_defaults(exclude=_exclude),
        mock_config_entry.entry_id,
    )


@pytest.mark.usefixtures("coordinator")
async def test_versions_and_release_notes(
    hass: HomeAssistant,
    emulator: Emulator,
    hass_ws_client: Any,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The installed and latest versions, the release's page and notes show."""
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes["installed_version"] == "1.4.2"
    assert state.attributes["latest_version"] == "1.5.0"
    assert state.attributes["release_url"] == emulator.home.firmware.release_url
    assert state.attributes["in_progress"] is False
    entry = entity_registry.async_get(FIRMWARE)
    assert entry is not None
    hub = find_device(device_registry, {(DOMAIN, emulator.hub_id)})
    assert hub is not None
    assert entry.device_id == hub.id

    client = await hass_ws_client(hass)
    await client.send_json(
        {"id": 1, "type": "update/release_notes", "entity_id": FIRMWARE}
    )
    answer = await client.receive_json()
    assert answer["success"], answer
    assert answer["result"] == emulator.home.firmware.release_notes
    assert "1.5.0" in answer["result"]


async def test_diagnostics_show_the_firmware(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    emulator: Emulator,
    hass_client: Any,
) -> None:
    """The entry's diagnostics carry each hub's firmware document."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, coordinator.config_entry
    )
    firmware = diagnostics["firmware"]
    assert firmware["may_install"] is True
    assert firmware["installing"] == []
    assert firmware["hubs"][emulator.hub_id]["latest"] == "1.5.0"
    assert firmware["hubs"][emulator.hub_id]["installed"] == "1.4.2"


@pytest.mark.usefixtures("coordinator")
async def test_a_new_release_shows_without_a_request(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The hub announces a newer release on the stream: no request needed."""
    emulator.reset_stats()
    newer = await next_state(
        hass, FIRMWARE, lambda s: s.attributes["latest_version"] == "1.6.0"
    )
    emulator.update_firmware({"latest": "1.6.0", "release_url": None})
    state = await newer()
    assert state.attributes["release_url"] is None
    assert emulator.stats.total == 0


async def test_install_runs_to_the_new_version_quietly(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    emulator: Emulator,
    watch: Watch,
    device_registry: dr.DeviceRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Progress shows, the hub restarts, and the action ends on the new version.

    The planned restart writes no warning or error, polls nothing while the
    hub is down, and no entity goes unavailable.
    """
    caplog.set_level(logging.DEBUG)
    written = async_capture_events(hass, EVENT_STATE_CHANGED)
    await install(hass)

    progress = states_of(written, FIRMWARE)
    assert progress[0].attributes["in_progress"] is True
    percentages = [s.attributes["update_percentage"] for s in progress]
    assert {0, 20, 40, 60, 80, 100} <= set(percentages)
    assert percentages == sorted(p for p in percentages if p is not None) + [
        p for p in percentages if p is None
    ]
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert state.state == STATE_OFF
    assert state.attributes["installed_version"] == "1.5.0"
    assert state.attributes["in_progress"] is False
    assert emulator.home.hub.firmware == "1.5.0"
    hub = find_device(device_registry, {(DOMAIN, emulator.hub_id)})
    assert hub is not None
    assert hub.sw_version == "1.5.0"
    # The hub went down and came back: the stream reopened once.
    await watch.wait("opened", 2)
    assert watch.counts["opened"] == 2
    assert STATE_UNAVAILABLE not in {s.state for s in states_of(written, SWITCH)}
    assert STATE_UNAVAILABLE not in {s.state for s in progress}
    assert warnings_and_errors(caplog) == []


async def test_install_started_elsewhere_is_followed(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    emulator: Emulator,
    watch: Watch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An install from the Hearth app shows its progress and ends as quietly."""
    done = await next_state(
        hass, FIRMWARE, lambda s: s.attributes["installed_version"] == "1.5.0"
    )
    running = await next_state(hass, FIRMWARE, lambda s: s.attributes["in_progress"])
    emulator.install_firmware()
    await running()
    await done()
    await watch.wait("opened", 2)
    assert state_of(hass, FIRMWARE) == STATE_OFF
    assert state_of(hass, SWITCH) != STATE_UNAVAILABLE
    assert warnings_and_errors(caplog) == []


@pytest.mark.parametrize(
    ("code", "translation_key"),
    [
        ("download_failed", "firmware_download_failed"),
        ("verification_failed", "firmware_verification_failed"),
        ("install_failed", "firmware_install_failed"),
        ("disk_full", "firmware_failed"),
    ],
)
async def test_failed_install_says_why_and_keeps_the_version(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    emulator: Emulator,
    code: str,
    translation_key: str,
) -> None:
    """The hub reports the install failed: a translated error, and its own version."""
    emulator.add_fault("firmware_failure", code=code, count=1)
    with pytest.raises(HomeAssistantError) as failed:
        await install(hass)
    assert failed.value.translation_domain == DOMAIN
    assert failed.value.translation_key == translation_key
    assert failed.value.translation_placeholders is not None
    assert failed.value.translation_placeholders["version"] == "1.5.0"
    assert failed.value.translation_placeholders["installed"] == "1.4.2"
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes["installed_version"] == "1.4.2"
    assert state.attributes["in_progress"] is False
    assert state.attributes["update_percentage"] is None
    # And it can be tried again.
    await install(hass)
    assert state_of(hass, FIRMWARE) == STATE_OFF


@pytest.mark.parametrize(
    ("latest", "translation_key"),
    [("1.4.2", "firmware_up_to_date"), ("1.6.0", "firmware_version_unavailable")],
)
@pytest.mark.usefixtures("coordinator")
async def test_refused_install_says_why(
    hass: HomeAssistant, emulator: Emulator, latest: str, translation_key: str
) -> None:
    """The hub's release moved on unannounced: it refuses the version shown, and why."""
    emulator.home.firmware.latest = latest  # no firmware event
    with pytest.raises(HomeAssistantError) as refused:
        await install(hass)
    assert refused.value.translation_key == translation_key
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert state.attributes["in_progress"] is False
    assert emulator.home.hub.firmware == "1.4.2"


async def test_hub_that_never_comes_back_is_unavailable(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Past the time a restart may take, the install failed and the hub is gone."""
    monkeypatch.setattr(
        "custom_components.hearth.installs.FIRMWARE_RESTART_TIMEOUT",
        timedelta(seconds=2),
    )
    emulator.add_fault("restart_hang", count=1)
    gone = await next_state(hass, SWITCH, lambda s: s.state == STATE_UNAVAILABLE)
    with pytest.raises(HomeAssistantError) as overdue:
        await install(hass)
    assert overdue.value.translation_key == "firmware_restart_timeout"
    await gone()
    assert state_of(hass, FIRMWARE) == STATE_UNAVAILABLE
    # Now the hub is really gone, and the log says so, once.
    assert len(ours(caplog, logging.ERROR, logging.CRITICAL)) == 1
    assert emulator.restarting

    back = await next_state(hass, FIRMWARE, lambda s: s.state == STATE_OFF)
    emulator.clear_faults()
    await coordinator.async_request_refresh()
    await back()
    assert state_of(hass, SWITCH) != STATE_UNAVAILABLE


async def test_a_stream_drop_during_the_install_is_not_the_restart(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    emulator: Emulator,
    watch: Watch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The stream drops while the hub still installs: the install goes on."""
    emulator.update_firmware({"step_seconds": 0.3})
    installing = hass.async_create_task(install(hass))
    running = await next_state(
        hass, FIRMWARE, lambda s: s.attributes["update_percentage"] == 20
    )
    await running()
    emulator._hub_server.streams.force_close()
    await watch.wait("opened", 2)
    assert coordinator.firmware.installing(emulator.hub_id)
    assert coordinator.firmware.restart_planned
    await installing
    assert state_of(hass, FIRMWARE) == STATE_OFF
    assert emulator.home.hub.firmware == "1.5.0"
    assert warnings_and_errors(caplog) == []


async def test_unloading_ends_the_wait_for_an_install(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An entry unloaded during an install stops waiting for the hub."""
    emulator.update_firmware({"step_seconds": 30})
    waiting = await next_state(hass, FIRMWARE, lambda s: s.attributes["in_progress"])
    installing = hass.async_create_task(
        coordinator.firmware.async_install(emulator.hub_id, "1.5.0")
    )
    await waiting()
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    with pytest.raises(asyncio.CancelledError):
        await installing
    assert not coordinator.firmware.restart_planned


@pytest.mark.usefixtures("coordinator")
async def test_revoked_key_at_install_asks_to_authenticate(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """A key the hub no longer accepts: the install says so, and reauth starts."""
    emulator.add_fault("revoke_key", key=API_KEY)
    with pytest.raises(HomeAssistantError) as refused:
        await install(hass)
    assert refused.value.translation_key == "invalid_auth"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert emulator.home.hub.firmware == "1.4.2"


async def test_a_failed_read_is_retried_later(
    hass: HomeAssistant,
    emulator: Emulator,
    watch: Watch,
    restrict_platforms: None,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A hub that fails its firmware read has no entity until a read succeeds."""
    emulator.add_fault("server_error", path="/api/v1/firmware", count=1)
    coordinator = await setup_entry(hass, mock_config_entry)
    await watch.wait("opened", 1)
    assert hass.states.get(FIRMWARE) is None
    await coordinator.firmware.async_read()
    await hass.async_block_till_done()
    assert state_of(hass, FIRMWARE) == STATE_ON
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


@pytest.mark.parametrize("event_stream", [False])
async def test_install_while_the_stream_is_down_ends_by_polls(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    emulator: Emulator,
    restrict_platforms: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without the stream, polls that cannot reach the restarting hub hold quietly."""
    coordinator = await setup_entry(hass, mock_config_entry)
    installing = hass.async_create_task(
        coordinator.firmware.async_install(emulator.hub_id, "1.5.0")
    )
    polls_held = 0
    for _ in range(200):
        await coordinator.async_refresh()
        assert coordinator.last_update_success
        polls_held += emulator.restarting
        if installing.done():
            break
        await asyncio.sleep(0.02)  # the emulator's own steps take real time
    await installing
    assert polls_held
    assert coordinator.data.hubs[emulator.hub_id].firmware == "1.5.0"
    assert state_of(hass, SWITCH) != STATE_UNAVAILABLE
    assert warnings_and_errors(caplog) == []
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_read_only_key_shows_versions_and_stops_offering_install(
    hass: HomeAssistant,
    emulator: Emulator,
    watch: Watch,
    restrict_platforms: None,
) -> None:
    """Nothing tells a read-only key in advance; after the hub refuses, no install."""
    entry = hub_entry(emulator)
    await setup_entry(hass, entry, data=hub_entry_data(emulator, READ_ONLY_KEY))
    await watch.wait("opened", 1)
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert state.attributes["installed_version"] == "1.4.2"
    assert state.attributes["latest_version"] == "1.5.0"
    with pytest.raises(HomeAssistantError) as refused:
        await install(hass)
    assert refused.value.translation_key == "read_only"
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert not state.attributes["supported_features"] & UpdateEntityFeature.INSTALL
    assert state.attributes["latest_version"] == "1.5.0"
    assert emulator.home.hub.firmware == "1.4.2"
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "api_version", "version": "1.2"},
        {"kind": "server_error", "status": 404, "path": "/api/v1/firmware"},
    ],
    ids=["api-1.2", "404"],
)
async def test_hub_without_firmware_has_no_update_entity(
    hass: HomeAssistant,
    emulator: Emulator,
    watch: Watch,
    restrict_platforms: None,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
) -> None:
    """A hub before API 1.3 is not even asked; one answering 404 is asked once."""
    emulator.add_fault(**fault)
    entry = hub_entry(emulator)
    await setup_entry(hass, entry)
    await watch.wait("opened", 1)
    assert hass.states.get(FIRMWARE) is None
    assert state_of(hass, SWITCH) == STATE_OFF
    asked = 0 if fault["kind"] == "api_version" else 1
    assert emulator.stats.count(*GET_FIRMWARE) == asked
    # A resync does not ask a hub that said it has no firmware again.
    emulator._hub_server.streams.force_close()
    await watch.wait("opened", 2)
    assert emulator.stats.count(*GET_FIRMWARE) == asked
    assert emulator.stats.count(*GET_STATE) == 3
    assert warnings_and_errors(caplog) == []
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("credentials", "restrict_platforms")
async def test_cloud_hub_firmware_installs_through_the_cloud(
    hass: HomeAssistant,
    emulator: Emulator,
    watch: Watch,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A cloud hub's firmware is read and installed through the cloud's API."""
    entry = account_entry(emulator)
    await setup_entry(hass, entry)
    await watch.wait("opened", 1)
    (hub_id,) = set(emulator.account.hubs) - {emulator.hub_id}
    entity_id = entity_registry.async_get_entity_id(
        "update", DOMAIN, f"{hub_id}_firmware"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes["supported_features"] & UpdateEntityFeature.INSTALL
    await install(hass, entity_id)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_OFF
    assert emulator.account.hubs[hub_id].home.hub.firmware == "1.5.0"
    assert emulator.stats.count("POST", "/v1/hubs/{hub_id}/firmware/install") == 1
    assert warnings_and_errors(caplog) == []
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("credentials", "restrict_platforms")
async def test_a_hub_that_leaves_the_account_takes_its_firmware(
    hass: HomeAssistant,
    emulator: Emulator,
    watch: Watch,
    entity_registry: er.EntityRegistry,
) -> None:
    """A cloud hub taken off the account loses its update entity at the next poll."""
    entry = account_entry(emulator)
    coordinator = await setup_entry(hass, entry)
    await watch.wait("opened", 1)
    (hub_id,) = set(emulator.account.hubs) - {emulator.hub_id}
    unique_id = f"{hub_id}_firmware"
    assert entity_registry.async_get_entity_id("update", DOMAIN, unique_id)
    emulator.remove_cloud_hub(hub_id)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hub_id not in coordinator.firmware.firmware
    assert entity_registry.async_get_entity_id("update", DOMAIN, unique_id) is None
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("credentials", "restrict_platforms")
async def test_cloud_token_without_write_scope_offers_no_install(
    hass: HomeAssistant, emulator: Emulator, watch: Watch
) -> None:
    """A token granted only devices:read says so in advance: no install offered."""
    entry = account_entry(emulator)
    token = emulator.issue_token(scope="devices:read")
    token["expires_at"] = entry.data["token"]["expires_at"]
    await setup_entry(hass, entry, data={**entry.data, "token": token})
    await watch.wait("opened", 1)
    states = hass.states.async_all("update")
    assert len(states) == 2
    for state in states:
        assert not state.attributes["supported_features"] & UpdateEntityFeature.INSTALL
        assert state.attributes["latest_version"] == "1.5.0"
    assert await hass.config_entries.async_unload(entry.entry_id)
