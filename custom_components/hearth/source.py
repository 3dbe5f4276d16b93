"""Where a config entry's hubs come from: one local hub, or a cloud account."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from .api import (
    SUPPORTED_API_MAJOR,
    Device,
    DeviceCommand,
    Event,
    Firmware,
    HearthError,
    HearthHubClient,
    HearthUnsupportedVersionError,
    HubState,
    RateLimitInfo,
)


class HubMismatchError(HearthError):
    """Another hub than the configured one answers at the address."""

    def __init__(self, hub_id: str) -> None:
        """Keep the id of the hub that answered; it is also the message."""
        super().__init__(hub_id)
        self.hub_id = hub_id


type OnOpen = Callable[[], Awaitable[None]]


class HearthSource(Protocol):
    """Reads, streams and commands the hubs of one config entry."""

    @property
    def rate_limit(self) -> RateLimitInfo | None:
        """Return the rate-limit headers of the last answer."""

    def poll_cost(self) -> int:
        """Return how many requests one poll takes."""

    async def async_fetch(self) -> dict[str, HubState]:
        """Return the state of every hub, keyed by hub id."""

    async def async_command(
        self, hub_id: str, device_id: str, command: DeviceCommand
    ) -> Device:
        """Send a command; return the device's new state."""

    async def async_check_health(self) -> None:
        """Return when the server serves requests again; costs no budget."""

    def async_events(self, on_open: OnOpen) -> AsyncIterator[tuple[str, Event]]:
        """Yield (hub id, event) until the stream ends; await ``on_open`` first."""

    @property
    def may_write(self) -> bool | None:
        """Return whether the credential may change things; None if unknown until tried."""

    async def async_get_firmware(self, hub_id: str) -> Firmware:
        """Return a hub's firmware; HearthNotFoundError before API 1.3."""

    async def async_install_firmware(
        self, hub_id: str, version: str | None
    ) -> Firmware:
        """Start installing a hub's latest firmware; return at once."""


class LocalHubSource:
    """One hub reached over the local network."""

    def __init__(self, client: HearthHubClient, hub_id: str | None) -> None:
        """Wrap the client of the hub with id ``hub_id``."""
        self.client = client
        self.hub_id = hub_id
        #: The id the hub gave in its last state (empty before the first).
        self.seen_hub_id = hub_id or ""

    @property
    def rate_limit(self) -> RateLimitInfo | None:
        """Return the rate-limit headers of the last answer."""
        return self.client.rate_limit

    def poll_cost(self) -> int:
        """Return how many requests one poll takes: one GET /state."""
        return 1

    async def async_fetch(self) -> dict[str, HubState]:
        """Return the hub's state, once it is known to be the configured hub.

        Every /state names its hub, so checking costs no request: a device
        that took over the hub's address, or a hub updated to an API this
        integration does not speak, is caught at the next poll.
        """
        state = await self.client.async_get_state()
        if state.hub.api_major != SUPPORTED_API_MAJOR:
            raise HearthUnsupportedVersionError(
                f"Hub API version {state.hub.api_version} is not supported",
                api_version=state.hub.api_version,
            )
        if self.hub_id is not None and state.hub.id != self.hub_id:
            raise HubMismatchError(state.hub.id)
        self.seen_hub_id = state.hub.id
        return {state.hub.id: state}

    async def async_command(
        self, hub_id: str, device_id: str, command: DeviceCommand
    ) -> Device:
        """Send a command to the hub."""
        return await self.client.async_set_device_state(device_id, command)

    async def async_check_health(self) -> None:
        """Ask the hub whether it serves requests."""
        await self.client.async_check_health()

    async def async_events(self, on_open: OnOpen) -> AsyncIterator[tuple[str, Event]]:
        """Yield the events of the hub's ``/events`` stream, with its id."""
        async for event in self.client.async_events(on_open):
            yield self.seen_hub_id, event

    @property
    def may_write(self) -> bool | None:
        """Return None: nothing tells a read-only API key before the hub refuses a write."""
        return None

    async def async_get_firmware(self, hub_id: str) -> Firmware:
        """Return the hub's firmware."""
        return await self.client.async_get_firmware()

    async def async_install_firmware(
        self, hub_id: str, version: str | None
    ) -> Firmware:
        """Start installing the hub's latest firmware."""
        return await self.client.async_install_firmware(version)
