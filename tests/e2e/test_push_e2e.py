"""End to end: the event stream in a real Home Assistant, at the default scan interval.

This module has its own Home Assistant and emulator (the fixtures are
module-scoped) and leaves the options alone, so the hub is polled at the
default 30 s: every change that shows faster than that came by the stream.
"""

from __future__ import annotations

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
    pytest.mark.timeout(600),
]

CHANGES = 10
IDLE_SECONDS = 120.0
TEMPERATURE = "sensor.living_room_climate_temperature"
PORCH = "switch.porch_switch"


def _stream_open(emulator: EmulatorProcess) -> bool:
    return bool(emulator.admin_json("GET", "/admin")["event_streams"] == 1)


@pytest.fixture(scope="module")
def hub_entry_id(hass_process: HassProcess, emulator_process: EmulatorProcess) -> str:
    """Add the emulated hub with the default options; return the entry id."""
    results = add_hub(hass_process, emulator_process)
    assert results[-1]["type"] == "create_entry", results
    wait_for(
        lambda: hass_process.state(PORCH)["state"] == "off",
        "the porch switch to show",
        timeout=60,
        diagnose=hass_process.log_tail,
    )
    wait_for(
        lambda: _stream_open(emulator_process),
        "the event stream to open",
        timeout=30,
        diagnose=hass_process.log_tail,
    )
    entry_id: str = results[-1]["result"]["entry_id"]
    return entry_id


def _updated(state: dict[str, Any]) -> float:
    return datetime.fromisoformat(state["last_updated"]).timestamp()


def test_changes_show_within_a_tenth_of_a_second(
    hub_entry_id: str, hass_process: HassProcess, emulator_process: EmulatorProcess
) -> None:
    """Ten changes made at the hub: median ≤ 0.1 s and max ≤ 1 s until HA shows them.

    The latency is Home Assistant's own write time of the new state minus the
    moment just before the change was asked for: both are this machine's
    clock, and the polling of the REST API here adds nothing to it.
    """
    latencies: list[float] = []
    for step in range(CHANGES):
        value = round(18.0 + step * 0.7, 1)
        asked = time.time()
        emulator_process.admin_json(
            "PATCH", "/admin/devices/sensor-1", {"state": {"temperature": value}}
        )
        state = wait_for(
            lambda value=value: (
                s
                if float((s := hass_process.state(TEMPERATURE))["state"]) == value
                else None
            ),
            f"the temperature {value} to show",
            timeout=5,
            interval=0.05,
        )
        latencies.append(_updated(state) - asked)
    median, worst = statistics.median(latencies), max(latencies)
    print(  # noqa: T201 - figures for the report (pytest -s)
        f"change → HA state over {CHANGES} changes: median {median * 1000:.1f} ms, "
        f"max {worst * 1000:.1f} ms"
    )
    assert median <= 0.1, latencies
    assert worst <= 1.0, latencies


def test_idle_hub_is_hardly_polled(
    hub_entry_id: str, emulator_process: EmulatorProcess
) -> None:
    """While the stream is open, an idle hub gets at most 2 GET /state in 120 s."""
    emulator_process.admin_json("POST", "/admin/stats/reset")
    time.sleep(IDLE_SECONDS)  # the measurement window itself
    stats = emulator_process.admin_json("GET", "/admin/stats")
    polls = stats["by_route"].get("GET /api/v1/state", 0)
    print(f"idle for {IDLE_SECONDS:.0f} s: {stats['by_route']}")  # noqa: T201
    assert polls <= 2, stats
    # The stream stayed open: no reconnection either.
    assert stats["by_route"].get("GET /api/v1/events", 0) == 0, stats
    assert _stream_open(emulator_process)


def test_stream_comes_back_after_the_hub_restarts(
    hub_entry_id: str, hass_process: HassProcess, emulator_process: EmulatorProcess
) -> None:
    """Stop and start the hub: the stream reopens, and what changed meanwhile shows.

    The emulator starts over with the demo home, so the porch switch turned
    on before the stop is off again after the start: a change Home Assistant
    could only learn from the resync when the stream reopened. The outage is
    logged once when it starts (the hub cannot be polled either) and once
    when it ends; a hub that is away is retried at most 5 s apart.
    """
    emulator_process.admin_json(
        "PATCH", "/admin/devices/switch-1", {"state": {"on": True}}
    )
    wait_for(
        lambda: hass_process.state(PORCH)["state"] == "on",
        "the porch switch to show on",
        timeout=5,
    )
    log_start = hass_process.log_size()
    emulator_process.stop()
    try:
        wait_for(
            lambda: any(
                record["logger"].startswith("custom_components.hearth")
                and record["level"] in {"WARNING", "ERROR"}
                for record in hass_process.log_records(log_start)
            ),
            "the outage to be reported",
            timeout=60,
            diagnose=hass_process.log_tail,
        )
    finally:
        emulator_process.start()
    restarted = time.monotonic()
    wait_for(
        lambda: _stream_open(emulator_process),
        "the event stream to reopen",
        # At most 5 s apart while the hub is away; more for a busy machine.
        timeout=30,
        diagnose=hass_process.log_tail,
    )
    wait_for(
        lambda: hass_process.state(PORCH)["state"] == "off",
        "the porch switch to show the hub's state after the restart",
        timeout=10,
        diagnose=hass_process.log_tail,
    )
    print(  # noqa: T201 - figures for the report (pytest -s)
        f"stream back {time.monotonic() - restarted:.1f} s after the hub restarted"
    )
    # And the stream carries changes again.
    asked = time.time()
    emulator_process.admin_json(
        "PATCH", "/admin/devices/switch-1", {"state": {"on": True}}
    )
    state = wait_for(
        lambda: s if (s := hass_process.state(PORCH))["state"] == "on" else None,
        "a new change to show",
        timeout=5,
        interval=0.05,
    )
    assert _updated(state) - asked <= 1.0
    lines = [
        (record["level"], record["message"].splitlines()[0])
        for record in hass_process.log_records(log_start)
        if record["logger"].startswith("custom_components.hearth")
        and record["level"] != "DEBUG"
    ]
    assert [level for level, _ in lines] == ["ERROR", "INFO"], lines
    assert lines[1][1] == "Fetching Hearth Hub data recovered", lines
