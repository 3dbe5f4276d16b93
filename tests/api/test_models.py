"""Decoding of the API payloads into the typed models, without the network."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from custom_components.hearth.api import (
    Button,
    ButtonPress,
    Capabilities,
    ColorMode,
    Device,
    DeviceCommand,
    DeviceKind,
    DeviceState,
    Event,
    EventType,
    Firmware,
    FirmwareFailure,
    HubInfo,
    HubPage,
    HubState,
    PressType,
    SensorReading,
    SwitchType,
)
from custom_components.hearth.api.client import _DECODE_ERRORS

from .payloads import HUB, LIGHT, PLUG, PRESS, REMOTE, SENSOR


def _state(*devices: dict[str, Any]) -> bytes:
    return orjson.dumps({"hub": HUB, "devices": list(devices)})


def _decode_fails(model: type[Any], payload: Any) -> Exception:
    """Decode and return the exception, which must be one the client maps."""
    with pytest.raises(_DECODE_ERRORS) as info:
        model.from_json(orjson.dumps(payload))
    return info.value


def test_full_state_decodes() -> None:
    """Every field of every kind of device lands in the model with its type."""
    state = HubState.from_json(_state(LIGHT, PLUG, SENSOR))

    assert state.hub == HubInfo(
        id="hub-1",
        name="Hearth Hub",
        model="HH-1",
        firmware="1.4.2",
        api_version="1.0",
        mac="02:00:00:00:00:01",
    )
    assert state.hub.api_major == 1
    light, plug, sensor = state.devices
    assert light.kind == DeviceKind.LIGHT
    assert light.capabilities == Capabilities(
        dimmable=True,
        min_kelvin=2000,
        max_kelvin=6500,
        rgb=True,
        effects=["rainbow", "candle"],
        transition=True,
    )
    assert light.capabilities.color_temp is True
    assert light.state.rgb == [255, 0, 10]
    assert light.state.color_mode == ColorMode.RGB
    assert (light.model, light.firmware) == ("HL-RGB", "2.0.0")

    assert plug.online is False
    assert plug.capabilities.switch_type == SwitchType.OUTLET
    assert plug.capabilities.color_temp is False
    assert plug.state.power == 0
    assert plug.state.reading(SensorReading.ENERGY) == 12.5
    assert plug.model is None

    assert sensor.capabilities.sensors == ["temperature", "humidity", "battery"]
    assert sensor.state.reading(SensorReading.TEMPERATURE) == 21.5
    assert sensor.state.reading(SensorReading.ILLUMINANCE) is None
    assert sensor.state.reading("no_such_reading") is None
    assert sensor.state.on is None


def test_defaults_when_optional_parts_are_absent() -> None:
    """Capabilities, state, model and mac are optional."""
    device = Device.from_json(
        b'{"id": "d", "kind": "switch", "name": "n", "online": true}'
    )
    assert device.capabilities == Capabilities()
    assert device.state == DeviceState()
    info = HubInfo.from_dict({k: v for k, v in HUB.items() if k != "mac"})
    assert info.mac is None


def test_unknown_fields_are_tolerated() -> None:
    """A newer hub may add fields anywhere; they are ignored."""
    light = {
        **LIGHT,
        "room": "kitchen",
        "capabilities": {**LIGHT["capabilities"], "flicker": True},
        "state": {**LIGHT["state"], "hue": 12},
    }
    payload = {"hub": {**HUB, "uptime": 5}, "devices": [light], "generation": 7}
    state = HubState.from_json(orjson.dumps(payload))
    assert state.devices[0].state.brightness == 128
    assert state.hub.id == "hub-1"
    assert not hasattr(state, "generation")


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (HubInfo, {k: v for k, v in HUB.items() if k != "api_version"}),
        (Device, {k: v for k, v in LIGHT.items() if k != "online"}),
        (Device, {k: v for k, v in LIGHT.items() if k != "id"}),
        (HubState, {"hub": HUB}),
        (HubState, {"devices": []}),
        (HubPage, {"next_cursor": None}),
        (Event, {"device_id": "x"}),
        (Event, {"type": "button_press", "press": {**PRESS, "seq": None}}),
        (Event, {"type": "firmware", "firmware": {"latest": "1.5.0"}}),
        (Device, {**REMOTE, "capabilities": {"buttons": [{"id": "on"}]}}),
    ],
)
def test_missing_required_field_raises(model: type[Any], payload: Any) -> None:
    """A required field that is absent is refused."""
    _decode_fails(model, payload)


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (Device, {**LIGHT, "online": "no"}),
        (Device, {**LIGHT, "online": 0}),
        (Device, {**LIGHT, "id": 17}),
        (Device, {**LIGHT, "name": None}),
        (Device, {**LIGHT, "state": {"brightness": "128"}}),
        (Device, {**LIGHT, "state": {"brightness": True}}),
        (Device, {**LIGHT, "state": {"brightness": 1.5}}),
        (Device, {**LIGHT, "state": {"power": "12"}}),
        (Device, {**LIGHT, "state": {"power": False}}),
        (Device, {**LIGHT, "state": {"rgb": [1, 2]}}),
        (Device, {**LIGHT, "state": {"rgb": [1, 2, "3"]}}),
        (Device, {**LIGHT, "state": []}),
        (Device, {**LIGHT, "capabilities": {"effects": [1]}}),
        (Device, {**LIGHT, "capabilities": {"dimmable": "yes"}}),
        (Device, {**REMOTE, "capabilities": {"buttons": [{"id": 1, "name": "A"}]}}),
        (Event, {"type": "button_press", "press": {**PRESS, "seq": "17"}}),
        (Event, {"type": "button_press", "press": {**PRESS, "seq": 17.5}}),
        (Event, {"type": "button_press", "press": {**PRESS, "button_id": None}}),
        (HubState, {"hub": HUB, "devices": "abc"}),
        (HubState, {"hub": HUB, "devices": [None]}),
        (HubState, {"hub": [], "devices": []}),
        (HubPage, {"hubs": [{"id": "h", "name": "n", "model": "m"}]}),
        (Device, []),
        (Device, None),
        (Device, "light-1"),
    ],
)
def test_ill_typed_field_raises(model: type[Any], payload: Any) -> None:
    """Values are not coerced: "no" is not a bool and "128" is not an int."""
    _decode_fails(model, payload)


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (Capabilities, {"sensors": "temperature"}),
        (Capabilities, {"effects": "candle"}),
        (Capabilities, {"effects": {"candle": True}}),
        (Capabilities, {"buttons": {"id": "on", "name": "On"}}),
        (Button, {"id": "on", "name": "On", "press_types": "short"}),
        (DeviceState, {"rgb": "abc"}),
        (DeviceState, {"rgb": {"r": 1, "g": 2, "b": 3}}),
        (HubState, {"hub": HUB, "devices": {}}),
        (HubPage, {"hubs": {}}),
    ],
)
def test_arrays_must_be_arrays(model: type[Any], payload: Any) -> None:
    """A string or an object where an array belongs is refused, not iterated.

    Iterating would turn "temperature" into eleven one-letter readings and
    an empty object into a hub without devices.
    """
    _decode_fails(model, payload)


def test_float_fields_accept_integers() -> None:
    """JSON has one number type: 21 is a fine temperature."""
    state = DeviceState.from_dict({"temperature": 21, "humidity": 40.5})
    assert state.temperature == 21
    assert state.humidity == 40.5


@pytest.mark.parametrize("body", [b"", b"{", b'{"id": "x"', b"\xff\xfe", b"NaN"])
def test_malformed_json_raises(body: bytes) -> None:
    """Bodies that are not JSON at all fail with a mapped error."""
    with pytest.raises(_DECODE_ERRORS):
        HubInfo.from_json(body)


@pytest.mark.parametrize(
    ("version", "major"),
    [("1.0", 1), ("1", 1), ("2.3.4", 2), ("10.1", 10), ("v1", None), ("", None)],
)
def test_api_major(version: str, major: int | None) -> None:
    """The major version is the leading integer, or None when there is none."""
    assert HubInfo.from_dict({**HUB, "api_version": version}).api_major == major


def test_device_command_sends_only_what_is_set() -> None:
    """Unset fields stay out of the PATCH body; falsy values that are set stay."""
    assert DeviceCommand(on=False).payload() == {"on": False}
    assert DeviceCommand(brightness=0, transition=0.5).payload() == {
        "brightness": 0,
        "transition": 0.5,
    }
    assert DeviceCommand(rgb=[1, 2, 3], effect="rainbow").payload() == {
        "rgb": [1, 2, 3],
        "effect": "rainbow",
    }
    assert DeviceCommand().payload() == {}


def test_events_decode() -> None:
    """Each event type carries its own part."""
    changed = Event.from_json(orjson.dumps({"type": "device_state", "device": LIGHT}))
    assert changed.type == EventType.DEVICE_STATE
    assert changed.device is not None
    assert changed.device.id == "light-1"
    removed = Event.from_dict({"type": "device_removed", "device_id": "plug-1"})
    assert (removed.device, removed.device_id) == (None, "plug-1")
    hub = Event.from_dict({"type": "hub", "hub": HUB})
    assert hub.hub is not None
    assert hub.hub.firmware == "1.4.2"


def test_firmware_events_decode() -> None:
    """The firmware events carry the whole firmware document."""
    event = Event.from_dict(
        {
            "type": "firmware_failed",
            "firmware": {
                "installed": "1.4.2",
                "latest": "1.5.0",
                "state": "idle",
                "progress": None,
                "release_notes": None,
                "release_url": None,
                "error": {"code": "download_failed", "message": "No network"},
            },
        }
    )
    assert event.type == EventType.FIRMWARE_FAILED
    assert event.firmware == Firmware(
        installed="1.4.2",
        latest="1.5.0",
        error=FirmwareFailure(code="download_failed", message="No network"),
    )
    assert event.firmware.update_available
    progress = Event.from_dict(
        {
            "type": "firmware_progress",
            "firmware": {"installed": "1.4.2", "state": "installing", "progress": 40},
        }
    )
    assert progress.firmware is not None
    assert (progress.firmware.installing, progress.firmware.progress) == (True, 40)
    assert not progress.firmware.update_available


def test_hub_page_decodes() -> None:
    """A page lists hubs and may point at the next one."""
    page = HubPage.from_dict(
        {
            "hubs": [
                {"id": "a", "name": "A", "model": "HH-1", "firmware": "1.0"},
                {
                    "id": "b",
                    "name": "B",
                    "model": "HH-1",
                    "firmware": "1.0",
                    "online": False,
                },
            ],
            "next_cursor": "abc",
        }
    )
    assert [(hub.id, hub.online) for hub in page.hubs] == [("a", True), ("b", False)]
    assert page.next_cursor == "abc"
    assert HubPage.from_dict({"hubs": []}).next_cursor is None


def test_button_device_decodes() -> None:
    """A button device has buttons and readings, and no on/off state."""
    remote = Device.from_json(orjson.dumps(REMOTE))
    assert remote.kind == DeviceKind.BUTTON
    assert remote.capabilities.buttons == [
        Button(id="on", name="On", press_types=["short", "long"]),
        Button(id="off", name="Off", press_types=["short"]),
    ]
    assert remote.capabilities.sensors == ["battery"]
    assert remote.state.battery == 64
    assert remote.state.on is None
    assert Device.from_json(orjson.dumps(LIGHT)).capabilities.buttons == []


def test_unknown_press_types_are_kept_and_skipped() -> None:
    """A press type of a newer hub breaks nothing: kept as sent, not known."""
    remote = {
        **REMOTE,
        "capabilities": {
            "buttons": [
                {"id": "on", "name": "On", "press_types": ["short", "triple", "long"]}
            ]
        },
    }
    state = HubState.from_json(_state(LIGHT, remote))
    (button,) = state.devices[1].capabilities.buttons
    assert button.press_types == ["short", "triple", "long"]
    assert button.known_press_types == [PressType.SHORT, PressType.LONG]

    event = Event.from_dict(
        {"type": "button_press", "press": {**PRESS, "press_type": "triple"}}
    )
    assert event.press is not None
    assert event.press.press_type == "triple"
    assert event.press.press_type not in PressType


def test_button_press_event_decodes() -> None:
    """A press names its device, button, press type and sequence number."""
    event = Event.from_json(
        orjson.dumps({"type": "button_press", "press": PRESS, "at": "later"})
    )
    assert event.type == EventType.BUTTON_PRESS
    assert event.press == ButtonPress(
        device_id="remote-1", button_id="on", press_type=PressType.SHORT, seq=17
    )
    assert (event.device, event.device_id, event.hub) == (None, None, None)


def test_unknown_kinds_and_event_types_decode() -> None:
    """A device kind or event type of a newer hub decodes for the caller to skip."""
    state = HubState.from_json(
        _state(LIGHT, {"id": "lock-1", "kind": "lock", "name": "Door", "online": True})
    )
    assert [device.kind for device in state.devices] == ["light", "lock"]
    assert "lock" not in DeviceKind
    event = Event.from_dict({"type": "doorbell", "ring": {"loud": True}})
    assert event.type == "doorbell"
    assert (event.device, event.press) == (None, None)
