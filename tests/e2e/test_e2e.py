"""End to end: a real Home Assistant process runs the integration against the emulator.

One Home Assistant and one emulator serve the whole module (see conftest.py).
The ``integration`` fixture adds the hub through the config flow's REST API
and sets a 10 s scan interval through the options flow, so every test can run
on its own. Run only these with ``scripts/test -m e2e --no-cov``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
import time
from typing import Any

import pytest

from tests.harness.deprecations import DEPRECATION_REPORT
from tests.harness.processes import EmulatorProcess, HassProcess, wait_for

from .flows import add_hub, set_scan_interval

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.timeout(300),
]

SCAN_INTERVAL = 10
#: A poll happens within one scan interval; leave room for a slow machine.
POLL_TIMEOUT = 3 * SCAN_INTERVAL
#: Entity keys (``<device id>_<description key>``) of the emulator's demo home.
DEMO_ENTITIES = {
    "light-1_light",
    "light-2_light",
    "light-3_light",
    "light-4_light",
    "switch-1_switch",
    "switch-2_outlet",
    "switch-2_power",
    "switch-2_energy",
    "sensor-1_temperature",
    "sensor-1_humidity",
    "sensor-1_battery",
    "sensor-1_signal_strength",
    "sensor-2_illuminance",
    "sensor-2_battery",
    "sensor-3_power",
    "sensor-3_energy",
    "button-1_signal_strength",
    "button-1_button_top",
    "button-1_button_bottom",
    "button-2_battery",
    "button-2_signal_strength",
    "button-2_button_on",
    "button-2_button_off",
    "button-2_button_up",
    "button-2_button_down",
    "firmware",
}
#: Disabled by default, so they have no state.
DISABLED_ENTITIES = {
    "sensor-1_signal_strength",
    "button-1_signal_strength",
    "button-2_signal_strength",
}


@dataclass
class Integration:
    """The config entry made through the REST API, and its entities."""

    hass: HassProcess
    emulator: EmulatorProcess
    hub_id: str
    flow_results: list[dict[str, Any]]
    entry_id: str
    #: Entity id by entity key (``<device id>_<description key>``).
    entities: dict[str, str]

    @property
    def enabled_entities(self) -> dict[str, str]:
        """Return the entities that have a state."""
        return {
            key: entity_id
            for key, entity_id in self.entities.items()
            if key not in DISABLED_ENTITIES
        }

    def unavailable(self) -> list[str]:
        """Return the entities that are unavailable (or missing) now."""
        states = self.hass.states()
        return sorted(
            entity_id
            for entity_id in self.enabled_entities.values()
            if states.get(entity_id, {}).get("state", "unavailable") == "unavailable"
        )

    def entry_state(self) -> str:
        """Return the config entry's state, e.g. ``loaded``."""
        for entry in self.hass.get("/api/config/config_entries/entry"):
            if entry["entry_id"] == self.entry_id:
                state: str = entry["state"]
                return state
        pytest.fail(f"config entry {self.entry_id} is gone")

    def hearth_log(self, start: int) -> list[dict[str, str]]:
        """Return the integration's log records from byte ``start`` of the log."""
        return [
            record
            for record in self.hass.log_records(start)
            if record["logger"].split(".")[:2] == ["custom_components", "hearth"]
        ]


