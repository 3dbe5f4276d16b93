"""Config and options flows of a real Home Assistant, driven through its REST API."""

from __future__ import annotations

from typing import Any

from tests.harness.processes import API_KEY, EmulatorProcess, HassProcess


def next_step(hass: HassProcess, flow: dict[str, Any], form: dict[str, Any]) -> Any:
    """Answer one step of a config flow: a menu picks "local", a form gets ``form``."""
    if flow["type"] == "menu":
        options = flow["menu_options"]
        choice = (
            "local" if "local" in options else next(o for o in options if "local" in o)
        )
        answer = {"next_step_id": choice}
    else:
        assert flow["type"] == "form", flow
        assert not flow.get("errors"), flow
        answer = form
    return hass.post(f"/api/config/config_entries/flow/{flow['flow_id']}", answer)


def add_hub(hass: HassProcess, emulator: EmulatorProcess) -> list[dict[str, Any]]:
    """Run the config flow through the REST API; return every step's result."""
    form = {
        "host": f"127.0.0.1:{emulator.port}",
        "api_key": API_KEY,
        "certificate_mode": "pin",
    }
    results = [hass.post("/api/config/config_entries/flow", {"handler": "hearth"})]
    while results[-1]["type"] in {"menu", "form"} and len(results) < 5:
        results.append(next_step(hass, results[-1], form))
    return results


def set_scan_interval(hass: HassProcess, entry_id: str, seconds: int) -> None:
    """Set the scan interval through the options flow and wait for the reload."""
    flow = hass.post("/api/config/config_entries/options/flow", {"handler": entry_id})
    assert flow["type"] == "form", flow
    result = hass.post(
        f"/api/config/config_entries/options/flow/{flow['flow_id']}",
        {"scan_interval": seconds},
    )
    assert result["type"] == "create_entry", result
    # The options change schedules a reload at once; reloading again through
    # the API returns only when a reload with the new options has finished.
    hass.post(f"/api/config/config_entries/entry/{entry_id}/reload")
