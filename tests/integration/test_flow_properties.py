"""No step of the local config flows raises, for any text (hypothesis).

Whatever is typed into the user, reconfigure and reauth forms ends as a
translated form error, an entry, or a clean abort: never an exception, a
500 or a logged traceback.

Every address the validator passes is contacted for real, but at the
emulator: random host names cannot be resolved here, so the one seam is
``connection.async_check_hub``, whose host and port are swapped for the emulator's
after the test has checked what the flow would have contacted. Entries the
flows create are not set up (``async_setup_entry`` is patched), for the
same reason. Most examples are refused before any I/O, which keeps the
examples cheap; the rest cost one request to the emulator.
"""

from __future__ import annotations

from collections.abc import Generator
import json
import logging
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch

from homeassistant.const import CONF_API_KEY, CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from hypothesis import HealthCheck, event, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hearth import connection
from custom_components.hearth.const import CERTIFICATE_MODE_CA, CERTIFICATE_MODE_PIN
from emulator import Emulator
from tests.harness.emulators import API_KEY
from tests.harness.hosts import ANY_TEXT, assert_usable_host
from tests.integration.helpers import start_user_flow, user_input

STRINGS: dict[str, Any] = json.loads(
    (
        Path(__file__).parents[2] / "custom_components" / "hearth" / "strings.json"
    ).read_text(encoding="utf-8")
)["config"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")

#: Keys: mostly arbitrary text, often the right key with some noise.
KEYS = st.one_of(
    st.text(),
    st.just(API_KEY),
    st.builds(
        "{}{}{}".format, st.text(max_size=2), st.just(API_KEY), st.text(max_size=2)
    ),
)
#: Hosts: any text, or an address that passes, so that the key is tried too.
HOSTS = st.one_of(
    ANY_TEXT,
    st.sampled_from(
        ["127.0.0.1", " hub.local:8443 ", "[::1]:8443", "B\u00fccher.example"]
    ),
)
MODES = st.sampled_from([CERTIFICATE_MODE_PIN, CERTIFICATE_MODE_CA])
#: Bounded and deterministic; each example is one or two form submissions.
FLOW_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    # The hass instance and the emulator are shared by the examples on
    # purpose: each example runs its own flow, and removes it.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def contacted(emulator: Emulator) -> Generator[list[tuple[str, int]]]:
    """Send every hub check to the emulator; yield the addresses it was meant for."""
    addresses: list[tuple[str, int]] = []
    check = connection.async_check_hub

    async def check_at_emulator(
        hass: HomeAssistant, host: str, port: int, *args: Any
    ) -> connection.HubCheck:
        addresses.append((host, port))
        return await check(hass, "127.0.0.1", emulator.port, *args)

    with (
        patch.object(connection, "async_check_hub", check_at_emulator),
        patch("custom_components.hearth.async_setup_entry", return_value=True),
        patch("custom_components.hearth.async_unload_entry", return_value=True),
    ):
        yield addresses


@pytest.fixture
def added_entry(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Add the hub's entry (not set up) for the examples to reconfigure."""
    mock_config_entry.add_to_hass(hass)
    return mock_config_entry


async def submit(
    hass: HomeAssistant,
    flow_id: str,
    user_input: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    contacted: list[tuple[str, int]],
    aborts: set[str],
) -> None:
    """Submit a form; check it gives a translated field error, an entry or an abort.

    Only addresses the validator passed may have been contacted, and
    nothing may have been logged at ERROR.
    """
    result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors[0].getMessage()
    event(str(result.get("errors") or result.get("reason") or result["type"]))
    if result["type"] is FlowResultType.FORM:
        assert result["errors"]
        assert set(result["errors"]) <= {*user_input, "base"}
        placeholders = result["description_placeholders"] or {}
        for error in result["errors"].values():
            assert error in STRINGS["error"], error
            assert set(PLACEHOLDER.findall(STRINGS["error"][error])) <= {
                key for key, value in placeholders.items() if value
            }
        hass.config_entries.flow.async_abort(result["flow_id"])
    elif result["type"] is FlowResultType.CREATE_ENTRY:
        assert_usable_host(result["data"][CONF_HOST])
        assert result["data"][CONF_API_KEY] == API_KEY
    else:
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] in aborts
    for host, port in contacted:
        assert_usable_host(host)
        assert 0 < port < 65536
    contacted.clear()
    await hass.async_block_till_done()


@pytest.mark.usefixtures("refused_handshakes_expected")
@FLOW_SETTINGS
@given(host=HOSTS, api_key=KEYS, mode=MODES)
async def test_user_step_never_raises(
    hass: HomeAssistant,
    contacted: list[tuple[str, int]],
    caplog: pytest.LogCaptureFixture,
    host: str,
    api_key: str,
    mode: str,
) -> None:
    """Any host and key in the user step: a form error, an entry or an abort."""
    result = await start_user_flow(hass)
    await submit(
        hass,
        result["flow_id"],
        user_input(host, api_key, mode),
        caplog,
        contacted,
        {"already_configured"},
    )


@pytest.mark.usefixtures("refused_handshakes_expected")
@FLOW_SETTINGS
@given(host=HOSTS, api_key=KEYS, mode=MODES)
async def test_reconfigure_step_never_raises(
    hass: HomeAssistant,
    contacted: list[tuple[str, int]],
    added_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    host: str,
    api_key: str,
    mode: str,
) -> None:
    """Any host and key in reconfigure: a form error or a clean abort."""
    result = await added_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    await submit(
        hass,
        result["flow_id"],
        user_input(host, api_key, mode),
        caplog,
        contacted,
        {"reconfigure_successful"},
    )


@FLOW_SETTINGS
@given(api_key=KEYS)
async def test_reauth_step_never_raises(
    hass: HomeAssistant,
    contacted: list[tuple[str, int]],
    added_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    api_key: str,
) -> None:
    """Any key in reauth: a form error or a clean abort."""
    result = await added_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    await submit(
        hass,
        result["flow_id"],
        {CONF_API_KEY: api_key},
        caplog,
        contacted,
        {"reauth_successful"},
    )