@pytest.fixture(scope="module")
def integration(
    hass_process: HassProcess, emulator_process: EmulatorProcess
) -> Integration:
    """Add the emulated hub to Home Assistant, polled every 10 s."""
    hass, emulator = hass_process, emulator_process
    hub_id: str = emulator.admin_json("GET", "/admin")["hub"]["id"]
    results = add_hub(hass, emulator)
    created = results[-1]
    assert created["type"] == "create_entry", results
    entry_id: str = created["result"]["entry_id"]
    set_scan_interval(hass, entry_id, SCAN_INTERVAL)
    # The hub's firmware is read once the event stream has opened, just after
    # the setup: its entity comes a moment after the others.
    wait_for(
        lambda: hass.state("update.hearth_hub_firmware"),
        "the firmware update entity",
        timeout=POLL_TIMEOUT,
        diagnose=hass.log_tail,
    )
    registry = hass.websocket({"type": "config/entity_registry/list"})
    prefix = f"{hub_id}_"
    entities = {
        entry["unique_id"].removeprefix(prefix): entry["entity_id"]
        for entry in registry
        if entry["platform"] == "hearth" and entry["config_entry_id"] == entry_id
    }
    integration = Integration(hass, emulator, hub_id, results, entry_id, entities)
    wait_for(
        lambda: not integration.unavailable(),
        "every entity to be available",
        timeout=POLL_TIMEOUT,
        diagnose=hass.log_tail,
    )
    return integration


def _number(state: dict[str, Any]) -> float:
    return float(state["state"])


def test_config_flow_creates_entities(integration: Integration) -> None:
    """The REST config flow makes a loaded entry whose entities show the hub's state."""
    hass, emulator = integration.hass, integration.emulator
    created = integration.flow_results[-1]
    assert created["title"] == "Hearth Hub"
    assert created["result"]["domain"] == "hearth"
    assert integration.entry_state() == "loaded"

    assert set(integration.entities) == DEMO_ENTITIES
    states = hass.states()
    assert not DISABLED_ENTITIES & {
        key for key, entity_id in integration.entities.items() if entity_id in states
    }

    devices = {
        device["id"]: device for device in emulator.admin_json("GET", "/admin/devices")
    }
    for key, entity_id in integration.enabled_entities.items():
        state = states[entity_id]
        if key == "firmware":
            # The demo hub is offered newer firmware than it runs.
            assert state["state"] == "on", entity_id
            continue
        device_id, _, reading = key.partition("_")
        expected = devices[device_id]["state"]
        if reading in {"light", "switch", "outlet"}:
            assert state["state"] == ("on" if expected["on"] else "off"), entity_id
        elif reading.startswith("button_"):
            # A button's event entity has no state before its first press.
            assert state["state"] == "unknown", entity_id
        else:
            assert _number(state) == pytest.approx(expected[reading], abs=0.01), (
                entity_id
            )

    desk_lamp = states[integration.entities["light-2_light"]]
    assert desk_lamp["attributes"]["brightness"] == 180
    strip = states[integration.entities["light-4_light"]]
    assert strip["attributes"]["color_mode"] == "rgb"
    assert strip["attributes"]["rgb_color"] == [255, 120, 40]
    temperature = states[integration.entities["sensor-1_temperature"]]
    assert temperature["attributes"]["unit_of_measurement"] == "°C"
    assert temperature["attributes"]["device_class"] == "temperature"


def test_light_commands_reach_the_hub(integration: Integration) -> None:
    """light.turn_on with a brightness, then with a colour, changes the hub's light."""
    hass, emulator = integration.hass, integration.emulator
    strip = integration.entities["light-4_light"]

    response = hass.call_service(
        "light", "turn_on", {"entity_id": strip, "brightness": 77}
    )
    assert response.ok, response.text
    device = emulator.device("light-4")
    assert device["state"]["on"] is True
    assert device["state"]["brightness"] == 77
    assert hass.state(strip)["attributes"]["brightness"] == 77

    response = hass.call_service(
        "light", "turn_on", {"entity_id": strip, "rgb_color": [10, 200, 30]}
    )
    assert response.ok, response.text
    device = emulator.device("light-4")
    assert device["state"]["rgb"] == [10, 200, 30]
    assert device["state"]["color_mode"] == "rgb"
    assert hass.state(strip)["attributes"]["rgb_color"] == [10, 200, 30]

    response = hass.call_service("light", "turn_off", {"entity_id": strip})
    assert response.ok, response.text
    assert emulator.device("light-4")["state"]["on"] is False


