"""Hearth Cloud entries: hubs of an account, tokens, rate limits, local precedence.

Every test talks HTTP to the emulator's cloud; its clock is Home Assistant's,
so ``freezer`` moves token expiry and rate windows on both sides.
"""

from __future__ import annotations

from datetime import timedelta
import json
import logging
import math
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.hearth.api import DEFAULT_CLOUD_URL
from custom_components.hearth.cloud import CloudSource, cloud_base_url
from custom_components.hearth.const import CLOUD_URL_ENV, DOMAIN
from custom_components.hearth.coordinator import HearthCoordinator
from emulator import Emulator
from tests.integration.helpers import (
    GET_HUB_STATE,
    GET_HUBS,
    PATCH_CLOUD_DEVICE,
    POST_TOKEN,
    account_entry,
    add_entry,
    advance,
    state_of,
)

from .helpers import device_entry_ids, find_device

pytestmark = pytest.mark.usefixtures("credentials")

#: Seconds that take the entry past its next poll (the scan interval is 30 s).
POLL = 31


@pytest.fixture
def cloud_entry(emulator: Emulator) -> MockConfigEntry:
    """Return the cloud entry of the emulator's account."""
    return account_entry(emulator)


@pytest.fixture
async def init_cloud(
    hass: HomeAssistant, cloud_entry: MockConfigEntry, restrict_platforms: None
) -> MockConfigEntry:
    """Set up the cloud entry."""
    await add_entry(hass, cloud_entry)
    assert cloud_entry.state is ConfigEntryState.LOADED
    return cloud_entry


def coordinator_of(entry: MockConfigEntry) -> HearthCoordinator:
    """Return the coordinator of a loaded entry."""
    coordinator: HearthCoordinator = entry.runtime_data
    return coordinator


def source_of(entry: MockConfigEntry) -> CloudSource:
    """Return the cloud source of a loaded cloud entry."""
    source = coordinator_of(entry).source
    assert isinstance(source, CloudSource)
    return source


def hub_ids(entry: MockConfigEntry) -> set[str]:
    """Return the hubs the entry currently serves."""
    return set(coordinator_of(entry).data.hubs)


def pages(emulator: Emulator) -> int:
    """Return how many pages ``GET /v1/hubs`` takes for the account."""
    return math.ceil(len(emulator.account.hubs) / emulator.account.page_size)


def cloud_hub_id(emulator: Emulator) -> str:
    """Return the id of the account's hub that is not the local one."""
    (hub_id,) = set(emulator.account.hubs) - {emulator.hub_id}
    return hub_id


def first_entity(entity_registry: er.EntityRegistry, hub_id: str, domain: str) -> str:
    """Return the id of an entity of a device behind ``hub_id``."""
    return sorted(
        entry.entity_id
        for entry in entity_registry.entities.values()
        if entry.platform == DOMAIN
        and entry.domain == domain
        and entry.unique_id.startswith(f"{hub_id}_")
    )[0]


