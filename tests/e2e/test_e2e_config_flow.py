"""End to end: hostile input to the config flow of a real Home Assistant.

Each value is posted through the REST config-flow API, as the frontend
does. Each must give a translated error on the field at fault, or a clean
entry, and nothing may be logged at ERROR. Run only these with
``scripts/test -m e2e --no-cov``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.ports import free_port
from tests.harness.processes import API_KEY, EmulatorProcess, HassProcess

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.timeout(300),
]

FLOW = "/api/config/config_entries/flow"
FULL_WIDTH_LOOPBACK = "".join(chr(ord(char) + 0xFEE0) for char in "127.0.0.1")
#: Host field, key, and the field errors expected (None: a clean entry).
#: ``{port}`` is the emulator's port.
HOSTILE: list[tuple[str, str, dict[str, str] | None]] = [
    ("127.0.0.1:\u00b2", API_KEY, {"host": "invalid_port"}),
    ("127.0.0.1:" + "9" * 10_000, API_KEY, {"host": "invalid_port"}),
    ("user@127.0.0.1:{port}", API_KEY, {"host": "invalid_host_character"}),
    ("127.0.0.1{{:{port}", API_KEY, {"host": "invalid_host_character"}),
    ("127.0.0.1?:{port}", API_KEY, {"host": "invalid_host_character"}),
    ("127.0.0.1#:{port}", API_KEY, {"host": "invalid_host_character"}),
    ("127.0.0.1\\:{port}", API_KEY, {"host": "invalid_host_character"}),
    ("127.0.0.1\x00:{port}", API_KEY, {"host": "invalid_host_character"}),
    ("h" * 10_240, API_KEY, {"host": "host_too_long"}),
    (
        "127.0.0.1:{port}",
        f"{API_KEY}\r\nX-Injected: 1",
        {"api_key": "malformed_api_key"},
    ),
    ("127.0.0.1\u200b:{port}", API_KEY, {"host": "invalid_host_character"}),
    ("0.0.0.0:{port}", API_KEY, {"host": "not_a_hub_address"}),
    ("127.0.0.1:{port}", "wrong-key", {"api_key": "invalid_auth"}),
    ("127.0.0.1:{free}", API_KEY, {"host": "cannot_connect"}),
    (FULL_WIDTH_LOOPBACK + ":{port}", API_KEY, None),
]


def _translations(hass: HassProcess) -> dict[str, str]:
    """Return the config-flow texts the frontend would show, by key."""
    result = hass.websocket(
        {
            "type": "frontend/get_translations",
            "language": "en",
            "category": "config",
            "integration": ["hearth"],
        }
    )
    resources: dict[str, str] = result["resources"]
    return resources


def _submit(hass: HassProcess, host: str, api_key: str) -> dict[str, Any]:
    """Open the local form through the menu and submit it; return the answer."""
    flow = hass.post(FLOW, {"handler": "hearth"})
    assert flow["type"] == "menu", flow
    flow = hass.post(f"{FLOW}/{flow['flow_id']}", {"next_step_id": "local"})
    assert flow["type"] == "form", flow
    response = hass.request(
        "POST",
        f"{FLOW}/{flow['flow_id']}",
        {"host": host, "api_key": api_key, "certificate_mode": "pin"},
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    if answer["type"] == "form":
        hass.request("DELETE", f"{FLOW}/{answer['flow_id']}")
    return answer


def test_hostile_input_gets_field_errors(
    hass_process: HassProcess, emulator_process: EmulatorProcess
) -> None:
    """Every hostile example: a translated field error or an entry, no ERROR."""
    texts = _translations(hass_process)
    start = hass_process.log_size()
    free = free_port()
    created: list[str] = []
    for template, api_key, expected in HOSTILE:
        host = template.format(port=emulator_process.port, free=free)
        answer = _submit(hass_process, host, api_key)
        label = f"{host[:40]!r} / {api_key[:20]!r}"
        if expected is None:
            assert answer["type"] == "create_entry", (label, answer)
            created.append(answer["result"]["entry_id"])
            continue
        assert answer["type"] == "form", (label, answer)
        assert answer["errors"] == expected, (label, answer)
        for error in expected.values():
            text = texts[f"component.hearth.config.error.{error}"]
            assert text, (label, error)
            for name, value in (answer["description_placeholders"] or {}).items():
                assert f"{{{name}}}" in text, (label, name)
                assert value
        if expected == {"host": "cannot_connect"}:
            assert answer["description_placeholders"] == {
                "address": f"127.0.0.1:{free}"
            }

    entries = {
        entry["entry_id"]: entry
        for entry in hass_process.get("/api/config/config_entries/entry")
    }
    assert [entries[entry_id]["domain"] for entry_id in created] == ["hearth"]
    errors = [
        record
        for record in hass_process.log_records(start)
        if record["level"] in {"ERROR", "CRITICAL"}
    ]
    assert not errors, errors
