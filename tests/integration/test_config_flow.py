"""The user, reauth, reconfigure and options flows, against the emulator."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PORT, CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket
import voluptuous as vol

from custom_components.hearth.api import (
    DEFAULT_PORT,
    ApiKeyAuth,
    HearthHubClient,
    pinned_ssl,
)
from custom_components.hearth.const import (
    CERTIFICATE_MODE_CA,
    CERTIFICATE_MODE_PIN,
    CONF_CERTIFICATE_MODE,
    CONF_FINGERPRINT,
    DOMAIN,
)
from custom_components.hearth.host import parse_host
from emulator import Emulator
from tests.harness.emulators import API_KEY, READ_ONLY_KEY
from tests.harness.ports import free_port
from tests.integration.helpers import (
    GET_INFO,
    GET_STATE,
    hub_entry_data,
    start_user_flow,
    user_input,
)

STALE_FINGERPRINT = "00" * 32
#: The unspecified IPv4 address: "any address" to a server, nobody's address.
UNSPECIFIED = "0.0.0.0"  # noqa: S104


def suggested_values(result: ConfigFlowResult) -> dict[str, Any]:
    """Return what a form pre-fills: suggested values, else defaults."""
    values: dict[str, Any] = {}
    assert result["data_schema"] is not None
    for key in result["data_schema"].schema:
        if key.description and "suggested_value" in key.description:
            values[str(key)] = key.description["suggested_value"]
        elif key.default is not vol.UNDEFINED:
            values[str(key)] = key.default()
    return values


@pytest.fixture
async def other_hub(socket_enabled: None) -> AsyncGenerator[Emulator]:
    """Run a second hub, with another id, that accepts the same key."""
    emu = Emulator(api_keys=[API_KEY], drift_interval=0, seed=2)
    await emu.start(host="127.0.0.1", port=0, cloud_port=None)
    yield emu
    await emu.stop()


# The user step


async def test_user_flow_pins_certificate(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A hub is added with its certificate pinned; the key is stripped."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(f"127.0.0.1:{emulator.port}", api_key=f"  {API_KEY}\t"),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Hearth Hub"
    assert result["data"] == hub_entry_data(emulator)
    entry = result["result"]
    assert entry.unique_id == emulator.hub_id
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_user_flow_read_only_key(hass: HomeAssistant, emulator: Emulator) -> None:
    """A read-only key is enough to add the hub."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(f"127.0.0.1:{emulator.port}", api_key=READ_ONLY_KEY),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_API_KEY] == READ_ONLY_KEY


@pytest.fixture
def allow_ipv6_loopback(socket_enabled: None) -> None:
    """Let the test connect to ::1 too (the harness allows 127.0.0.1 only)."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", "::1"])


@pytest.mark.usefixtures("allow_ipv6_loopback")
async def test_user_flow_ipv6(hass: HomeAssistant) -> None:
    """A bracketed IPv6 address with a port reaches a hub listening on ::1."""
    emu = Emulator(api_keys=[API_KEY], drift_interval=0)
    try:
        await emu.start(host="::1", port=0, cloud_port=None)
    except OSError:
        pytest.skip("IPv6 loopback is not available on this machine")
    try:
        result = await start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(f"[::1]:{emu.port}")
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_HOST] == "::1"
        assert result["data"][CONF_PORT] == emu.port
        assert result["data"][CONF_FINGERPRINT] == emu.fingerprint
        await hass.async_block_till_done()
        assert result["result"].state is ConfigEntryState.LOADED
        assert await hass.config_entries.async_unload(result["result"].entry_id)
    finally:
        await emu.stop()


@pytest.mark.usefixtures("refused_handshakes_expected")
async def test_user_flow_ca_mode_then_pin(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """CA verification fails on the self-signed hub; pinning then works."""
    result = await start_user_flow(hass)
    host = f"127.0.0.1:{emulator.port}"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(host, mode=CERTIFICATE_MODE_CA)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "local"
    assert result["errors"] == {CONF_CERTIFICATE_MODE: "certificate_untrusted"}
    assert suggested_values(result)[CONF_CERTIFICATE_MODE] == CERTIFICATE_MODE_CA
    assert emulator.stats.count(*GET_INFO) == 0

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(host)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_CERTIFICATE_MODE] == CERTIFICATE_MODE_PIN
    assert result["data"][CONF_FINGERPRINT] == emulator.fingerprint


async def test_user_flow_invalid_key_then_valid(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A refused key is flagged on its field and what was typed is kept."""
    result = await start_user_flow(hass)
    host = f"127.0.0.1:{emulator.port}"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(host, api_key="wrong-key")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_KEY: "invalid_auth"}
    assert suggested_values(result) == user_input(host, api_key="wrong-key")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(host)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_API_KEY] == API_KEY


async def test_user_flow_cannot_connect(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Nothing listening: cannot_connect on the host field names what was tried."""
    result = await start_user_flow(hass)
    port = free_port()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(f" 127.0.0.1:{port}")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "cannot_connect"}
    assert result["description_placeholders"] == {"address": f"127.0.0.1:{port}"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(f"127.0.0.1:{emulator.port}")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_rate_limited(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """A 429 shows when to try again; after that time the hub is added."""
    emulator.set_rate_limit(1)
    client = HearthHubClient(
        async_get_clientsession(hass),
        "127.0.0.1",
        ApiKeyAuth(API_KEY),
        port=emulator.port,
        ssl=pinned_ssl(emulator.fingerprint or ""),
    )
    await client.async_get_info()

    result = await start_user_flow(hass)
    host = f"127.0.0.1:{emulator.port}"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(host)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "rate_limited"}
    assert result["description_placeholders"] == {"retry_after": "60"}
    assert emulator.stats.rate_limited == 1

    freezer.tick(timedelta(seconds=61))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(host)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_unsupported_version(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A hub that speaks API 2.x is refused until it speaks 1.x again."""
    emulator.add_fault("api_version", version="2.0")
    result = await start_user_flow(hass)
    host = f"127.0.0.1:{emulator.port}"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(host)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unsupported_version"}

    emulator.clear_faults()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(host)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_unexpected_error(
    hass: HomeAssistant, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug shows unknown (and is logged with its traceback)."""
    result = await start_user_flow(hass)
    host = f"127.0.0.1:{emulator.port}"
    with patch(
        "custom_components.hearth.connection.async_check_hub",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(host)
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while connecting to the hub" in caplog.text

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(host)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("host", "api_key", "errors"),
    [
        ("https://127.0.0.1", API_KEY, {CONF_HOST: "host_is_url"}),
        ("127.0.0.1/api/v1", API_KEY, {CONF_HOST: "host_is_url"}),
        ("", API_KEY, {CONF_HOST: "invalid_host"}),
        ("   ", API_KEY, {CONF_HOST: "invalid_host"}),
        ("my hub", API_KEY, {CONF_HOST: "invalid_host_character"}),
        (":8443", API_KEY, {CONF_HOST: "invalid_host"}),
        ("::gg", API_KEY, {CONF_HOST: "invalid_host"}),
        ("[::1", API_KEY, {CONF_HOST: "invalid_host"}),
        ("[::1]8443", API_KEY, {CONF_HOST: "invalid_host"}),
        ("[127.0.0.1]:8443", API_KEY, {CONF_HOST: "invalid_host"}),
        ("127.0.0.1:0", API_KEY, {CONF_HOST: "invalid_port"}),
        ("127.0.0.1:65536", API_KEY, {CONF_HOST: "invalid_port"}),
        ("127.0.0.1:https", API_KEY, {CONF_HOST: "invalid_port"}),
        ("[::1]:", API_KEY, {CONF_HOST: "invalid_port"}),
        ("127.0.0.1", "", {CONF_API_KEY: "invalid_api_key"}),
        ("127.0.0.1", " \t ", {CONF_API_KEY: "invalid_api_key"}),
        ("127.0.0.1", f"{API_KEY}\r\nX: 1", {CONF_API_KEY: "malformed_api_key"}),
        (
            UNSPECIFIED,
            "",
            {CONF_HOST: "not_a_hub_address", CONF_API_KEY: "invalid_api_key"},
        ),
    ],
)
async def test_user_flow_field_errors(
    hass: HomeAssistant,
    emulator: Emulator,
    host: str,
    api_key: str,
    errors: dict[str, str],
) -> None:
    """Unusable input is flagged under its field, nothing is sent, it is kept."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(host, api_key=api_key)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "local"
    assert result["errors"] == errors
    assert suggested_values(result) == user_input(host, api_key=api_key)
    assert emulator.stats.count(*GET_INFO) == 0

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(f"127.0.0.1:{emulator.port}")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("host", "errors", "placeholders"),
    [
        # Examples from the hardening issue; most once ended in a 500 or a
        # traceback, or were accepted as a host.
        ("127.0.0.1:\u00b2", {CONF_HOST: "invalid_port"}, {}),
        ("127.0.0.1:" + "9" * 10_000, {CONF_HOST: "invalid_port"}, {}),
        ("127.0.0.1:\uff18\uff14\uff14\uff13", {CONF_HOST: "invalid_port"}, {}),
        (
            "user@127.0.0.1",
            {CONF_HOST: "invalid_host_character"},
            {"character": "“@” (U+0040)"},
        ),
        (
            "hub{1}",
            {CONF_HOST: "invalid_host_character"},
            {"character": "“{” (U+007B)"},
        ),
        (
            "127.0.0.1?x=1",
            {CONF_HOST: "invalid_host_character"},
            {"character": "“?” (U+003F)"},
        ),
        (
            "127.0.0.1#x",
            {CONF_HOST: "invalid_host_character"},
            {"character": "“#” (U+0023)"},
        ),
        (
            "hub\\share",
            {CONF_HOST: "invalid_host_character"},
            {"character": "“\\” (U+005C)"},
        ),
        (
            "127.0.0.1\x00",
            {CONF_HOST: "invalid_host_character"},
            {"character": "U+0000"},
        ),
        (
            "127.0.0.1\u200b",
            {CONF_HOST: "invalid_host_character"},
            {"character": "U+200B ZERO WIDTH SPACE"},
        ),
        ("h" * 10_240, {CONF_HOST: "host_too_long"}, {"max_length": "253"}),
        (UNSPECIFIED, {CONF_HOST: "not_a_hub_address"}, {"address": UNSPECIFIED}),
        ("[::]:8443", {CONF_HOST: "not_a_hub_address"}, {"address": "::"}),
        ("224.0.0.251", {CONF_HOST: "not_a_hub_address"}, {"address": "224.0.0.251"}),
        ("127.1", {CONF_HOST: "invalid_host"}, {}),
        ("2130706433", {CONF_HOST: "invalid_host"}, {}),
        ("\u0661\u0662\u0667.\u0660.\u0660.\u0661", {CONF_HOST: "invalid_host"}, {}),
        ("-hub.local", {CONF_HOST: "invalid_host"}, {}),
    ],
)
async def test_user_flow_hostile_host(
    hass: HomeAssistant,
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    host: str,
    errors: dict[str, str],
    placeholders: dict[str, str],
) -> None:
    """A hostile host gets a translated field error, no request and no log."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(host)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert result["description_placeholders"] == placeholders
    assert emulator.stats.total == 0
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


@pytest.mark.parametrize(
    "api_key",
    [
        f"{API_KEY}\r\nX-Injected: 1",
        f"{API_KEY}\nmore",
        "test\x00key",
        "test key",
        "test\u200bkey",
        "schl\u00fcssel",
        "k" * 1025,
    ],
    ids=["crlf", "lf-inside", "nul", "space", "zero-width", "non-ascii", "too-long"],
)
async def test_user_flow_malformed_key(
    hass: HomeAssistant,
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    api_key: str,
) -> None:
    """A key that cannot be sent as typed is flagged on its field, unsent."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(f"127.0.0.1:{emulator.port}", api_key=api_key)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_KEY: "malformed_api_key"}
    assert emulator.stats.total == 0
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


async def test_user_flow_full_width_address(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """An address in full-width digits is stored in ASCII, as browsers read it."""
    # U+FF10 to U+FF19 are the full-width digits, U+FF0E the full stop.
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in "127.0.0.1")
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(f"{full_width}:{emulator.port}")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == hub_entry_data(emulator)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("192.168.1.20", ("192.168.1.20", 443)),
        (" hearth-3f2a9c.local:8443 ", ("hearth-3f2a9c.local", 8443)),
        ("fe80::1", ("fe80::1", 443)),
        ("::1:8443", ("::1:8443", 443)),
        ("[fe80::1]", ("fe80::1", 443)),
        ("[fe80::1]:8443", ("fe80::1", 8443)),
        ("hub:65535", ("hub", 65535)),
        ("Hearth-3F2A9C.Local.", ("hearth-3f2a9c.local", 443)),
        ("b\u00fccher.example:8443", ("xn--bcher-kva.example", 8443)),
        ("[::FFFF:127.0.0.1]", ("::ffff:127.0.0.1", 443)),
    ],
)
def test_parse_host(value: str, expected: tuple[str, int]) -> None:
    """Host names, IPv4 and IPv6 (bare or bracketed) split into host and port."""
    assert parse_host(value, DEFAULT_PORT) == expected


async def test_user_flow_already_configured(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """Adding a configured hub again aborts and stores its new address."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_HOST: "localhost", CONF_PORT: 1},
    )
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(f"127.0.0.1:{emulator.port}")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data[CONF_HOST] == "127.0.0.1"
    assert mock_config_entry.data[CONF_PORT] == emulator.port
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


# Reauthentication


@pytest.fixture
def revoked_entry(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Return the entry with a key the hub no longer accepts."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_API_KEY: "revoked"}
    )
    return mock_config_entry


async def test_reauth_after_refused_key(
    hass: HomeAssistant, emulator: Emulator, revoked_entry: MockConfigEntry
) -> None:
    """A refused key starts reauth; a wrong key is refused, a good one reloads."""
    assert not await hass.config_entries.async_setup(revoked_entry.entry_id)
    await hass.async_block_till_done()
    assert revoked_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == "reauth"
    assert flows[0]["step_id"] == "reauth_confirm"
    flow_id = flows[0]["flow_id"]

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_KEY: "still-wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {CONF_API_KEY: "invalid_auth"}
    assert result["description_placeholders"] == {"name": "Hearth Hub"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_KEY: f" {READ_ONLY_KEY} "}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert revoked_entry.data[CONF_API_KEY] == READ_ONLY_KEY
    assert revoked_entry.data[CONF_FINGERPRINT] == emulator.fingerprint
    await hass.async_block_till_done()
    assert revoked_entry.state is ConfigEntryState.LOADED


async def test_reauth_keeps_the_pin(
    hass: HomeAssistant, emulator: Emulator, revoked_entry: MockConfigEntry
) -> None:
    """Reauth never re-pins: a changed certificate is refused, the key unused."""
    hass.config_entries.async_update_entry(
        revoked_entry,
        data={**revoked_entry.data, CONF_FINGERPRINT: STALE_FINGERPRINT},
    )
    result = await revoked_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "certificate_mismatch"}
    assert emulator.stats.count(*GET_INFO) == 0
    assert revoked_entry.data[CONF_API_KEY] == "revoked"


async def test_reauth_wrong_hub(
    hass: HomeAssistant,
    emulator: Emulator,
    other_hub: Emulator,
    revoked_entry: MockConfigEntry,
) -> None:
    """When another hub now answers at the address, reauth aborts."""
    hass.config_entries.async_update_entry(
        revoked_entry,
        data={
            **revoked_entry.data,
            CONF_PORT: other_hub.port,
            CONF_FINGERPRINT: other_hub.fingerprint,
        },
    )
    assert other_hub.hub_id != emulator.hub_id
    result = await revoked_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_hub"
    assert revoked_entry.data[CONF_API_KEY] == "revoked"


# Reconfiguration


async def test_reconfigure(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """Reconfigure shows the current settings and re-pins the certificate."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={
            **mock_config_entry.data,
            CONF_HOST: "::1",
            CONF_PORT: 443,
            CONF_FINGERPRINT: STALE_FINGERPRINT,
        },
    )
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {}
    assert suggested_values(result) == user_input("[::1]")

    host = f"127.0.0.1:{emulator.port}"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(host, api_key="wrong-key")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_KEY: "invalid_auth"}
    assert suggested_values(result) == user_input(host, api_key="wrong-key")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(host, api_key=READ_ONLY_KEY)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert dict(mock_config_entry.data) == hub_entry_data(emulator, READ_ONLY_KEY)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED


async def test_reconfigure_shows_port(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """A port other than 443 is part of the pre-filled host field."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert suggested_values(result)[CONF_HOST] == f"127.0.0.1:{emulator.port}"


async def test_reconfigure_wrong_hub(
    hass: HomeAssistant,
    emulator: Emulator,
    other_hub: Emulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Pointing an entry at another hub aborts and changes nothing."""
    mock_config_entry.add_to_hass(hass)
    before = dict(mock_config_entry.data)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(f"127.0.0.1:{other_hub.port}")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_hub"
    assert dict(mock_config_entry.data) == before


@pytest.mark.parametrize(
    ("host", "api_key", "errors"),
    [
        ("https://127.0.0.1:{port}", API_KEY, {CONF_HOST: "host_is_url"}),
        ("127.0.0.1\u200b:{port}", API_KEY, {CONF_HOST: "invalid_host_character"}),
        ("127.0.0.1:{port}", f"{API_KEY}\r\n", {}),
        ("127.0.0.1:{port}", f"{API_KEY}\r\nX: 1", {CONF_API_KEY: "malformed_api_key"}),
        ("127.0.0.1:{free}", API_KEY, {CONF_HOST: "cannot_connect"}),
    ],
    ids=["url", "zero-width-space", "trailing-crlf", "crlf-inside", "cannot-connect"],
)
async def test_reconfigure_field_error(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    host: str,
    api_key: str,
    errors: dict[str, str],
) -> None:
    """Bad input is flagged on its field and nothing is changed.

    A line break after the key, as a paste often brings, is only trimmed.
    """
    mock_config_entry.add_to_hass(hass)
    before = dict(mock_config_entry.data)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    host = host.format(port=emulator.port, free=free_port())
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(host, api_key=api_key)
    )
    if not errors:
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert dict(mock_config_entry.data) == before
        await hass.async_block_till_done()
        assert mock_config_entry.state is ConfigEntryState.LOADED
        return
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == errors
    assert dict(mock_config_entry.data) == before


