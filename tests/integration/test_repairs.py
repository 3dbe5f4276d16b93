"""The repair issue of a changed hub certificate, fixed through the repairs API."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.hearth.const import CONF_FINGERPRINT, DOMAIN
from custom_components.hearth.issues import certificate_issue_id
from custom_components.hearth.repairs import async_create_fix_flow
from emulator import Emulator
from tests.integration.helpers import GET_STATE, advance, state_of

LIGHT = "light.hallway_light"


async def start_fix_flow(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, issue_id: str
) -> tuple[Any, dict[str, Any]]:
    """Open the issue's fix flow over HTTP, as the frontend does."""
    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == HTTPStatus.OK
    return client, await response.json()


@pytest.mark.usefixtures("restrict_platforms")
async def test_rotated_certificate_is_repaired(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    hass_client: ClientSessionGenerator,
) -> None:
    """A new certificate opens an issue; its fix pins it and reloads the entry."""
    entry = init_integration
    coordinator = entry.runtime_data
    issue_id = certificate_issue_id(entry.entry_id)
    issue_events = async_capture_events(hass, ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED)
    old_fingerprint = emulator.fingerprint
    new_fingerprint = emulator.rotate_certificate()
    assert new_fingerprint != old_fingerprint

    await advance(hass, freezer, 30)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_key == "certificate_changed"
    assert issue.translation_placeholders == {
        "title": "Hearth Hub",
        "fingerprint": new_fingerprint,
    }
    assert issue.data == {"entry_id": entry.entry_id, "fingerprint": new_fingerprint}
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == "certificate_changed"
    assert state_of(hass, LIGHT) == STATE_UNAVAILABLE
    # The handshake fails before any request reaches the hub.
    assert emulator.stats.count(*GET_STATE) == 1

    # Later failed polls leave the issue as it is.
    await advance(hass, freezer, 37)
    await advance(hass, freezer, 73)
    assert coordinator.failures == 3
    assert [event.data["action"] for event in issue_events] == ["create"]

    client, result = await start_fix_flow(hass, hass_client, issue_id)
    assert result["type"] == "form"
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"] == {
        "title": "Hearth Hub",
        "fingerprint": new_fingerprint,
    }
    response = await client.post(f"/api/repairs/issues/fix/{result['flow_id']}")
    assert response.status == HTTPStatus.OK
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done(wait_background_tasks=True)

    assert entry.data[CONF_FINGERPRINT] == new_fingerprint
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not coordinator
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert state_of(hass, LIGHT) == STATE_OFF
    assert emulator.stats.count(*GET_STATE) == 2


@pytest.mark.usefixtures("restrict_platforms")
async def test_certificate_changed_before_setup(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    hass_client: ClientSessionGenerator,
) -> None:
    """A mismatch at setup retries the setup and opens the issue; the fix loads it."""
    new_fingerprint = emulator.rotate_certificate()
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    issue_id = certificate_issue_id(mock_config_entry.entry_id)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.data == {
        "entry_id": mock_config_entry.entry_id,
        "fingerprint": new_fingerprint,
    }

    client, result = await start_fix_flow(hass, hass_client, issue_id)
    response = await client.post(f"/api/repairs/issues/fix/{result['flow_id']}")
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done(wait_background_tasks=True)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert mock_config_entry.data[CONF_FINGERPRINT] == new_fingerprint
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.usefixtures("restrict_platforms")
async def test_issue_cleared_when_a_reload_pinned_the_certificate(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Pinning the certificate elsewhere (reconfigure) also clears the issue."""
    entry = init_integration
    issue_id = certificate_issue_id(entry.entry_id)
    new_fingerprint = emulator.rotate_certificate()
    await advance(hass, freezer, 30)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    # What the reconfigure flow does: new data, then a reload.
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_FINGERPRINT: new_fingerprint}
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.usefixtures("restrict_platforms")
async def test_fix_flow_aborts_when_the_entry_is_gone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Removing the entry closes its issue; an open fix flow then aborts."""
    issue_id = certificate_issue_id(init_integration.entry_id)
    emulator.rotate_certificate()
    await advance(hass, freezer, 30)
    client, result = await start_fix_flow(hass, hass_client, issue_id)
    assert result["type"] == "form"

    assert await hass.config_entries.async_remove(init_integration.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None

    response = await client.post(f"/api/repairs/issues/fix/{result['flow_id']}")
    result = await response.json()
    assert result["type"] == "abort"
    assert result["reason"] == "entry_removed"
    assert hass.config_entries.async_get_entry(init_integration.entry_id) is None


async def test_fix_flow_needs_the_issue_data(hass: HomeAssistant) -> None:
    """An issue without data cannot be fixed."""
    with pytest.raises(ValueError, match="carries no data"):
        await async_create_fix_flow(hass, "certificate_changed_x", None)
