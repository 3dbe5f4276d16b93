"""Fixtures of the integration tests: config entries set up against the emulator."""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import patch

from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PORT, Platform
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.hearth.const import (
    CERTIFICATE_MODE_PIN,
    CONF_CERTIFICATE_MODE,
    CONF_FINGERPRINT,
    DOMAIN,
)
from emulator import Emulator
from tests.conftest import API_KEY


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/hearth."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize with Home Assistant's extension, into ``snapshots/``.

    The plugin of pytest-homeassistant-custom-component defines the same
    fixture, but syrupy's own plugin registers later and wins; a conftest
    fixture overrides both.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def platforms() -> list[Platform]:
    """Return the platforms to set up; a test module can narrow it."""
    return [Platform.LIGHT, Platform.SENSOR, Platform.SWITCH]


@pytest.fixture
def mock_config_entry(emulator: Emulator) -> MockConfigEntry:
    """Return a config entry for the emulated hub, with its certificate pinned."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Hearth Hub",
        unique_id=emulator.hub_id,
        data={
            CONF_HOST: "127.0.0.1",
            CONF_PORT: emulator.port,
            CONF_API_KEY: API_KEY,
            CONF_CERTIFICATE_MODE: CERTIFICATE_MODE_PIN,
            CONF_FINGERPRINT: emulator.fingerprint,
        },
    )


@pytest.fixture
def restrict_platforms(platforms: list[Platform]) -> Generator[None]:
    """Set up only the platforms of ``platforms``."""
    with patch("custom_components.hearth.PLATFORMS", platforms):
        yield


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, restrict_platforms: None
) -> MockConfigEntry:
    """Set up the integration against the emulator and return its entry."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry
