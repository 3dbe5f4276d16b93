"""Discovery of hubs with zeroconf, SSDP and DHCP, against the emulator.

Most tests hand Home Assistant a discovery built from the emulator's own
announcement (its TXT record, its UPnP description). The tests at the end let
Home Assistant's zeroconf and SSDP integrations find the emulator
themselves, on loopback.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
import ctypes.util
from ipaddress import IPv4Address, ip_address
import json
import os
from pathlib import Path
import re
import subprocess
import sys
from typing import Any
from unittest.mock import patch
import xml.etree.ElementTree as ET

import aiodhcpwatcher
from homeassistant.components import onboarding
from homeassistant.config_entries import (
    SOURCE_DHCP,
    SOURCE_IGNORE,
    SOURCE_SSDP,
    SOURCE_ZEROCONF,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_HOST,
    CONF_PORT,
    EVENT_HOMEASSISTANT_STARTED,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.service_info.ssdp import SsdpServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.loader import async_get_dhcp, async_get_ssdp, async_get_zeroconf
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket

from custom_components.hearth.const import (
    CERTIFICATE_MODE_CA,
    CONF_CERTIFICATE_MODE,
    CONF_FINGERPRINT,
    DOMAIN,
)
from emulator import Emulator
from emulator.advertise import (
    MDNS_SERVICE_TYPE,
    SSDP_DEVICE_TYPE,
    MdnsAdvertiser,
    description_xml,
    hub_udn,
)
from emulator.demo import hub_identity
from tests.harness.emulators import API_KEY, READ_ONLY_KEY, make_emulator
from tests.harness.netns import Link, network_namespace
from tests.harness.ports import free_port
from tests.harness.processes import child_env
from tests.integration.helpers import (
    GET_STATE,
    hub_entry,
    hub_entry_data,
    setup_entry,
    start_user_flow,
    user_input,
)

from .helpers import find_device

STRINGS = json.loads(
    (
        Path(__file__).parents[2] / "custom_components" / "hearth" / "strings.json"
    ).read_text(encoding="utf-8")
)
PLACEHOLDER = re.compile(r"\{(\w+)\}")
UPNP_NS = "{urn:schemas-upnp-org:device-1-0}"
FORGED_FINGERPRINT = "ab" * 32
#: The unspecified IPv4 address: "any address" to a server, nobody's address.
UNSPECIFIED = "0.0.0.0"  # noqa: S104
#: A loopback address besides 127.0.0.1: where a hub "moves" to in the tests.
OTHER_LOOPBACK = "127.0.0.2"


#: Patched into the config flow when a test must say where a hub listens
#: without being told: a real hub listens on 443, which a test cannot bind.
@contextmanager
def default_port(port: int) -> Iterator[None]:
    """Make ``port`` the port a hub is expected on when a discovery does not say."""
    with (
        patch("custom_components.hearth.config_flow.DEFAULT_PORT", port),
        patch("custom_components.hearth.discovery.DEFAULT_PORT", port),
    ):
        yield


# Discovery info as Home Assistant builds it from the emulator's announcements


def zeroconf_info(
    emu: Emulator,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    txt: Mapping[str, str | None] | None = None,
) -> ZeroconfServiceInfo:
    """Return the emulator's mDNS announcement; ``txt`` changes its TXT record."""
    properties: dict[str, Any] = MdnsAdvertiser.properties(emu.hub, emu.fingerprint)
    for key, value in (txt or {}).items():
        if value is None:
            properties.pop(key, None)
        else:
            properties[key] = value
    return ZeroconfServiceInfo(
        ip_address=ip_address(host),
        ip_addresses=[ip_address(host)],
        port=port or emu.port,
        hostname=f"{emu.hub_id}.local.",
        type=MDNS_SERVICE_TYPE,
        name=f"{emu.hub.name}.{MDNS_SERVICE_TYPE}",
        properties=properties,
    )


def ssdp_info(
    emu: Emulator,
    *,
    presentation_url: str | None = None,
    location: str | None = "http://127.0.0.1:49152/ssdp/description.xml",
    **upnp_changes: str | None,
) -> SsdpServiceInfo:
    """Return the SSDP discovery of the emulator, from its UPnP description."""
    root = ET.fromstring(  # noqa: S314 - the emulator's own XML
        description_xml(emu.hub, presentation_url or emu.hub_url)
    )
    device = root.find(f"{UPNP_NS}device")
    assert device is not None
    upnp: dict[str, Any] = {
        child.tag.removeprefix(UPNP_NS): child.text or "" for child in device
    }
    for key, value in upnp_changes.items():
        if value is None:
            upnp.pop(key, None)
        else:
            upnp[key] = value
    udn = hub_udn(emu.hub_id)
    return SsdpServiceInfo(
        ssdp_usn=f"{udn}::{SSDP_DEVICE_TYPE}",
        ssdp_st=SSDP_DEVICE_TYPE,
        ssdp_location=location,
        ssdp_udn=udn,
        upnp=upnp,
    )


def dhcp_info(
    emu: Emulator,
    *,
    ip: str = "127.0.0.1",
    hostname: str | None = None,
    mac: str | None = None,
) -> DhcpServiceInfo:
    """Return a DHCP discovery of the hub as the dhcp integration reports it."""
    return DhcpServiceInfo(
        ip=ip,
        hostname=hostname if hostname is not None else emu.hub_id,
        macaddress=(mac or emu.hub.mac).replace(":", "").lower(),
    )


def assert_translated(result: ConfigFlowResult) -> None:
    """Check that the user sees no untranslated key and no empty placeholder."""
    config = STRINGS["config"]
    if result["type"] is FlowResultType.ABORT:
        assert result["reason"] in config["abort"]
    elif result["type"] is FlowResultType.FORM:
        step = config["step"][result["step_id"]]
        for error in (result["errors"] or {}).values():
            assert error in config["error"]
        needed = set(PLACEHOLDER.findall(step["description"]))
        for error in (result["errors"] or {}).values():
            needed |= set(PLACEHOLDER.findall(config["error"][error]))
        placeholders = result["description_placeholders"] or {}
        assert needed <= {key for key, value in placeholders.items() if value}


async def discover(hass: HomeAssistant, source: str, info: Any) -> ConfigFlowResult:
    """Start a discovery flow."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": source}, data=info
    )
    assert_translated(result)
    return result


async def confirm(hass: HomeAssistant, flow_id: str, api_key: str) -> ConfigFlowResult:
    """Submit the API key in the confirm step."""
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_KEY: api_key}
    )
    assert_translated(result)
    return result


def hub_flows(hass: HomeAssistant) -> list[Any]:
    """Return the Hearth flows in progress."""
    return list(hass.config_entries.flow.async_progress_by_handler(DOMAIN))


@pytest.fixture
def allow_other_loopback(socket_enabled: None) -> None:
    """Let the test connect to 127.0.0.2 too (the harness allows 127.0.0.1)."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", OTHER_LOOPBACK])


@pytest.fixture
async def wildcard_hub(allow_other_loopback: None) -> AsyncGenerator[Emulator]:
    """Run a hub on every address, so that it answers at 127.0.0.2 too."""
    emu = make_emulator()
    await emu.start(host="0.0.0.0", port=0, cloud_port=None)  # noqa: S104
    yield emu
    await emu.stop()


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, wildcard_hub: Emulator, restrict_platforms: None
) -> MockConfigEntry:
    """Set up an entry for the wildcard hub, reached at 127.0.0.1."""
    entry = hub_entry(wildcard_hub)
    await setup_entry(hass, entry)
    assert wildcard_hub.stats.count(*GET_STATE) == 1
    return entry


# Zeroconf


async def test_zeroconf_adds_hub(hass: HomeAssistant, emulator: Emulator) -> None:
    """The announced hub is shown by name and model and added with a key."""
    result = await discover(hass, SOURCE_ZEROCONF, zeroconf_info(emulator))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {
        "name": "Hearth Hub",
        "model": "HH-100",
        "host": f"127.0.0.1:{emulator.port}",
    }
    (flow,) = hub_flows(hass)
    assert flow["context"]["unique_id"] == emulator.hub_id
    assert flow["context"]["title_placeholders"] == {"name": "Hearth Hub"}
    assert emulator.stats.total == 0

    result = await confirm(hass, result["flow_id"], API_KEY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Hearth Hub"
    assert result["data"] == hub_entry_data(emulator)
    assert result["result"].unique_id == emulator.hub_id
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_zeroconf_confirm_errors(hass: HomeAssistant, emulator: Emulator) -> None:
    """A missing or refused key is reported; the hub is added with a good one."""
    result = await discover(hass, SOURCE_ZEROCONF, zeroconf_info(emulator))
    result = await confirm(hass, result["flow_id"], "  ")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["errors"] == {CONF_API_KEY: "invalid_api_key"}
    assert emulator.stats.total == 0

    result = await confirm(hass, result["flow_id"], "wrong-key")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_KEY: "invalid_auth"}

    result = await confirm(hass, result["flow_id"], f"{API_KEY}\r\nX: 1")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_KEY: "malformed_api_key"}
    assert emulator.stats.total == 1

    result = await confirm(hass, result["flow_id"], READ_ONLY_KEY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_API_KEY] == READ_ONLY_KEY


