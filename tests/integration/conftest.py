"""Fixtures of the integration tests: config entries set up against the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Generator
from typing import Any
from unittest.mock import patch

from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.hearth.const import CLOUD_URL_ENV, DOMAIN
from custom_components.hearth.coordinator import HearthCoordinator
from emulator import Emulator
from tests.integration.helpers import hub_entry, setup_entry
from tests.integration.snapshot_extension import (
    VERSION_DEPENDENT_LIGHT_FIELDS,
    VERSION_DEPENDENT_REGISTRY_FIELDS,
    SnapshotExtension,
)
from tests.integration.streaming import Watch, setup_streaming


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/hearth."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize with Home Assistant's extension, into ``snapshots/``.

    The plugin of pytest-homeassistant-custom-component defines the same
    fixture, but syrupy's own plugin registers later and wins; a conftest
    fixture overrides both. One set of snapshots holds on every Home
    Assistant version: what only Home Assistant decides is left out.
    """
    return snapshot.with_defaults(
        extension_class=SnapshotExtension,
        exclude=props(
            *VERSION_DEPENDENT_REGISTRY_FIELDS, *VERSION_DEPENDENT_LIGHT_FIELDS
        ),
    )


@pytest.fixture
def platforms() -> list[Platform]:
    """Return the platforms to set up; a test module can narrow it."""
    return [Platform.LIGHT, Platform.SENSOR, Platform.SWITCH]


@pytest.fixture
def event_stream() -> bool:
    """Return whether entries open their event stream; test_push.py says yes.

    The other modules test polling, which is what runs while the stream is
    down, so there the stream stays closed.
    """
    return False


@pytest.fixture(autouse=True)
def _event_stream_switch(event_stream: bool) -> Generator[None]:
    """Keep the event stream closed unless ``event_stream`` is True."""
    if event_stream:
        yield
        return
    with patch("custom_components.hearth.stream.EventStream.async_start"):
        yield


@pytest.fixture
def watch() -> Generator[Watch]:
    """Count stream opens, ends and polls, the setup's included."""
    spy = Watch()
    with spy.patched():
        yield spy


@pytest.fixture
async def coordinator(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    watch: Watch,
    restrict_platforms: None,
) -> AsyncGenerator[HearthCoordinator]:
    """Set up the emulator's entry; yield its coordinator once its stream is open.

    For the modules whose entries open their stream (see ``event_stream``).
    """
    yield await setup_streaming(hass, watch, mock_config_entry)
    if mock_config_entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


@pytest.fixture
def mock_config_entry(emulator: Emulator) -> MockConfigEntry:
    """Return a config entry for the emulated hub, with its certificate pinned."""
    return hub_entry(emulator)


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
    await setup_entry(hass, mock_config_entry)
    return mock_config_entry


@pytest.fixture
async def application_credentials(
    hass: HomeAssistant, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point the integration at the emulator's cloud; load application credentials."""
    monkeypatch.setenv(CLOUD_URL_ENV, emulator.cloud_url)
    assert await async_setup_component(hass, "application_credentials", {})


@pytest.fixture
async def credentials(
    hass: HomeAssistant, emulator: Emulator, application_credentials: None
) -> None:
    """Import the emulator's OAuth2 client as the Hearth credentials."""
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(emulator.client_id, emulator.client_secret)
    )


@pytest.fixture
def refused_handshakes_expected(hass: HomeAssistant) -> Generator[None]:
    """Accept the emulator's report of a TLS handshake the client refused.

    The emulator serves in the test's event loop, which runs in debug mode;
    asyncio then reports every failed incoming handshake to the loop's
    exception handler, which would fail the test. Only those reports are
    dropped; any other loop error still fails it.
    """
    loop = hass.loop
    handler = loop.get_exception_handler()
    assert handler is not None

    def drop_refused_handshakes(
        loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        if context.get(
            "message"
        ) == "Error on transport creation for incoming connection" and isinstance(
            context.get("exception"), OSError
        ):
            return
        handler(loop, context)

    loop.set_exception_handler(drop_refused_handshakes)
    yield
    loop.set_exception_handler(handler)