@pytest.mark.usefixtures("allow_ipv6_loopback")
async def test_reauth_cannot_connect(
    hass: HomeAssistant, emulator: Emulator, revoked_entry: MockConfigEntry
) -> None:
    """Reauth has no host field: cannot_connect is shown for the form, with the address."""
    port = free_port()
    hass.config_entries.async_update_entry(
        revoked_entry, data={**revoked_entry.data, CONF_HOST: "::1", CONF_PORT: port}
    )
    result = await revoked_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert result["description_placeholders"] == {
        "name": "Hearth Hub",
        "address": f"[::1]:{port}",
    }
    assert revoked_entry.data[CONF_API_KEY] == "revoked"


# Options


async def test_options_flow_reloads(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """A new scan interval is stored and the entry reloads to use it."""
    coordinator = init_integration.runtime_data
    assert coordinator.update_interval == timedelta(seconds=30)
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert suggested_values(result) == {CONF_SCAN_INTERVAL: 30}

    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_SCAN_INTERVAL: 5}
        )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 120}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_SCAN_INTERVAL: 120}
    await hass.async_block_till_done()
    assert init_integration.options == {CONF_SCAN_INTERVAL: 120}
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data is not coordinator
    assert init_integration.runtime_data.update_interval == timedelta(seconds=120)
    assert emulator.stats.count(*GET_STATE) == 2

    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert suggested_values(result) == {CONF_SCAN_INTERVAL: 120}