@pytest.mark.parametrize("forged", [True, False], ids=["forged", "rotated"])
async def test_zeroconf_certificate_mismatch(
    hass: HomeAssistant, emulator: Emulator, forged: bool
) -> None:
    """A certificate other than the announced one gets no key."""
    announced = FORGED_FINGERPRINT if forged else emulator.fingerprint
    result = await discover(
        hass, SOURCE_ZEROCONF, zeroconf_info(emulator, txt={"fp": announced})
    )
    assert result["step_id"] == "discovery_confirm"
    if not forged:
        emulator.rotate_certificate()
    result = await confirm(hass, result["flow_id"], API_KEY)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["errors"] == {"base": "discovered_certificate_mismatch"}
    assert emulator.stats.total == 0
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_zeroconf_without_fingerprint(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Without ``fp``, the certificate seen at discovery is the one pinned."""
    result = await discover(
        hass, SOURCE_ZEROCONF, zeroconf_info(emulator, txt={"fp": None})
    )
    assert result["step_id"] == "discovery_confirm"
    result = await confirm(hass, result["flow_id"], API_KEY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_FINGERPRINT] == emulator.fingerprint


async def test_zeroconf_without_fingerprint_unreachable(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A hub whose certificate cannot be read is not offered."""
    info = zeroconf_info(emulator, port=free_port(), txt={"fp": None})
    result = await discover(hass, SOURCE_ZEROCONF, info)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


@pytest.mark.parametrize(
    "txt",
    [{"id": None}, {"id": ""}, {"fp": "not-a-fingerprint"}],
    ids=["no-id", "empty-id", "bad-fingerprint"],
)
async def test_zeroconf_invalid_announcement(
    hass: HomeAssistant, emulator: Emulator, txt: dict[str, str | None]
) -> None:
    """An announcement without a usable id or fingerprint is not offered."""
    result = await discover(hass, SOURCE_ZEROCONF, zeroconf_info(emulator, txt=txt))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"
    assert emulator.stats.total == 0


async def test_zeroconf_confirm_cannot_connect(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A hub gone before the key is entered: the address tried is named."""
    port = free_port()
    result = await discover(hass, SOURCE_ZEROCONF, zeroconf_info(emulator, port=port))
    assert result["step_id"] == "discovery_confirm"
    result = await confirm(hass, result["flow_id"], API_KEY)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert result["description_placeholders"] is not None
    assert result["description_placeholders"]["address"] == f"127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("source", "info"),
    [
        (SOURCE_ZEROCONF, lambda emu: zeroconf_info(emu, host=UNSPECIFIED)),
        (SOURCE_ZEROCONF, lambda emu: zeroconf_info(emu, host="224.0.0.251")),
        (SOURCE_ZEROCONF, lambda emu: zeroconf_info(emu, port=70_000)),
        (
            SOURCE_SSDP,
            lambda emu: ssdp_info(emu, presentation_url=f"https://{UNSPECIFIED}:1"),
        ),
        (SOURCE_SSDP, lambda emu: ssdp_info(emu, presentation_url="https://[::1")),
        (SOURCE_SSDP, lambda emu: ssdp_info(emu, presentation_url="https://hub_1/")),
        (SOURCE_DHCP, lambda emu: dhcp_info(emu, ip=UNSPECIFIED)),
        (SOURCE_DHCP, lambda emu: dhcp_info(emu, ip="127.0.0.1\x00")),
    ],
    ids=[
        "zeroconf-unspecified",
        "zeroconf-multicast",
        "zeroconf-port",
        "ssdp-unspecified",
        "ssdp-broken-url",
        "ssdp-underscore",
        "dhcp-unspecified",
        "dhcp-nul",
    ],
)
async def test_discovery_of_unusable_address(
    hass: HomeAssistant,
    emulator: Emulator,
    source: str,
    info: Callable[[Emulator], Any],
) -> None:
    """Discovery goes through the same host validator as the user's input."""
    with default_port(emulator.port):
        result = await discover(hass, source, info(emulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"
    assert not hub_flows(hass)
    assert emulator.stats.total == 0


# SSDP


async def test_ssdp_adds_hub(hass: HomeAssistant, emulator: Emulator) -> None:
    """The hub is reached at its presentation URL and pinned as first seen."""
    result = await discover(hass, SOURCE_SSDP, ssdp_info(emulator))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"] == {
        "name": "Hearth Hub",
        "model": "HH-100",
        "host": f"127.0.0.1:{emulator.port}",
    }
    (flow,) = hub_flows(hass)
    assert flow["context"]["unique_id"] == emulator.hub_id

    result = await confirm(hass, result["flow_id"], API_KEY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_HOST] == "127.0.0.1"
    assert result["data"][CONF_PORT] == emulator.port
    assert result["data"][CONF_FINGERPRINT] == emulator.fingerprint


async def test_ssdp_certificate_changed_before_confirm(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A certificate that changed since the discovery gets no key."""
    result = await discover(hass, SOURCE_SSDP, ssdp_info(emulator))
    emulator.rotate_certificate()
    result = await confirm(hass, result["flow_id"], API_KEY)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "discovered_certificate_mismatch"}
    assert emulator.stats.total == 0


async def test_ssdp_without_presentation_url(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Without a presentation URL, the hub is expected on the default port."""
    info = ssdp_info(emulator, presentationURL=None)
    with default_port(emulator.port):
        result = await discover(hass, SOURCE_SSDP, info)
        assert result["step_id"] == "discovery_confirm"
        assert result["description_placeholders"] is not None
        assert result["description_placeholders"]["host"] == "127.0.0.1"
        result = await confirm(hass, result["flow_id"], API_KEY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PORT] == emulator.port


async def test_ssdp_without_model_asks_like_dhcp(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A description without a model name uses the step that shows none."""
    result = await discover(hass, SOURCE_SSDP, ssdp_info(emulator, modelName=None))
    assert result["step_id"] == "dhcp_confirm"
    assert result["description_placeholders"] == {
        "name": "Hearth Hub",
        "host": f"127.0.0.1:{emulator.port}",
    }


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"serialNumber": None}, "http://127.0.0.1:49152/description.xml"),
        ({"presentationURL": None}, None),
        ({"presentationURL": "not a url"}, None),
    ],
    ids=["no-serial", "no-address", "bad-address"],
)
async def test_ssdp_invalid(
    hass: HomeAssistant,
    emulator: Emulator,
    changes: dict[str, str | None],
    location: str | None,
) -> None:
    """A description without the hub id or an address is not offered."""
    info = ssdp_info(emulator, location=location, **changes)
    result = await discover(hass, SOURCE_SSDP, info)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


async def test_ssdp_unreachable(hass: HomeAssistant, emulator: Emulator) -> None:
    """A hub that does not answer at its presentation URL is not offered."""
    info = ssdp_info(emulator, presentation_url=f"https://127.0.0.1:{free_port()}")
    result = await discover(hass, SOURCE_SSDP, info)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


# DHCP


async def test_dhcp_adds_unknown_hub(hass: HomeAssistant, emulator: Emulator) -> None:
    """A hub known only by host name and MAC is offered under its host name."""
    with default_port(emulator.port):
        result = await discover(hass, SOURCE_DHCP, dhcp_info(emulator))
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "dhcp_confirm"
        assert result["description_placeholders"] == {
            "name": emulator.hub_id,
            "host": "127.0.0.1",
        }
        (flow,) = hub_flows(hass)
        assert flow["context"]["unique_id"] == emulator.hub_id
        assert flow["context"]["title_placeholders"] == {"name": emulator.hub_id}
        assert emulator.stats.total == 0
        result = await confirm(hass, result["flow_id"], API_KEY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Hearth Hub"
    assert result["data"] == hub_entry_data(emulator)
    assert result["result"].unique_id == emulator.hub_id


async def test_dhcp_host_name_is_not_the_hub_id(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The id the hub reports, not the host name, becomes the unique id."""
    info = dhcp_info(emulator, hostname="Hearth-ABC123.lan")
    with default_port(emulator.port):
        result = await discover(hass, SOURCE_DHCP, info)
        (flow,) = hub_flows(hass)
        assert flow["context"]["unique_id"] == "hearth-abc123"
        result = await confirm(hass, result["flow_id"], API_KEY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == emulator.hub_id


async def test_dhcp_confirm_finds_configured_hub(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """A hub found under another name but already added gets its new address."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_HOST: OTHER_LOOPBACK, CONF_PORT: 1},
    )
    info = dhcp_info(emulator, hostname="hearth-abc123")
    with default_port(emulator.port):
        result = await discover(hass, SOURCE_DHCP, info)
        result = await confirm(hass, result["flow_id"], API_KEY)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data[CONF_HOST] == "127.0.0.1"
    assert mock_config_entry.data[CONF_PORT] == emulator.port
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


@pytest.mark.parametrize(
    ("hostname", "mac"),
    [
        ("printer", None),
        ("hearth-", None),
        ("hearth-hub", None),
        (None, "00:11:22:33:44:55"),
    ],
    ids=["other-name", "no-id", "not-hex", "other-vendor"],
)
async def test_dhcp_not_a_hub(
    hass: HomeAssistant, emulator: Emulator, hostname: str | None, mac: str | None
) -> None:
    """Only the hubs' host names with the hubs' MAC prefix count as a hub."""
    info = dhcp_info(emulator, hostname=hostname, mac=mac)
    result = await discover(hass, SOURCE_DHCP, info)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_hearth_hub"
    assert emulator.stats.total == 0


async def test_dhcp_unreachable(hass: HomeAssistant, emulator: Emulator) -> None:
    """A hub that does not answer on the default port is not offered."""
    with default_port(free_port()):
        result = await discover(hass, SOURCE_DHCP, dhcp_info(emulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


# Hubs that are configured already


async def test_zeroconf_moves_loaded_entry(
    hass: HomeAssistant, wildcard_hub: Emulator, loaded_entry: MockConfigEntry
) -> None:
    """An announcement at a new address updates the entry, which reloads."""
    coordinator = loaded_entry.runtime_data
    info = zeroconf_info(wildcard_hub, host=OTHER_LOOPBACK)
    result = await discover(hass, SOURCE_ZEROCONF, info)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert loaded_entry.data[CONF_HOST] == OTHER_LOOPBACK
    assert loaded_entry.data[CONF_PORT] == wildcard_hub.port
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data is not coordinator
    assert wildcard_hub.stats.count(*GET_STATE) == 2


async def test_zeroconf_same_address_does_not_reload(
    hass: HomeAssistant, wildcard_hub: Emulator, loaded_entry: MockConfigEntry
) -> None:
    """An announcement at the known address changes nothing."""
    coordinator = loaded_entry.runtime_data
    result = await discover(hass, SOURCE_ZEROCONF, zeroconf_info(wildcard_hub))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await hass.async_block_till_done()
    assert loaded_entry.runtime_data is coordinator
    assert wildcard_hub.stats.count(*GET_STATE) == 1


async def test_dhcp_moves_registered_hub(
    hass: HomeAssistant, wildcard_hub: Emulator, loaded_entry: MockConfigEntry
) -> None:
    """A registered hub's MAC at a new address moves the entry, port kept."""
    device = find_device(
        dr.async_get(hass), identifiers={(DOMAIN, wildcard_hub.hub_id)}
    )
    assert device is not None
    assert (dr.CONNECTION_NETWORK_MAC, wildcard_hub.hub.mac) in device.connections
    coordinator = loaded_entry.runtime_data
    info = dhcp_info(wildcard_hub, ip=OTHER_LOOPBACK, hostname="living-room")
    result = await discover(hass, SOURCE_DHCP, info)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert loaded_entry.data[CONF_HOST] == OTHER_LOOPBACK
    assert loaded_entry.data[CONF_PORT] == wildcard_hub.port
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data is not coordinator


async def test_ssdp_revives_entry_waiting_for_hub(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """An entry retrying at an old address is moved and set up at once."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_PORT: free_port()}
    )
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY

    result = await discover(hass, SOURCE_SSDP, ssdp_info(emulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data[CONF_PORT] == emulator.port
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED


async def test_discovery_keeps_address_of_ca_entry(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """An entry that verifies the certificate by name keeps its host name."""
    mock_config_entry.add_to_hass(hass)
    data = {
        **mock_config_entry.data,
        CONF_HOST: "hub.example.com",
        CONF_CERTIFICATE_MODE: CERTIFICATE_MODE_CA,
        CONF_FINGERPRINT: None,
    }
    hass.config_entries.async_update_entry(mock_config_entry, data=data)
    result = await discover(hass, SOURCE_ZEROCONF, zeroconf_info(emulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert dict(mock_config_entry.data) == data


@pytest.mark.parametrize("source", [SOURCE_ZEROCONF, SOURCE_SSDP, SOURCE_DHCP])
async def test_ignored_hub_stays_ignored(
    hass: HomeAssistant, emulator: Emulator, source: str
) -> None:
    """A hub the user ignored is not offered again, from any source."""
    ignored = MockConfigEntry(
        domain=DOMAIN, source=SOURCE_IGNORE, unique_id=emulator.hub_id, data={}
    )
    ignored.add_to_hass(hass)
    info = {
        SOURCE_ZEROCONF: zeroconf_info(emulator),
        SOURCE_SSDP: ssdp_info(emulator),
        SOURCE_DHCP: dhcp_info(emulator),
    }[source]
    result = await discover(hass, source, info)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert ignored.source == SOURCE_IGNORE
    assert dict(ignored.data) == {}
    assert emulator.stats.total == 0


# Several announcements of one hub


async def test_one_flow_for_every_source(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The hub announced by mDNS, SSDP and DHCP at once is offered once."""
    first = await discover(hass, SOURCE_ZEROCONF, zeroconf_info(emulator))
    assert first["type"] is FlowResultType.FORM
    for source, info in (
        (SOURCE_SSDP, ssdp_info(emulator)),
        (SOURCE_DHCP, dhcp_info(emulator)),
        (SOURCE_ZEROCONF, zeroconf_info(emulator, host=OTHER_LOOPBACK)),
    ):
        result = await discover(hass, source, info)
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_in_progress"
    assert [flow["flow_id"] for flow in hub_flows(hass)] == [first["flow_id"]]

    result = await confirm(hass, first["flow_id"], API_KEY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_HOST] == "127.0.0.1"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_manual_setup_while_discovered(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Adding the hub by address while it is offered ends the offer."""
    await discover(hass, SOURCE_ZEROCONF, zeroconf_info(emulator))
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(f"127.0.0.1:{emulator.port}")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == emulator.hub_id
    assert hub_flows(hass) == []


async def test_discovery_during_onboarding_asks_for_key(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """While Home Assistant is onboarded, the hub is still not added without a key."""
    hass.data[onboarding.DOMAIN] = onboarding.OnboardingData(
        listeners=[], onboarded=False, steps={"done": []}
    )
    assert not onboarding.async_is_onboarded(hass)
    result = await discover(hass, SOURCE_ZEROCONF, zeroconf_info(emulator))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert not hass.config_entries.async_entries(DOMAIN)
    assert emulator.stats.total == 0


# Home Assistant's own discovery, seeing the emulator's real announcements


@pytest.fixture
async def advertising_hub(
    request: pytest.FixtureRequest, allow_other_loopback: None
) -> AsyncGenerator[Emulator]:
    """Run a hub that announces itself with mDNS and SSDP on ``request.param``.

    Multicast reaches every process on the machine, so the hub is seeded by
    the process id: a suite running beside this one announces another hub.
    """
    emu = make_emulator(
        advertise=True,
        seed=os.getpid(),
    )
    # The mDNS instance name is the hub's name, so it must be unique too.
    emu.update_hub(name=f"Hearth Hub {os.getpid()}")
    await emu.start(host=request.param, port=0, cloud_port=None)
    yield emu
    await emu.stop()


async def wait_for_flow(hass: HomeAssistant, source: str, hub_id: str) -> Any:
    """Wait until a flow of ``source`` for ``hub_id`` is in progress."""
    while True:
        for flow in hub_flows(hass):
            context = flow["context"]
            if context["source"] == source and context["unique_id"] == hub_id:
                return flow
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("advertising_hub", ["127.0.0.1"], indirect=True)
# Real multicast reaches every process on the machine: Home Assistant's
# zeroconf may still be queueing an answer to another process's query when
# the test ends. That timer belongs to python-zeroconf's send queue.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_real_zeroconf_finds_emulator(
    hass: HomeAssistant, advertising_hub: Emulator
) -> None:
    """Home Assistant's zeroconf browser finds the emulator's mDNS announcement.

    Home Assistant never uses loopback for mDNS, so its zeroconf instance is
    pointed at 127.0.0.1; and its guard against a second Zeroconf instance in
    the process (which would swallow the emulator's own) is left out.
    Everything else is real: multicast on loopback, the browser, the
    matcher from manifest.json, the flow.
    """
    with (
        patch(
            "homeassistant.components.zeroconf._async_get_zc_args",
            return_value={"interfaces": ["127.0.0.1"]},
        ),
        patch("homeassistant.components.zeroconf.install_multiple_zeroconf_catcher"),
    ):
        assert await async_setup_component(hass, "zeroconf", {})
        async with asyncio.timeout(20):
            flow = await wait_for_flow(hass, SOURCE_ZEROCONF, advertising_hub.hub_id)
    assert flow["context"]["unique_id"] == advertising_hub.hub_id
    assert flow["context"]["title_placeholders"] == {"name": advertising_hub.hub.name}
    assert flow["step_id"] == "discovery_confirm"

    result = await confirm(hass, flow["flow_id"], API_KEY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_HOST] == "127.0.0.1"
    assert result["data"][CONF_PORT] == advertising_hub.port
    assert result["data"][CONF_FINGERPRINT] == advertising_hub.fingerprint


async def test_manifest_matchers_load(hass: HomeAssistant) -> None:
    """Home Assistant's loader reads this integration's discovery matchers.

    The tests below run them for real; this pins down what the loader reads
    from manifest.json.
    """
    dhcp = [m for m in await async_get_dhcp(hass) if m["domain"] == DOMAIN]
    assert dhcp == [
        {"domain": DOMAIN, "hostname": "hearth-*", "macaddress": "A4C138*"},
        {"domain": DOMAIN, "registered_devices": True},
    ]
    assert {"domain": DOMAIN} in (await async_get_zeroconf(hass))[MDNS_SERVICE_TYPE]
    assert (await async_get_ssdp(hass))[DOMAIN] == [
        {"manufacturer": "Hearth", "deviceType": SSDP_DEVICE_TYPE}
    ]


# Home Assistant's DHCP watcher, seeing a hub on another host


#: The seed of the hub in the other namespace; its id and MAC follow from it.
NAMESPACED_HUB_SEED = 11
#: How long a hub in another namespace may take to start and announce itself
#: (a new Python process, on a machine that may be busy).
NAMESPACED_HUB_TIMEOUT = 60.0


class NamespacedHub:
    """``python -m emulator`` on another host: inside the link's namespace.

    It serves on port 443 at its address, as a real hub does, and announces
    itself with a DHCPREQUEST on its end of the link once it serves. Its
    certificate is kept in files, so a restart is the same hub.
    """

    def __init__(self, link: Link, workdir: Path) -> None:
        """Prepare the hub; nothing runs before :meth:`start`."""
        self.link = link
        self.workdir = workdir
        self.identity = hub_identity(NAMESPACED_HUB_SEED)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> str:
        """Return what the hub printed and logged."""
        path = self.workdir / "emulator.log"
        return path.read_text() if path.exists() else ""

    @property
    def fingerprint(self) -> str:
        """Return the fingerprint of the hub's certificate, from its banner."""
        match = re.search(r"Fingerprint +([0-9a-f]{64})", self.log)
        assert match, self.log
        return match[1]

    def start(self, address: IPv4Address, *announce: str) -> None:
        """Give the hub ``address`` and start it there with the ``announce`` options."""
        assert self.process is None
        self.link.set_remote_address(address)
        argv = [
            sys.executable, "-m", "emulator",
            "--host", str(address), "--port", "443", "--cloud-port", "0",
            "--api-key", API_KEY, "--seed", str(NAMESPACED_HUB_SEED),
            "--drift-interval", "0", "--cloud-hubs", "0",
            "--cert-file", str(self.workdir / "cert.pem"),
            "--key-file", str(self.workdir / "key.pem"),
            *announce,
        ]  # fmt: skip
        with (self.workdir / "emulator.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own command
                self.link.command(argv),
                cwd=Path(__file__).parents[2],
                env=child_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_until_serving(self) -> None:
        """Wait until the hub has started everything (it then prints its banner)."""
        try:
            async with asyncio.timeout(NAMESPACED_HUB_TIMEOUT):
                # The banner is written to a file; poll it.
                while "Hearth emulator is running" not in self.log:
                    assert self.process is not None
                    assert self.process.poll() is None, self.log
                    await asyncio.sleep(0.05)
        except TimeoutError:
            pytest.fail(f"the hub did not start:\n{self.log}")

    async def discovered(self, hass: HomeAssistant, source: str) -> Any:
        """Wait until Home Assistant offers the hub, found by ``source``; return the flow."""
        try:
            async with asyncio.timeout(NAMESPACED_HUB_TIMEOUT):
                return await wait_for_flow(hass, source, self.identity.id)
        except TimeoutError:
            pytest.fail(f"no {source} discovery of the hub:\n{self.log}")

    def stop(self) -> None:
        """Stop the hub (SIGTERM) and wait until it has exited."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture
def hub_link() -> Iterator[Link]:
    """Make another host: a network namespace, linked to this one by a veth pair."""
    with network_namespace(remote_mac=hub_identity(NAMESPACED_HUB_SEED).mac) as link:
        yield link


@pytest.fixture
def namespaced_hub(
    hub_link: Link, tmp_path: Path, socket_enabled: None
) -> Iterator[NamespacedHub]:
    """Return the hub of the other host (not started), and let the test reach it."""
    pytest_socket.socket_allow_hosts(
        ["127.0.0.1", *(str(hub_link.remote_address(i)) for i in range(2))]
    )
    hub = NamespacedHub(hub_link, tmp_path)
    yield hub
    hub.stop()


@pytest.fixture
async def dhcp_watcher(
    hass: HomeAssistant, hub_link: Link, monkeypatch: pytest.MonkeyPatch
) -> AsyncGenerator[None]:
    """Run Home Assistant's dhcp integration, watching this end of the link.

    The watcher listens on scapy's default interface, the one of the default
    route, which a test must not change: the link's end is made that
    interface instead. The network scan of the dhcp integration (PTR
    queries to the router of the machine's real network) is left out.
    Everything else is real: libpcap's packet filter, the raw socket, the
    matchers from manifest.json, the flow.
    """
    if ctypes.util.find_library("pcap") is None:
        pytest.fail("libpcap is missing: scripts/setup installs it (libpcap0.8)")
    # Loading scapy picks its default interface: load it (as the dhcp
    # integration does, once) before changing the interface.
    await aiodhcpwatcher.async_init()
    from scapy.config import conf

    conf.ifaces.reload()
    monkeypatch.setattr(conf, "iface", hub_link.local_interface)
    with patch("aiodiscover.DiscoverHosts.async_discover", return_value=[]):
        assert await async_setup_component(hass, "dhcp", {})
        # The watcher starts once Home Assistant has started; the test's
        # instance started before dhcp was set up.
        hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
        await hass.async_block_till_done()
        yield


async def wait_for_entry_at(
    hass: HomeAssistant, entry: ConfigEntry, host: str, hub: NamespacedHub
) -> None:
    """Wait until ``entry`` is loaded with ``host``, or fail with the hub's log."""
    try:
        async with asyncio.timeout(NAMESPACED_HUB_TIMEOUT):
            # The entry has no event for a change of its data; poll.
            while not (  # noqa: ASYNC110
                entry.data[CONF_HOST] == host and entry.state is ConfigEntryState.LOADED
            ):
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"the entry did not follow the hub to {host}:\n{hub.log}")


async def test_real_dhcp_finds_and_follows_hub(
    hass: HomeAssistant, namespaced_hub: NamespacedHub, dhcp_watcher: None
) -> None:
    """Home Assistant's DHCP watcher sees the hub's DHCPREQUEST from another host.

    The hub joins the network: its DHCPREQUEST matches the manifest's
    ``hearth-*`` host name and MAC prefix, and the flow reads its
    certificate at its address on port 443. Added with a key, the hub then
    reboots at another address: its next DHCPREQUEST matches by
    ``registered_devices``, and the entry follows it there.
    """
    hub = namespaced_hub
    first, moved = hub.link.remote_address(0), hub.link.remote_address(1)
    announce = ("--dhcp-interface", hub.link.remote_interface)
    hub.start(first, *announce)
    flow = await hub.discovered(hass, SOURCE_DHCP)
    assert flow["step_id"] == "dhcp_confirm"
    assert flow["context"]["title_placeholders"] == {"name": hub.identity.id}
    result = await confirm(hass, flow["flow_id"], API_KEY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_HOST] == str(first)
    assert result["data"][CONF_PORT] == 443
    entry = result["result"]
    await wait_for_entry_at(hass, entry, str(first), hub)

    hub.stop()
    hub.start(moved, *announce)
    await wait_for_entry_at(hass, entry, str(moved), hub)
    assert entry.data[CONF_PORT] == 443
    assert hass.config_entries.async_entries(DOMAIN) == [entry]
    assert hub_flows(hass) == []


@contextmanager
def patch_ssdp_sources(sources: set[IPv4Address]) -> Iterator[None]:
    """Make Home Assistant's SSDP scanner and server use only ``sources``.

    ``async_build_source_set`` is looked up in ``homeassistant.components.ssdp``
    up to 2025.4 and in its ``scanner`` and ``server`` modules since they were
    split out of it, so it is patched wherever an ssdp module holds it.
    """
    import homeassistant.components.ssdp  # noqa: F401 - loads its submodules

    with ExitStack() as stack:
        for name, module in list(sys.modules.items()):
            if (
                name == "homeassistant.components.ssdp"
                or name.startswith("homeassistant.components.ssdp.")
            ) and hasattr(module, "async_build_source_set"):
                stack.enter_context(
                    patch.object(module, "async_build_source_set", return_value=sources)
                )
        yield


async def test_real_ssdp_finds_hub(
    hass: HomeAssistant, namespaced_hub: NamespacedHub
) -> None:
    """Home Assistant's SSDP scanner finds the hub on the other host by M-SEARCH.

    The scanner searches only from this end of the link (not from the
    machine's real network), and its broadcast search, which would leave the
    machine, is left out. Everything else is real: the multicast M-SEARCH
    over the link, the hub's answer, the description fetched over HTTP, the
    loopback filter of async-upnp-client (which is why the hub cannot be on
    loopback), the matcher, the flow.
    """
    hub = namespaced_hub
    address = hub.link.remote_address()
    hub.start(address, "--advertise")
    await hub.wait_until_serving()
    with (
        patch_ssdp_sources({hub.link.local_address}),
        patch("homeassistant.components.ssdp.Scanner.async_scan_broadcast"),
    ):
        assert await async_setup_component(hass, "ssdp", {})
        flow = await hub.discovered(hass, SOURCE_SSDP)
    assert flow["step_id"] == "discovery_confirm"

    result = await confirm(hass, flow["flow_id"], API_KEY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_HOST] == str(address)
    assert result["data"][CONF_PORT] == 443
    assert result["data"][CONF_FINGERPRINT] == hub.fingerprint