async def test_every_hub_of_the_account(
    hass: HomeAssistant,
    emulator: Emulator,
    init_cloud: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Each hub becomes a device, with its devices behind it."""
    assert hub_ids(init_cloud) == set(emulator.account.hubs)
    assert emulator.stats.count(*GET_HUBS) == pages(emulator)
    assert emulator.stats.count(*GET_HUB_STATE) == 2
    assert source_of(init_cloud).poll_cost() == pages(emulator) + 2

    devices = dr.async_entries_for_config_entry(device_registry, init_cloud.entry_id)
    names = {device.id: device.name for device in devices}
    layout = sorted(
        (
            {
                "name": device.name,
                "identifiers": sorted(device.identifiers),
                "model": device.model,
                "sw_version": device.sw_version,
                "via_device": names.get(device.via_device_id or ""),
                "configuration_url": device.configuration_url,
            }
            for device in devices
        ),
        key=lambda device: str(device["identifiers"]),
    )
    assert layout == snapshot
    hubs = [device for device in devices if device.via_device_id is None]
    assert {next(iter(hub.identifiers))[1] for hub in hubs} == set(
        emulator.account.hubs
    )


async def test_pagination(
    hass: HomeAssistant,
    emulator: Emulator,
    cloud_entry: MockConfigEntry,
    restrict_platforms: None,
) -> None:
    """Every page of hubs is read; the poll cost counts pages and hubs."""
    for _ in range(2):
        emulator.add_cloud_hub()
    assert len(emulator.account.hubs) == 4

    await add_entry(hass, cloud_entry)

    assert pages(emulator) > 1
    assert hub_ids(cloud_entry) == set(emulator.account.hubs)
    assert emulator.stats.count(*GET_HUBS) == pages(emulator)
    assert emulator.stats.count(*GET_HUB_STATE) == 4
    assert source_of(cloud_entry).poll_cost() == pages(emulator) + 4


async def test_hub_added_and_removed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_cloud: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A new hub shows up at the next poll; a removed one leaves the registries."""
    new_hub = emulator.add_cloud_hub(name="Garage")

    await advance(hass, freezer, POLL)

    assert new_hub.id in hub_ids(init_cloud)
    hub_device = find_device(device_registry, {(DOMAIN, new_hub.id)})
    assert hub_device is not None
    assert hub_device.name == "Garage"
    entity_id = first_entity(entity_registry, new_hub.id, "sensor")
    assert hass.states.get(entity_id) is not None

    emulator.remove_cloud_hub(new_hub.id)
    await advance(hass, freezer, POLL)

    assert new_hub.id not in hub_ids(init_cloud)
    assert find_device(device_registry, {(DOMAIN, new_hub.id)}) is None
    assert entity_registry.async_get(entity_id) is None
    assert hass.states.get(entity_id) is None
    assert init_cloud.state is ConfigEntryState.LOADED


async def test_hub_offline_keeps_its_devices(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_cloud: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A hub the cloud lists as offline keeps its devices, shown unavailable."""
    hub_id = cloud_hub_id(emulator)
    entity_id = first_entity(entity_registry, hub_id, "sensor")
    reads = emulator.stats.count(*GET_HUB_STATE)

    emulator.set_cloud_hub_online(hub_id, False)
    await advance(hass, freezer, POLL)

    assert state_of(hass, entity_id) == STATE_UNAVAILABLE
    assert find_device(device_registry, {(DOMAIN, hub_id)}) is not None
    # Only the online hub is read.
    assert emulator.stats.count(*GET_HUB_STATE) == reads + 1

    await advance(hass, freezer, POLL)
    assert state_of(hass, entity_id) == STATE_UNAVAILABLE

    emulator.set_cloud_hub_online(hub_id, True)
    await advance(hass, freezer, POLL)

    assert state_of(hass, entity_id) != STATE_UNAVAILABLE


async def test_hub_offline_when_read(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_cloud: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A hub that answers 409 (went offline after the list) is shown unavailable."""
    hub_id = cloud_hub_id(emulator)
    entity_id = first_entity(entity_registry, hub_id, "sensor")
    emulator.add_fault(
        "server_error", target="cloud", path=f"/v1/hubs/{hub_id}/", status=409
    )

    await advance(hass, freezer, POLL)

    assert coordinator_of(init_cloud).last_update_success
    assert state_of(hass, entity_id) == STATE_UNAVAILABLE
    local_entity = first_entity(entity_registry, emulator.hub_id, "sensor")
    assert state_of(hass, local_entity) != STATE_UNAVAILABLE


async def test_hub_never_seen_online(
    hass: HomeAssistant,
    emulator: Emulator,
    cloud_entry: MockConfigEntry,
    restrict_platforms: None,
) -> None:
    """A hub offline since setup is left out until it comes online."""
    hub_id = cloud_hub_id(emulator)
    emulator.set_cloud_hub_online(hub_id, False)

    await add_entry(hass, cloud_entry)

    assert hub_ids(cloud_entry) == {emulator.hub_id}


async def test_hub_gone_when_read(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_cloud: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A hub listed but then not found (removed meanwhile) is dropped."""
    hub_id = cloud_hub_id(emulator)
    emulator.add_fault(
        "server_error", target="cloud", path=f"/v1/hubs/{hub_id}/", status=404
    )

    await advance(hass, freezer, POLL)

    assert hub_ids(init_cloud) == {emulator.hub_id}
    assert find_device(device_registry, {(DOMAIN, hub_id)}) is None


async def test_hub_read_fails(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_cloud: MockConfigEntry,
) -> None:
    """Any other refusal of a hub's state fails the poll; nothing is pruned."""
    hub_id = cloud_hub_id(emulator)
    emulator.add_fault(
        "server_error", target="cloud", path=f"/v1/hubs/{hub_id}/", status=400
    )

    await advance(hass, freezer, POLL)

    assert not coordinator_of(init_cloud).last_update_success
    assert hub_ids(init_cloud) == set(emulator.account.hubs)


async def test_command_through_the_cloud(
    hass: HomeAssistant,
    emulator: Emulator,
    init_cloud: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A command goes to the device through the cloud API."""
    entity_id = first_entity(entity_registry, emulator.hub_id, "light")
    service = "turn_off" if state_of(hass, entity_id) == STATE_ON else "turn_on"

    await hass.services.async_call(
        "light", service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )

    assert emulator.stats.count(*PATCH_CLOUD_DEVICE) == 1
    expected = STATE_ON if service == "turn_on" else STATE_OFF
    assert state_of(hass, entity_id) == expected


async def test_token_refreshed_when_expired(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_cloud: MockConfigEntry,
) -> None:
    """An expired token is refreshed before the poll, without a reload."""
    coordinator = coordinator_of(init_cloud)
    old_token = dict(init_cloud.data["token"])

    await advance(hass, freezer, 3600)

    assert emulator.stats.count(*POST_TOKEN) == 1
    token = init_cloud.data["token"]
    assert token["access_token"] != old_token["access_token"]
    assert token["refresh_token"] != old_token["refresh_token"]
    assert token["expires_at"] > dt_util.utcnow().timestamp()
    assert coordinator.last_update_success
    assert init_cloud.runtime_data is coordinator
    assert init_cloud.state is ConfigEntryState.LOADED


async def test_token_refused_before_expiry(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_cloud: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """When the cloud ends a token early, it is refreshed and the request retried."""
    old_token = init_cloud.data["token"]["access_token"]
    emulator.expire_tokens()

    await advance(hass, freezer, POLL)

    assert emulator.stats.count(*POST_TOKEN) == 1
    assert init_cloud.data["token"]["access_token"] != old_token
    assert coordinator_of(init_cloud).last_update_success
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    emulator.expire_tokens()
    entity_id = first_entity(entity_registry, emulator.hub_id, "light")
    await hass.services.async_call(
        "light", "toggle", {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    assert emulator.stats.count(*POST_TOKEN) == 2


async def test_refused_token_already_replaced(
    hass: HomeAssistant, emulator: Emulator, init_cloud: MockConfigEntry
) -> None:
    """A refused token that a concurrent refresh already replaced is kept."""
    data = dict(init_cloud.data)

    source_of(init_cloud)._tokens.async_expire("an-older-access-token")

    assert dict(init_cloud.data) == data


async def test_token_refused_after_refresh(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_cloud: MockConfigEntry,
) -> None:
    """A token refused even right after a refresh asks for reauthentication."""
    emulator.add_fault("server_error", target="cloud", path="/v1/hubs", status=401)

    await advance(hass, freezer, POLL)

    assert emulator.stats.count(*POST_TOKEN) == 1
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_refresh_refused_starts_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_cloud: MockConfigEntry,
) -> None:
    """A token endpoint that refuses the refresh token (4xx) asks to reauthenticate."""
    emulator.add_fault("server_error", target="cloud", path="/oauth/token", status=400)

    await advance(hass, freezer, 3600)

    assert not coordinator_of(init_cloud).last_update_success
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    assert flows[0]["step_id"] == "reauth_cloud"
    # The refresh is not retried at once.
    assert emulator.stats.count(*POST_TOKEN) == 1


@pytest.mark.parametrize(
    ("fault", "state", "reauth"),
    [
        ({"status": 400}, ConfigEntryState.SETUP_ERROR, True),
        ({"status": 401}, ConfigEntryState.SETUP_ERROR, True),
        ({"status": 500}, ConfigEntryState.SETUP_RETRY, False),
        ({"status": 503}, ConfigEntryState.SETUP_RETRY, False),
        ({"status": 429}, ConfigEntryState.SETUP_RETRY, False),
        ({"kind": "drop"}, ConfigEntryState.SETUP_RETRY, False),
        ({"kind": "hang", "delay": 5}, ConfigEntryState.SETUP_RETRY, False),
    ],
)
async def test_refresh_fails_at_setup(
    hass: HomeAssistant,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    fault: dict[str, Any],
    state: ConfigEntryState,
    reauth: bool,
) -> None:
    """A refused refresh asks for reauthentication; a failing one is retried."""
    monkeypatch.setattr("custom_components.hearth.cloud.TOKEN_REFRESH_TIMEOUT", 0.2)
    entry = account_entry(emulator, expires_in=-10)
    emulator.add_fault(
        **{"kind": "server_error", **fault}, target="cloud", path="/oauth/token"
    )

    await add_entry(hass, entry)

    assert entry.state is state
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert bool(flows) is reauth
    assert emulator.stats.count(*GET_HUBS) == 0


async def test_credentials_missing(hass: HomeAssistant, emulator: Emulator) -> None:
    """An entry whose application credentials are gone is retried later."""
    entry = account_entry(emulator, auth_implementation="removed")

    await add_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_rate_limited(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_cloud: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A 429 from the cloud pauses polling for Retry-After; states stay."""
    entity_id = first_entity(entity_registry, cloud_hub_id(emulator), "sensor")
    state = state_of(hass, entity_id)
    assert state != STATE_UNAVAILABLE
    requests = emulator.stats.total
    # Another client of the account spends its budget just before the poll.
    emulator.set_rate_limit(20)
    emulator.reset_rate_limits()
    freezer.tick(timedelta(seconds=31))
    for _ in range(20):
        emulator.limiter.hit(f"account:{emulator.account.id}")

    await advance(hass, freezer, 0)

    assert emulator.stats.rate_limited == 1
    assert emulator.stats.total == requests + 1
    assert state_of(hass, entity_id) == state
    # Retry-After is 60 s: nothing is sent before it has passed.
    await advance(hass, freezer, 25)
    await advance(hass, freezer, 25)
    assert emulator.stats.total == requests + 1
    assert state_of(hass, entity_id) == state

    await advance(hass, freezer, 15)

    assert emulator.stats.total > requests + 1
    assert emulator.stats.rate_limited == 1
    assert coordinator_of(init_cloud).last_fresh == dt_util.utcnow()


async def test_local_entry_wins(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    cloud_entry: MockConfigEntry,
    restrict_platforms: None,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A hub configured locally is served by its local entry only."""
    await add_entry(hass, mock_config_entry)
    await add_entry(hass, cloud_entry)

    assert hub_ids(cloud_entry) == {cloud_hub_id(emulator)}
    assert source_of(cloud_entry).skipped == {emulator.hub_id}
    assert emulator.stats.count(*GET_HUB_STATE) == 1
    assert_owned_by(
        emulator.hub_id, mock_config_entry, entity_registry, device_registry
    )
    assert_owned_by(
        cloud_hub_id(emulator), cloud_entry, entity_registry, device_registry
    )
    assert "does not generate unique IDs" not in caplog.text


async def test_local_entry_added_later(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    init_cloud: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Adding a local entry takes its hub from the cloud entry at once."""
    assert emulator.hub_id in hub_ids(init_cloud)

    await hass.config_entries.async_add(mock_config_entry)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hub_ids(init_cloud) == {cloud_hub_id(emulator)}
    assert_owned_by(
        emulator.hub_id, mock_config_entry, entity_registry, device_registry
    )
    entity_id = first_entity(entity_registry, emulator.hub_id, "light")
    assert state_of(hass, entity_id) != STATE_UNAVAILABLE
    assert "does not generate unique IDs" not in caplog.text

    await advance(hass, freezer, POLL)

    assert hub_ids(init_cloud) == {cloud_hub_id(emulator)}
    assert_owned_by(
        emulator.hub_id, mock_config_entry, entity_registry, device_registry
    )


async def test_local_entry_removed(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    cloud_entry: MockConfigEntry,
    restrict_platforms: None,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Removing the local entry hands its hub back to the cloud entry."""
    await add_entry(hass, mock_config_entry)
    await add_entry(hass, cloud_entry)
    polls = emulator.stats.count(*GET_HUBS)

    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert emulator.stats.count(*GET_HUBS) == polls + pages(emulator)
    assert hub_ids(cloud_entry) == set(emulator.account.hubs)
    assert_owned_by(emulator.hub_id, cloud_entry, entity_registry, device_registry)


async def test_other_entries_are_ignored(
    hass: HomeAssistant,
    emulator: Emulator,
    init_cloud: MockConfigEntry,
) -> None:
    """Ignored discoveries, other accounts and other domains take no hub."""
    polls = emulator.stats.count(*GET_HUBS)
    for entry in (
        MockConfigEntry(domain=DOMAIN, unique_id=emulator.hub_id, source="ignore"),
        MockConfigEntry(
            domain=DOMAIN,
            unique_id="acct-other",
            data={"auth_implementation": DOMAIN, "token": {}},
        ),
        MockConfigEntry(domain="other", unique_id=emulator.hub_id),
        MockConfigEntry(domain=DOMAIN, unique_id="hub-elsewhere", data={}),
    ):
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(entry, title="changed")
        await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert hub_ids(init_cloud) == set(emulator.account.hubs)
    assert emulator.stats.count(*GET_HUBS) == polls


def assert_owned_by(
    hub_id: str,
    entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Check that a hub, its devices and entities belong to ``entry`` alone."""
    hub = find_device(device_registry, {(DOMAIN, hub_id)})
    assert hub is not None
    assert device_entry_ids(hub) == {entry.entry_id}
    entities = [
        entity
        for entity in entity_registry.entities.values()
        if entity.platform == DOMAIN and entity.unique_id.startswith(f"{hub_id}_")
    ]
    assert entities
    assert {entity.config_entry_id for entity in entities} == {entry.entry_id}
    for entity in entities:
        assert entity.device_id is not None
        device = device_registry.async_get(entity.device_id)
        assert device is not None
        assert device_entry_ids(device) == {entry.entry_id}
        assert device.via_device_id == hub.id


async def test_diagnostics_hide_tokens(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_cloud: MockConfigEntry,
) -> None:
    """Diagnostics of a cloud entry carry no token."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_cloud)

    text = json.dumps(diagnostics)
    token = init_cloud.data["token"]
    assert token["access_token"] not in text
    assert token["refresh_token"] not in text
    assert diagnostics["entry"]["data"]["token"] == "**REDACTED**"


@pytest.mark.parametrize(
    ("value", "expected", "ignored"),
    [
        (None, DEFAULT_CLOUD_URL, False),
        ("", DEFAULT_CLOUD_URL, False),
        ("http://127.0.0.1:8444/", "http://127.0.0.1:8444", False),
        ("http://localhost:8444", "http://localhost:8444", False),
        ("http://[::1]:8444", "http://[::1]:8444", False),
        ("https://cloud.example.com", "https://cloud.example.com", False),
        ("http://192.168.1.20:8444", DEFAULT_CLOUD_URL, True),
        ("ftp://127.0.0.1", DEFAULT_CLOUD_URL, True),
    ],
)
def test_cloud_url_override(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    value: str | None,
    expected: str,
    ignored: bool,
) -> None:
    """HEARTH_CLOUD_URL is used only over HTTPS or plain HTTP to loopback."""
    if value is None:
        monkeypatch.delenv(CLOUD_URL_ENV, raising=False)
    else:
        monkeypatch.setenv(CLOUD_URL_ENV, value)

    with caplog.at_level(logging.WARNING):
        assert cloud_base_url() == expected

    assert ("Ignoring" in caplog.text) is ignored


def test_ignored_cloud_url_is_logged_without_credentials(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused override is named in the log, but not its user and password."""
    monkeypatch.setenv(CLOUD_URL_ENV, "http://admin:s3cret@192.168.1.20:8444")
    with caplog.at_level(logging.WARNING):
        assert cloud_base_url() == DEFAULT_CLOUD_URL
    assert "192.168.1.20:8444" in caplog.text
    assert "s3cret" not in caplog.text
    assert "admin" not in caplog.text


async def test_back_within_a_scan_interval_after_a_cloud_outage(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_cloud: MockConfigEntry,
) -> None:
    """The cloud's health check ends the backoff as soon as the cloud is back."""
    coordinator = coordinator_of(init_cloud)
    emulator.add_fault("server_error", target="cloud")
    for _ in range(200):
        await advance(hass, freezer, 1)
    assert coordinator.failures >= 3
    assert not coordinator.last_update_success
    emulator.clear_faults()
    for _ in range(30):
        await advance(hass, freezer, 1)
        if coordinator.last_update_success:
            break
    assert coordinator.last_update_success
    assert emulator.stats.count("GET", "/v1/health") > 0
