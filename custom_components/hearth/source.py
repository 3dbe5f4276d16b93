"""Where a config entry's hubs come from: one local hub, or a cloud account."""

from __future__ import annotations

from typing import Protocol

from .api import Device, DeviceCommand, HearthHubClient, HubState, RateLimitInfo


class HearthSource(Protocol):
    """Fetches the state of every hub of a config entry and sends commands."""

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


class LocalHubSource:
    """One hub reached over the local network."""

    def __init__(self, client: HearthHubClient) -> None:
        """Wrap the hub's client."""
        self.client = client

    @property
    def rate_limit(self) -> RateLimitInfo | None:
        """Return the rate-limit headers of the last answer."""
        return self.client.rate_limit

    def poll_cost(self) -> int:
        """Return how many requests one poll takes: one GET /state."""
        return 1

    async def async_fetch(self) -> dict[str, HubState]:
        """Return the hub's state."""
        state = await self.client.async_get_state()
        return {state.hub.id: state}

    async def async_command(
        self, hub_id: str, device_id: str, command: DeviceCommand
    ) -> Device:
        """Send a command to the hub."""
        return await self.client.async_set_device_state(device_id, command)