@pytest.fixture
def heat_automation(integration: Integration) -> Generator[str]:
    """Create an automation through the REST API; delete it afterwards."""
    hass = integration.hass
    automation_id = "hearth_e2e_heat"
    config = {
        "id": automation_id,
        "alias": "Hearth e2e: porch on when warm",
        "triggers": [
            {
                "trigger": "numeric_state",
                "entity_id": integration.entities["sensor-1_temperature"],
                "above": 25,
            }
        ],
        "actions": [
            {
                "action": "switch.turn_on",
                "target": {"entity_id": integration.entities["switch-1_switch"]},
            }
        ],
        "mode": "single",
    }
    # Saving reloads the automations.
    hass.post(f"/api/config/automation/config/{automation_id}", config)

    def entity_id() -> str | None:
        return next(
            (
                state["entity_id"]
                for state in hass.get("/api/states")
                if state["entity_id"].startswith("automation.")
                and state["attributes"].get("id") == automation_id
                and state["state"] == "on"
            ),
            None,
        )

    automation = wait_for(entity_id, "the automation to be on", timeout=30)
    yield automation
    response = hass.request("DELETE", f"/api/config/automation/config/{automation_id}")
    assert response.ok, response.text


def test_automation_acts_on_a_sensor(
    integration: Integration, heat_automation: str
) -> None:
    """A sensor crossing a threshold at the hub makes an automation switch the hub's switch."""
    hass, emulator = integration.hass, integration.emulator
    temperature = integration.entities["sensor-1_temperature"]
    porch = integration.entities["switch-1_switch"]
    emulator.admin_json("PATCH", "/admin/devices/switch-1", {"state": {"on": False}})
    wait_for(
        lambda: hass.state(porch)["state"] == "off",
        "the porch switch to show off",
        timeout=POLL_TIMEOUT,
    )

    emulator.admin_json(
        "PATCH", "/admin/devices/sensor-1", {"state": {"temperature": 30.5}}
    )
    wait_for(
        lambda: _number(hass.state(temperature)) == pytest.approx(30.5),
        "the new temperature to be polled",
        timeout=POLL_TIMEOUT,
    )
    wait_for(
        lambda: emulator.device("switch-1")["state"]["on"],
        "the automation to turn the porch switch on at the hub",
        timeout=15,
    )
    assert hass.state(porch)["state"] == "on"
    assert hass.state(heat_automation)["attributes"]["last_triggered"] is not None
    emulator.admin_json(
        "PATCH", "/admin/devices/sensor-1", {"state": {"temperature": 21.4}}
    )


def test_hub_failure_and_recovery(integration: Integration) -> None:
    """A hub that goes away makes the entities unavailable; they recover when it returns.

    The integration logs exactly one line for each: the error, then the
    recovery, although both the event stream and the polls notice.
    """
    hass, emulator = integration.hass, integration.emulator
    fingerprint = emulator.admin_json("GET", "/admin")["fingerprint"]
    log_start = hass.log_size()
    started = time.monotonic()
    emulator.stop()
    try:
        wait_for(
            lambda: set(integration.unavailable())
            == set(integration.enabled_entities.values()),
            "every entity to become unavailable",
            timeout=POLL_TIMEOUT,
            diagnose=hass.log_tail,
        )
        went_away = time.monotonic() - started
    finally:
        # Same port, seed and certificate files: the same hub, still trusted.
        emulator.start()
    assert emulator.admin_json("GET", "/admin")["fingerprint"] == fingerprint
    back = time.monotonic()
    wait_for(
        lambda: not integration.unavailable(),
        "every entity to recover",
        # After one failed poll the next comes within 1.2 scan intervals
        # (backoff with jitter); after two, within 2.4.
        timeout=4 * SCAN_INTERVAL,
        diagnose=hass.log_tail,
    )
    recovered = time.monotonic() - back

    def two_lines() -> list[dict[str, str]] | None:
        records = integration.hearth_log(log_start)
        return records if len(records) >= 2 else None

    records = wait_for(two_lines, "the integration's log lines", timeout=30)
    summary = [(r["level"], r["message"].splitlines()[0]) for r in records]
    # One line when the hub went (the stream and the polls both noticed,
    # the failed poll says it), one when it is back.
    assert len(records) == 2, summary
    assert summary[0][0] == "ERROR", summary
    assert summary[0][1].startswith("Error fetching Hearth Hub data"), summary
    assert summary[1] == ("INFO", "Fetching Hearth Hub data recovered"), summary
    assert integration.entry_state() == "loaded"
    print(  # noqa: T201 - timings for the report (pytest -s)
        f"unavailable after {went_away:.1f} s, recovered {recovered:.1f} s after restart"
    )


