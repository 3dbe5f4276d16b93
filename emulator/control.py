"""What the admin API and the hub page need from the emulator, as protocols.

:mod:`.admin` and :mod:`.page` are built by :mod:`.server` and handed the
:class:`~.server.Emulator`; they know it only through these protocols, so
that neither imports the server back and the emulator has no import cycle.
The server's type check confirms that the Emulator satisfies them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from .account import CLOUD_HUB_DEVICES, CloudAccount, CloudHub
from .faults import Fault, FaultSet
from .home import Device, Home, HubInfo, JSONDict, PressType
from .ratelimit import RetryAfterFormat, SlidingWindowLimiter
from .stats import Stats


class EmulatorView(Protocol):
    """What the hub page shows: the hub, and the token its requests carry."""

    @property
    def hub(self) -> HubInfo:
        """Return the local hub's identity."""

    @property
    def admin_token(self) -> str | None:
        """Return the token the admin API and the hub page need, if any."""


class EmulatorControl(EmulatorView, Protocol):
    """What the admin API reads and changes; each call is an Emulator method."""

    @property
    def home(self) -> Home:
        """Return the local hub's home."""

    @property
    def account(self) -> CloudAccount:
        """Return the cloud account."""

    @property
    def limiter(self) -> SlidingWindowLimiter:
        """Return the rate limiter of the hub and the cloud."""

    @property
    def faults(self) -> FaultSet:
        """Return the active faults."""

    @property
    def stats(self) -> Stats:
        """Return the request statistics."""

    @property
    def hub_url(self) -> str:
        """Return the hub's base URL."""

    @property
    def cloud_url(self) -> str:
        """Return the cloud's base URL."""

    @property
    def cloud_port(self) -> int | None:
        """Return the cloud's port, or None when the cloud is not served."""

    @property
    def fingerprint(self) -> str | None:
        """Return the fingerprint of the hub certificate."""

    @property
    def ssdp_location(self) -> str | None:
        """Return the SSDP LOCATION URL while advertising."""

    @property
    def event_stream_count(self) -> int:
        """Return the number of open hub event streams."""

    @property
    def cloud_event_stream_count(self) -> int:
        """Return the number of open cloud event streams."""

    def add_device(self, device: Mapping[str, Any]) -> Device:
        """Add a device."""

    def update_device(self, device_id: str, changes: Mapping[str, Any]) -> Device:
        """Change a device."""

    def remove_device(self, device_id: str) -> Device:
        """Remove a device."""

    def press_button(
        self, device_id: str, button_id: str, press_type: str = PressType.SHORT
    ) -> JSONDict:
        """Press a button of a button device."""

    def install_firmware(
        self, version: str | None = None, *, hub_id: str | None = None
    ) -> JSONDict:
        """Start installing the latest firmware."""

    def firmware_status(self) -> JSONDict:
        """Return the local hub's firmware and the timings of installs."""

    def update_firmware(self, changes: Mapping[str, Any]) -> JSONDict:
        """Change the release offered and the timings of installs."""

    def drift(self) -> list[Device]:
        """Move every sensor reading one step."""

    def set_rate_limit(
        self,
        limit: int | None,
        retry_after_format: RetryAfterFormat | str | None = None,
    ) -> None:
        """Set the rate limit and the Retry-After style."""

    def reset_rate_limits(self) -> None:
        """Empty every rate window."""

    def activate_fault(self, fault: Fault, *, spare: object | None = None) -> Fault:
        """Inject a parsed fault."""

    def remove_fault(self, fault_id: str) -> Fault:
        """Remove one fault."""

    def clear_faults(self) -> list[Fault]:
        """Remove every fault."""

    def cloud_hub(self, hub_id: str) -> CloudHub:
        """Return a hub of the cloud account."""

    def add_cloud_hub(
        self,
        *,
        hub_id: str | None = None,
        name: str | None = None,
        devices: int | None = CLOUD_HUB_DEVICES,
        online: bool = True,
    ) -> CloudHub:
        """Put a new generated hub on the cloud account."""

    def set_cloud_hub_online(self, hub_id: str, online: bool) -> CloudHub:
        """Mark a hub of the account as connected to the cloud or not."""

    def remove_cloud_hub(self, hub_id: str) -> CloudHub:
        """Take a hub off the cloud account."""

    def issue_token(
        self, scope: str | Iterable[str] | None = None, *, lifetime: int | None = None
    ) -> dict[str, object]:
        """Issue a token pair without the OAuth flow."""

    def reset_stats(self) -> None:
        """Start the statistics again from zero."""
