"""The state model: commands against capabilities, generated homes, drift."""

from __future__ import annotations

import random
from typing import Any

import pytest

from custom_components.hearth.api import (
    DeviceCommand,
    DeviceKind,
    HubState,
    PressType,
    SensorReading,
)
from emulator.demo import build_home, hub_identity
from emulator.home import (
    DeviceOfflineError,
    Home,
    InvalidRequestError,
    JSONDict,
    NotFoundError,
)


@pytest.fixture
def home() -> Home:
    """Return the demo home."""
    return build_home(hub_identity(1), None, 1)


def test_demo_home_covers_everything(home: Home) -> None:
    """The demo home parses and reports every reading and colour mode."""
    state = HubState.from_dict(home.state_json())
    readings = {
        reading for device in state.devices for reading in device.capabilities.sensors
    }
    assert readings == set(SensorReading)
    modes = {
        device.state.color_mode for device in state.devices if device.kind == "light"
    }
    assert modes == {"onoff", "brightness", "color_temp", "rgb"}
    for device in state.devices:
        for reading in device.capabilities.sensors:
            assert device.state.reading(reading) is not None
    switch_types = {
        d.capabilities.switch_type for d in state.devices if d.kind == "switch"
    }
    assert switch_types == {"switch", "outlet"}
    assert {device.kind for device in state.devices} == set(DeviceKind)
    buttons = [
        button for device in state.devices for button in device.capabilities.buttons
    ]
    assert {press for b in buttons for press in b.press_types} == set(PressType)
    batteries = {
        d.id: "battery" in d.capabilities.sensors
        for d in state.devices
        if d.kind == "button"
    }
    assert batteries == {"button-1": False, "button-2": True}


@pytest.mark.parametrize(
    ("device_id", "command"),
    [
        ("light-1", {"brightness": 10}),
        ("light-2", {"brightness": 0}),
        ("light-2", {"brightness": 256}),
        ("light-2", {"brightness": True}),
        ("light-3", {"color_temp_kelvin": 2000}),
        ("light-3", {"rgb": [1, 2, 3]}),
        ("light-4", {"rgb": [1, 2]}),
        ("light-4", {"rgb": [1, 2, 300]}),
        ("light-4", {"effect": "strobe"}),
        ("light-4", {"rgb": [1, 2, 3], "color_temp_kelvin": 3000}),
        ("light-2", {"transition": 1}),
        ("light-4", {"transition": -1}),
        ("light-4", {"on": None}),
        ("light-4", {"colour": "red"}),
        ("light-4", {}),
        ("light-4", [1]),
        ("switch-1", {"brightness": 10}),
        ("sensor-1", {"on": True}),
        ("button-1", {"on": True}),
    ],
)
def test_invalid_commands(home: Home, device_id: str, command: Any) -> None:
    """Unsupported, out-of-range and unknown fields get invalid_request."""
    with pytest.raises(InvalidRequestError):
        home.command(device_id, command)


def test_commands_change_modes(home: Home) -> None:
    """Colour fields switch the colour mode and turn the light on."""
    strip = home.devices["light-4"]
    strip.state.on = False
    home.command(
        "light-4", DeviceCommand(color_temp_kelvin=4000, transition=0.5).payload()
    )
    assert (strip.state.on, strip.state.color_mode) == (True, "color_temp")
    home.command("light-4", {"effect": "candle"})
    assert strip.state.effect == "candle"
    home.command("light-4", {"rgb": [0, 0, 255]})
    assert (strip.state.color_mode, strip.state.effect) == ("rgb", "none")
    home.command("light-4", {"on": False, "brightness": 20})
    assert (strip.state.on, strip.state.brightness) == (False, 20)
    home.command("switch-2", {"on": False})
    assert home.devices["switch-2"].state.power == 0.0


def test_offline_and_unknown(home: Home) -> None:
    """An offline device gets device_offline; an unknown one not_found."""
    home.set_online("light-2", False)
    with pytest.raises(DeviceOfflineError):
        home.command("light-2", {"on": True})
    with pytest.raises(NotFoundError):
        home.command("light-99", {"on": True})


def test_no_op_changes_nothing(home: Home) -> None:
    """A command that changes nothing keeps the generation (and the ETag)."""
    generation = home.generation
    home.command("light-1", {"on": False})
    assert home.generation == generation
    home.command("light-1", {"on": True})
    assert home.generation == generation + 1