#: Real time the rate-limit test runs for, and how often it sends a command.
RATE_TEST_SECONDS = 90.0
COMMAND_EVERY = 10.0
RATE_LIMIT = 8


def test_rate_limit_is_never_exceeded(integration: Integration) -> None:
    """With 8 requests a minute, polls and commands never get a 429 and nothing goes unavailable.

    A switch is toggled every 10 s while the hub is polled every 10 s, which is
    more than the budget allows: the integration must hold polls (keeping the
    last state) and refuse commands itself rather than overdraw the budget.
    """
    hass, emulator = integration.hass, integration.emulator
    plug = integration.entities["switch-2_outlet"]
    emulator.admin_json("POST", "/admin/stats/reset")
    emulator.admin_json(
        "POST", "/admin/rate-limit", {"limit": RATE_LIMIT, "reset": True}
    )
    sent: list[tuple[str, int, str]] = []
    samples = 0
    unavailable: list[tuple[float, list[str]]] = []
    try:
        start = time.monotonic()
        next_command = start
        turn_on = False
        while (now := time.monotonic()) - start < RATE_TEST_SECONDS:
            if now >= next_command:
                service = "turn_on" if turn_on else "turn_off"
                response = hass.call_service("switch", service, {"entity_id": plug})
                sent.append((service, response.status_code, response.text[:200]))
                turn_on = not turn_on
                next_command += COMMAND_EVERY
            samples += 1
            if gone := integration.unavailable():
                unavailable.append((round(now - start, 1), gone))
            time.sleep(1)
        stats = emulator.admin_json("GET", "/admin/stats")
    finally:
        emulator.admin_json("POST", "/admin/rate-limit", {"limit": None, "reset": True})

    accepted = [status for _, status, _ in sent if status == 200]
    refused = [
        (service, status, text) for service, status, text in sent if status != 200
    ]
    polls = stats["by_route"].get("GET /api/v1/state", 0)
    print(  # noqa: T201 - numbers for the report (pytest -s)
        f"{len(sent)} commands: {len(accepted)} accepted, {len(refused)} refused "
        f"by the integration; {polls} polls; {stats['total']} requests; "
        f"{stats['rate_limited']} answered 429; {samples} state samples"
    )
    assert stats["rate_limited"] == 0, stats
    assert not unavailable, unavailable
    assert accepted, refused
    # The event stream kept the state current, with polls only as a safety net.
    hub_on = emulator.device("switch-2")["state"]["on"]
    assert hass.state(plug)["state"] == ("on" if hub_on else "off")
    assert stats["total"] <= RATE_LIMIT * (RATE_TEST_SECONDS / 60 + 1), stats


def test_no_deprecated_use_reported(integration: Integration) -> None:
    """Over the whole run, Home Assistant reported no deprecated use by Hearth.

    The in-process tests catch these reports with a fixture; here they would
    be in the log of the hass process, which ran every test above.
    """
    reports = [
        record["message"]
        for record in integration.hass.log_records()
        if DEPRECATION_REPORT.search(record["message"])
    ]
    assert reports == []
