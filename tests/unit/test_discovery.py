"""Unit tests of what zeroconf, SSDP and DHCP announcements say about a hub."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.hearth.api import DEFAULT_PORT
from custom_components.hearth.discovery import (
    DiscoveredHub,
    NotAHubError,
    from_dhcp,
    from_ssdp,
    from_zeroconf,
)

SERVICE = "_hearth._tcp.local."
HUB_ID = "hearth-3f2a9c"
FINGERPRINT = "ab" * 32
#: The fingerprint as a hub may announce it: upper case, colon-separated.
ANNOUNCED_FINGERPRINT = ":".join(["AB"] * 32)
HUB_MAC = "a4:c1:38:3f:2a:9c"


def zeroconf(
    *,
    name: str = f"Living Room Hub.{SERVICE}",
    host: str = "192.168.1.20",
    port: int | None = 8443,
    **txt: Any,
) -> DiscoveredHub:
    """Read an mDNS announcement; the TXT record is the hub's unless overridden."""
    record: dict[str, Any] = {"id": HUB_ID, "model": "H1", "fp": ANNOUNCED_FINGERPRINT}
    record.update(txt)
    return from_zeroconf(name, SERVICE, host, port, record)


def upnp(**fields: Any) -> dict[str, Any]:
    """Return a hub's UPnP description; fields set to None are left out."""
    description: dict[str, Any] = {
        "serialNumber": HUB_ID,
        "friendlyName": "Living Room Hub",
        "modelName": "H1",
        "presentationURL": "https://192.168.1.20:8443/",
    }
    description.update(fields)
    return {key: value for key, value in description.items() if value is not None}


# Zeroconf


def test_zeroconf_announcement_describes_the_hub() -> None:
    assert zeroconf() == DiscoveredHub(
        HUB_ID,
        "192.168.1.20",
        8443,
        name="Living Room Hub",
        model="H1",
        fingerprint=FINGERPRINT,
    )


def test_zeroconf_address_and_port_are_normalized() -> None:
    hub = zeroconf(host="Hub.Local.", port=None, fp=None, model=None)
    assert (hub.host, hub.port) == ("hub.local", DEFAULT_PORT)
    assert hub.fingerprint is None
    assert hub.model is None
    assert zeroconf(host="fe80::1").host == "fe80::1"


def test_zeroconf_without_an_instance_name_is_named_by_its_id() -> None:
    assert zeroconf(name=f".{SERVICE}").name == HUB_ID


@pytest.mark.parametrize(
    "announcement",
    [
        pytest.param({"id": None}, id="no-id"),
        pytest.param({"id": ""}, id="empty-id"),
        pytest.param({"id": HUB_ID.encode()}, id="id-not-text"),
        pytest.param({"fp": "not-a-fingerprint"}, id="bad-fingerprint"),
        pytest.param({"fp": "ab" * 31}, id="short-fingerprint"),
        pytest.param({"host": "0.0.0.0"}, id="unspecified-address"),  # noqa: S104
        pytest.param({"host": "224.0.0.251"}, id="multicast-address"),
        pytest.param({"host": "hub_1.local"}, id="bad-host-name"),
        pytest.param({"port": 70_000}, id="port-out-of-range"),
    ],
)
def test_zeroconf_refuses_an_unusable_announcement(
    announcement: dict[str, Any],
) -> None:
    with pytest.raises(NotAHubError) as err:
        zeroconf(**announcement)
    assert err.value.reason == "invalid_discovery_info"


# SSDP


def test_ssdp_presentation_url_gives_the_address() -> None:
    assert from_ssdp(upnp(), "http://192.168.1.20:49152/description.xml") == (
        DiscoveredHub(HUB_ID, "192.168.1.20", 8443, name="Living Room Hub", model="H1")
    )


def test_ssdp_without_presentation_url_uses_the_answering_host() -> None:
    hub = from_ssdp(
        upnp(presentationURL=None, friendlyName=None, modelName=None),
        "http://Hub.Local:49152/description.xml",
    )
    assert hub == DiscoveredHub(HUB_ID, "hub.local", DEFAULT_PORT, HUB_ID, None)


@pytest.mark.parametrize(
    ("description", "location"),
    [
        pytest.param(upnp(serialNumber=None), None, id="no-serial-number"),
        pytest.param(upnp(serialNumber=""), None, id="empty-serial-number"),
        pytest.param(upnp(presentationURL="https://[::1"), None, id="malformed-url"),
        pytest.param(
            upnp(presentationURL="https://hub:99999/"), None, id="port-out-of-range"
        ),
        pytest.param(upnp(presentationURL=None), None, id="no-address-at-all"),
        pytest.param(
            upnp(presentationURL=None), "/description.xml", id="location-without-host"
        ),
        pytest.param(
            upnp(presentationURL="https://0.0.0.0:8443/"),
            None,
            id="unspecified-address",
        ),
    ],
)
def test_ssdp_refuses_an_unusable_description(
    description: dict[str, Any], location: str | None
) -> None:
    with pytest.raises(NotAHubError) as err:
        from_ssdp(description, location)
    assert err.value.reason == "invalid_discovery_info"


# DHCP


def test_dhcp_of_a_registered_hub_keeps_its_id() -> None:
    hub = from_dhcp("192.168.1.21", "anything", "00:11:22:33:44:55", "hub-registered")
    assert hub == DiscoveredHub(
        "hub-registered", "192.168.1.21", None, name="hub-registered", model=None
    )


def test_dhcp_of_a_new_hub_takes_its_host_name_as_id() -> None:
    hub = from_dhcp("192.168.1.21", "Hearth-3F2A9C.lan", HUB_MAC, None)
    assert hub == DiscoveredHub(HUB_ID, "192.168.1.21", None, name=HUB_ID, model=None)


@pytest.mark.parametrize(
    ("hostname", "mac"),
    [
        pytest.param(HUB_ID, "00:11:22:3f:2a:9c", id="other-vendor-mac"),
        pytest.param("printer", HUB_MAC, id="other-host-name"),
        pytest.param("hearth-", HUB_MAC, id="no-digits"),
        pytest.param("hearth-xyz", HUB_MAC, id="not-hex"),
        pytest.param("my-hearth-3f2a9c", HUB_MAC, id="name-only-contains-it"),
    ],
)
def test_dhcp_refuses_what_is_not_a_hub(hostname: str, mac: str) -> None:
    with pytest.raises(NotAHubError) as err:
        from_dhcp("192.168.1.21", hostname, mac, None)
    assert err.value.reason == "not_hearth_hub"


@pytest.mark.parametrize("registered", [None, "hub-registered"])
def test_dhcp_refuses_an_unusable_address(registered: str | None) -> None:
    with pytest.raises(NotAHubError) as err:
        from_dhcp("0.0.0.0", HUB_ID, HUB_MAC, registered)  # noqa: S104
    assert err.value.reason == "invalid_discovery_info"