def test_generated_home_is_deterministic() -> None:
    """--devices N with a seed always gives the same home, of every kind."""
    first = build_home(hub_identity(7), 200, 7).state_json()
    second = build_home(hub_identity(7), 200, 7).state_json()
    assert first == second
    assert len(first["devices"]) == 200
    assert {device["kind"] for device in first["devices"]} == {
        "light",
        "switch",
        "sensor",
    }
    assert len({device["name"] for device in first["devices"]}) == 200
    HubState.from_dict(first)
    assert build_home(hub_identity(8), 200, 8).state_json() != first


def test_drift_moves_online_sensors_only(home: Home) -> None:
    """Drift changes readings of online devices and reports them."""
    home.set_online("sensor-2", False)
    before = home.devices["sensor-2"].to_json()
    changed = home.drift(random.Random(3), 30)  # noqa: S311
    assert {device.id for device in changed} >= {"sensor-1", "sensor-3"}
    assert home.devices["sensor-2"].to_json() == before
    assert all(device.kind != "light" for device in changed)


def test_a_press_is_an_event_and_not_state(home: Home) -> None:
    """A press reaches the listeners, and leaves the state and the ETag alone."""
    heard: list[JSONDict] = []
    home.subscribe(heard.append)
    before, generation = home.state_json(), home.generation
    press = home.press("button-2", "up", "double")
    assert press == {
        "device_id": "button-2",
        "button_id": "up",
        "press_type": "double",
        "seq": 1,
    }
    assert heard == [{"type": "button_press", "press": press}]
    assert (home.state_json(), home.generation) == (before, generation)


def test_press_numbers_rise_per_hub(home: Home) -> None:
    """Presses are numbered per hub, rising, and never below the floor."""
    seqs = [
        home.press("button-1", "top")["seq"],
        home.press("button-2", "on")["seq"],
        home.press("button-1", "bottom", "long", seq_floor=1000)["seq"],
        home.press("button-1", "bottom", "long_release", seq_floor=10)["seq"],
    ]
    assert seqs == [1, 2, 1000, 1001]


@pytest.mark.parametrize(
    ("device_id", "button_id", "press_type", "error"),
    [
        ("button-1", "middle", "short", InvalidRequestError),
        ("button-1", "top", "double", InvalidRequestError),
        ("button-1", "top", "triple", InvalidRequestError),
        ("light-1", "top", "short", InvalidRequestError),
        ("button-9", "top", "short", NotFoundError),
    ],
)
def test_refused_presses(
    home: Home, device_id: str, button_id: str, press_type: str, error: type
) -> None:
    """Only a button the device has, with a press type it reports."""
    with pytest.raises(error):
        home.press(device_id, button_id, press_type)
    assert home.press_seq == 0


def test_an_offline_button_cannot_be_pressed(home: Home) -> None:
    """A hub hears no press from a device it cannot reach."""
    home.set_online("button-2", False)
    with pytest.raises(DeviceOfflineError):
        home.press("button-2", "on")


def test_added_button_devices(home: Home) -> None:
    """Added button devices get one button by default, or the ones given."""
    plain = home.add_device({"kind": "button"})
    assert plain.to_json()["capabilities"] == {
        "buttons": [
            {
                "id": "main",
                "name": "Button",
                "press_types": ["short", "double", "long", "long_release"],
            }
        ],
        "sensors": [],
    }
    assert plain.id == "button-3"
    dimmer = home.add_device(
        {
            "kind": "button",
            "capabilities": {
                "buttons": [{"id": "up", "press_types": ["short"]}],
                "sensors": ["battery"],
            },
        }
    )
    assert dimmer.to_json()["capabilities"]["buttons"] == [
        {"id": "up", "name": "Up", "press_types": ["short"]}
    ]
    assert dimmer.state.battery == 100


@pytest.mark.parametrize(
    "capabilities",
    [
        {"buttons": []},
        {"buttons": "up"},
        {"buttons": [{"id": ""}]},
        {"buttons": [{"id": "a"}, {"id": "a"}]},
        {"buttons": [{"id": "a", "name": 3}]},
        {"buttons": [{"id": "a", "press_types": []}]},
        {"buttons": [{"id": "a", "press_types": ["short", "short"]}]},
        {"buttons": [{"id": "a", "press_types": ["triple"]}]},
        {"buttons": [{"id": "a", "colour": "red"}]},
    ],
)
def test_bad_buttons_are_refused(home: Home, capabilities: JSONDict) -> None:
    """Malformed buttons get invalid_request."""
    with pytest.raises(InvalidRequestError):
        home.add_device({"kind": "button", "capabilities": capabilities})


def test_only_button_devices_have_buttons(home: Home) -> None:
    """Buttons on a light are refused."""
    with pytest.raises(InvalidRequestError):
        home.add_device({"kind": "light", "capabilities": {"buttons": [{"id": "a"}]}})
