"""What zeroconf, SSDP and DHCP announcements say about a hub.

Pure functions: each takes what a discovery found and returns the hub it
describes, or raises :class:`NotAHubError` with the reason the flow aborts.
The address is checked with the same validator as the user's form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import re
from typing import Any, Final

from yarl import URL

from .api import DEFAULT_PORT, normalize_fingerprint
from .host import InvalidHostError, normalize_host, parse_port

#: Keys of the TXT record of a hub's mDNS announcement.
TXT_HUB_ID: Final = "id"
TXT_MODEL: Final = "model"
TXT_FINGERPRINT: Final = "fp"
#: UPnP description fields (as Home Assistant's SSDP integration names them).
UPNP_SERIAL: Final = "serialNumber"
UPNP_FRIENDLY_NAME: Final = "friendlyName"
UPNP_MODEL_NAME: Final = "modelName"
UPNP_PRESENTATION_URL: Final = "presentationURL"
#: A hub's DHCP host name is its hub id: ``hearth-`` and hex digits.
DHCP_HOSTNAME: Final = re.compile(r"hearth-[0-9a-f]+")
#: The first three octets of every hub's MAC address.
HUB_MAC_PREFIX: Final = "a4:c1:38:"


class NotAHubError(Exception):
    """The announcement is not a usable hub's; ``reason`` is the abort reason."""

    def __init__(self, reason: str) -> None:
        """Keep the reason the flow aborts with."""
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class DiscoveredHub:
    """A hub found on the network, before it is added."""

    hub_id: str
    host: str
    #: None when the discovery does not tell (DHCP): an entry keeps its own
    #: port, a new hub is expected on the default one.
    port: int | None
    name: str
    #: None for a hub known only by address and host name (DHCP).
    model: str | None
    #: The certificate the hub announced, if it did (mDNS ``fp``).
    fingerprint: str | None = None


def _checked(hub: DiscoveredHub) -> DiscoveredHub:
    """Return ``hub`` with its address normalized, or refuse it."""
    try:
        hub.host = normalize_host(hub.host)
        if hub.port is not None:
            hub.port = parse_port(str(hub.port))
    except InvalidHostError as err:
        raise NotAHubError("invalid_discovery_info") from err
    return hub


def from_zeroconf(
    name: str, service_type: str, host: str, port: int | None, txt: Mapping[str, Any]
) -> DiscoveredHub:
    """Read a hub's mDNS announcement; its TXT record carries its id."""
    hub_id = txt.get(TXT_HUB_ID)
    if not hub_id or not isinstance(hub_id, str):
        raise NotAHubError("invalid_discovery_info")
    fingerprint: str | None = None
    if announced := txt.get(TXT_FINGERPRINT):
        try:
            fingerprint = normalize_fingerprint(announced)
        except ValueError as err:
            raise NotAHubError("invalid_discovery_info") from err
    return _checked(
        DiscoveredHub(
            hub_id,
            host,
            port or DEFAULT_PORT,
            name=name.removesuffix(f".{service_type}") or hub_id,
            model=txt.get(TXT_MODEL),
            fingerprint=fingerprint,
        )
    )


def from_ssdp(upnp: Mapping[str, Any], location: str | None) -> DiscoveredHub:
    """Read a hub found with SSDP; its UPnP serial number is its id.

    The UPnP presentation URL is the hub's own address; without one, the
    hub is expected on the default port of the host that answered.
    """
    hub_id = upnp.get(UPNP_SERIAL)
    try:
        if presentation_url := upnp.get(UPNP_PRESENTATION_URL):
            url = URL(presentation_url)
            port = url.port or DEFAULT_PORT
        else:
            url = URL(location or "")
            port = DEFAULT_PORT
    except ValueError as err:
        raise NotAHubError("invalid_discovery_info") from err
    if not hub_id or not url.host:
        raise NotAHubError("invalid_discovery_info")
    return _checked(
        DiscoveredHub(
            hub_id,
            url.host,
            port,
            name=upnp.get(UPNP_FRIENDLY_NAME) or hub_id,
            model=upnp.get(UPNP_MODEL_NAME),
        )
    )


def from_dhcp(
    ip: str, hostname: str, mac: str, registered_hub_id: str | None
) -> DiscoveredHub:
    """Read a DHCP request: a known hub's new address, or a new hub.

    DHCP tells only the address, the MAC address (formatted) and the host
    name; it says nothing about the port, and the hub's identity (GET /info)
    needs a key. So the hub id is found like this:

    - a MAC address of a hub in the device registry (``registered_hub_id``)
      gives that hub's id; its entry then follows the hub to the new address
      (the port stays);
    - otherwise, only a host name ``hearth-<hex digits>`` together with the
      hubs' MAC prefix counts as a Hearth hub, and the host name is taken as
      the hub id, since hubs name themselves by their id. Once the user
      enters a key, GET /info gives the real id, which is what the entry is
      stored under.
    """
    hub_id = registered_hub_id
    if hub_id is None:
        name = hostname.lower().partition(".")[0]
        if not mac.startswith(HUB_MAC_PREFIX) or not DHCP_HOSTNAME.fullmatch(name):
            raise NotAHubError("not_hearth_hub")
        hub_id = name
    return _checked(DiscoveredHub(hub_id, ip, None, name=hub_id, model=None))
