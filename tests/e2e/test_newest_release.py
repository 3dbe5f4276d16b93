"""End to end on the newest Home Assistant release, newer than the test package's.

pytest-homeassistant-custom-component lags Home Assistant's releases, so the
suite's own Home Assistant is not the newest one users install. scripts/setup
installs the newest release into a venv of its own (``.venv-hass-<version>``,
see ``NEWEST_HA`` in scripts/ha_versions.sh) and scripts/test names its Python
in ``HEARTH_NEWEST_HASS`` for the newest suite; this module starts that
``hass`` against the emulator, adds the hub through the REST config flow,
follows a change pushed by the hub, changes the options and reloads, and
requires a clean log: no deprecation report, no repair issue of its own
making, no warning or error from the integration.
"""

from __future__ import annotations

from collections.abc import Generator
import os
from pathlib import Path
import subprocess

import pytest

from tests.harness.deprecations import DEPRECATION_REPORT
from tests.harness.processes import EmulatorProcess, HassProcess, running_hass, wait_for

from .flows import add_hub, set_scan_interval

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.timeout(300),
]

NEWEST_HASS = os.environ.get("HEARTH_NEWEST_HASS", "")


def _version(python: str) -> str:
    return subprocess.run(  # noqa: S603
        [
            python,
            "-c",
            "from homeassistant.const import __version__; print(__version__)",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture(scope="module")
def newest_hass(
    _sockets_for_module: None,
    emulator_process: EmulatorProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Generator[HassProcess]:
    """Run the newest Home Assistant release with the integration."""
    if not NEWEST_HASS or not Path(NEWEST_HASS).exists():
        pytest.skip("HEARTH_NEWEST_HASS names no Python (scripts/test sets it)")
    config_dir = tmp_path_factory.mktemp("hass-newest")
    with running_hass(config_dir, emulator_process, python=NEWEST_HASS) as hass:
        yield hass


def test_newest_release_runs_the_integration_cleanly(
    newest_hass: HassProcess, emulator_process: EmulatorProcess
) -> None:
    """Setup, push, an options change and a reload leave nothing to report."""
    hass, emulator = newest_hass, emulator_process
    version = hass.get("/api/config")["version"]
    assert version == _version(NEWEST_HASS)

    results = add_hub(hass, emulator)
    assert results[-1]["type"] == "create_entry", results
    entry_id = results[-1]["result"]["entry_id"]
    set_scan_interval(hass, entry_id, 10)

    registry = hass.websocket({"type": "config/entity_registry/list"})
    porch = next(
        entry["entity_id"]
        for entry in registry
        if entry["platform"] == "hearth"
        and entry["unique_id"].endswith("_switch-1_switch")
    )
    was_on = emulator.device("switch-1")["state"]["on"]
    emulator.admin_json(
        "PATCH", "/admin/devices/switch-1", {"state": {"on": not was_on}}
    )
    wait_for(
        lambda: hass.state(porch)["state"] == ("off" if was_on else "on"),
        "the pushed change to reach Home Assistant",
        timeout=10,
        diagnose=hass.log_tail,
    )

    # The harness skips the onboarding step that sets the country (it would
    # set up integrations that want the internet), which Home Assistant
    # reports; anything else would come from this configuration.
    issues = hass.websocket({"type": "repairs/list_issues"})["issues"]
    assert [
        (issue["domain"], issue["issue_id"])
        for issue in issues
        if issue["domain"] in {"hearth", "http", "homeassistant"}
        and issue["issue_id"] != "country_not_configured"
        and not issue["ignored"]
    ] == []
    records = hass.log_records()
    assert [
        r["message"] for r in records if DEPRECATION_REPORT.search(r["message"])
    ] == []
    assert [
        r
        for r in records
        if r["logger"].startswith("custom_components.hearth")
        and r["level"] in {"WARNING", "ERROR", "CRITICAL"}
    ] == []
