"""End to end: button presses and a firmware install in a real Home Assistant.

This module has its own Home Assistant and emulator (the fixtures are
module-scoped), with the default options: presses come by the event stream,
the only way they come. Presses are made through the emulator's admin API,
as a person at the wall switch would; the install is started through Home
Assistant's ``update.install`` action.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
import statistics
import time
from typing import Any

import pytest

from tests.harness.processes import EmulatorProcess, HassProcess, wait_for

from .flows import add_hub

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.timeout(300),
]

PRESSES = 20
ON_BUTTON = "event.living_room_remote_on"
BRIGHTER = "event.living_room_remote_brighter"
PORCH = "switch.porch_switch"
FIRMWARE = "update.hearth_hub_firmware"
#: A bound no healthy machine comes near; the figure itself is printed.
GENEROUS_MEDIAN = 0.5


@pytest.fixture(scope="module")
def hub(hass_process: HassProcess, emulator_process: EmulatorProcess) -> str:
    """Add the emulated hub with the default options; return the entry id."""
    results = add_hub(hass_process, emulator_process)
    assert results[-1]["type"] == "create_entry", results
    wait_for(
        lambda: emulator_process.admin_json("GET", "/admin")["event_streams"] == 1,
        "the event stream to open",
        timeout=60,
        diagnose=hass_process.log_tail,
    )
    wait_for(
        lambda: hass_process.state(FIRMWARE)["state"] == "on",
        "the firmware update to show",
        timeout=30,
        diagnose=hass_process.log_tail,
    )
    entry_id: str = results[-1]["result"]["entry_id"]
    return entry_id


@pytest.fixture
def double_press_automation(hass_process: HassProcess, hub: str) -> Generator[str]:
    """Turn the porch switch on at a double press of the remote's On button."""
    automation_id = "hearth_e2e_double_press"
    config = {
        "id": automation_id,
        "alias": "Hearth e2e: porch on at a double press",
        "triggers": [
            {"trigger": "state", "entity_id": ON_BUTTON, "not_from": "unavailable"}
        ],
        "conditions": [
            {
                "condition": "state",
                "entity_id": ON_BUTTON,
                "attribute": "event_type",
                "state": "multi_press_end",
            }
        ],
        "actions": [{"action": "switch.turn_on", "target": {"entity_id": PORCH}}],
        "mode": "single",
    }
    hass_process.post(f"/api/config/automation/config/{automation_id}", config)

    def entity_id() -> str | None:
        return next(
            (
                state["entity_id"]
                for state in hass_process.get("/api/states")
                if state["entity_id"].startswith("automation.")
                and state["attributes"].get("id") == automation_id
                and state["state"] == "on"
            ),
            None,
        )

    yield wait_for(entity_id, "the automation to be on", timeout=30)
    response = hass_process.request(
        "DELETE", f"/api/config/automation/config/{automation_id}"
    )
    assert response.ok, response.text


def _press(emulator: EmulatorProcess, button: str, press_type: str) -> Any:
    return emulator.admin_json(
        "POST",
        "/admin/devices/button-2/press",
        {"button_id": button, "press_type": press_type},
    )


def _fired_at(state: dict[str, Any]) -> float:
    """Return when the event fired: an event entity's state is that moment."""
    return datetime.fromisoformat(state["state"]).timestamp()


def test_a_double_press_runs_an_automation(
    hass_process: HassProcess,
    emulator_process: EmulatorProcess,
    double_press_automation: str,
) -> None:
    """A double press at the remote turns the porch switch on through an automation."""
    emulator_process.admin_json(
        "PATCH", "/admin/devices/switch-1", {"state": {"on": False}}
    )
    wait_for(
        lambda: hass_process.state(PORCH)["state"] == "off",
        "the porch switch to show off",
        timeout=10,
    )
    _press(emulator_process, "on", "double")
    wait_for(
        lambda: emulator_process.device("switch-1")["state"]["on"],
        "the automation to turn the porch switch on at the hub",
        timeout=10,
        diagnose=hass_process.log_tail,
    )
    state = hass_process.state(ON_BUTTON)
    assert state["attributes"]["event_type"] == "multi_press_end"
    assert state["attributes"]["multi_press_count"] == 2
    automation = hass_process.state(double_press_automation)
    assert automation["attributes"]["last_triggered"] is not None


def test_press_to_event_latency(
    hass_process: HassProcess, emulator_process: EmulatorProcess, hub: str
) -> None:
    """Twenty presses: each fires once, and the median latency is printed.

    The latency is the event's own time (the entity's state) minus the moment
    just before the press was asked for; both are this machine's clock.
    """
    latencies: list[float] = []
    previous = hass_process.state(BRIGHTER)["state"]
    for step in range(PRESSES):
        press_type = "short" if step % 2 else "long"
        asked = time.time()
        _press(emulator_process, "up", press_type)
        state = wait_for(
            lambda previous=previous: (
                s if (s := hass_process.state(BRIGHTER))["state"] != previous else None
            ),
            f"press {step + 1} to fire",
            timeout=5,
            interval=0.02,
        )
        expected = "press_end" if press_type == "short" else "long_press_start"
        assert state["attributes"]["event_type"] == expected
        latencies.append(_fired_at(state) - asked)
        previous = state["state"]
    median, worst = statistics.median(latencies), max(latencies)
    print(  # noqa: T201 - figures for the report (pytest -s)
        f"press → event over {PRESSES} presses: median {median * 1000:.1f} ms, "
        f"max {worst * 1000:.1f} ms"
    )
    assert median <= GENEROUS_MEDIAN, latencies


def test_firmware_install_runs_to_the_new_version_quietly(
    hass_process: HassProcess, emulator_process: EmulatorProcess, hub: str
) -> None:
    """update.install runs to the new firmware, with no warning or error logged."""
    emulator_process.admin_json(
        "PATCH", "/admin/firmware", {"step_seconds": 0.2, "restart_seconds": 2}
    )
    before = hass_process.state(FIRMWARE)
    assert before["attributes"]["installed_version"] == "1.4.2"
    assert before["attributes"]["latest_version"] == "1.5.0"
    log_start = hass_process.log_size()
    started = time.monotonic()
    response = hass_process.call_service("update", "install", {"entity_id": FIRMWARE})
    assert response.ok, response.text
    after = wait_for(
        lambda: (
            s
            if (s := hass_process.state(FIRMWARE))["attributes"]["installed_version"]
            == "1.5.0"
            else None
        ),
        "the hub to run the new firmware",
        timeout=60,
        diagnose=hass_process.log_tail,
    )
    print(  # noqa: T201 - figures for the report (pytest -s)
        f"firmware install to the new version: {time.monotonic() - started:.1f} s"
    )
    assert after["state"] == "off"
    assert after["attributes"]["in_progress"] is False
    assert emulator_process.admin_json("GET", "/admin")["hub"]["firmware"] == "1.5.0"
    wait_for(
        lambda: emulator_process.admin_json("GET", "/admin")["event_streams"] == 1,
        "the event stream to reopen",
        timeout=30,
    )
    assert hass_process.state(PORCH)["state"] != "unavailable"
    loud = [
        f"{record['level']} {record['logger']}: {record['message']}"
        for record in hass_process.log_records(log_start)
        if record["level"] in {"WARNING", "ERROR", "CRITICAL"}
    ]
    assert loud == []
