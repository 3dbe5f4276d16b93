"""Sample payloads in the wire format of the Hearth API."""

from __future__ import annotations

from typing import Any

HUB: dict[str, Any] = {
    "id": "hub-1",
    "name": "Hearth Hub",
    "model": "HH-1",
    "firmware": "1.4.2",
    "api_version": "1.0",
    "mac": "02:00:00:00:00:01",
}

LIGHT: dict[str, Any] = {
    "id": "light-1",
    "kind": "light",
    "name": "Lamp",
    "online": True,
    "model": "HL-RGB",
    "firmware": "2.0.0",
    "capabilities": {
        "dimmable": True,
        "min_kelvin": 2000,
        "max_kelvin": 6500,
        "rgb": True,
        "effects": ["rainbow", "candle"],
        "transition": True,
    },
    "state": {
        "on": True,
        "brightness": 128,
        "color_temp_kelvin": None,
        "rgb": [255, 0, 10],
        "effect": None,
        "color_mode": "rgb",
    },
}

PLUG: dict[str, Any] = {
    "id": "plug-1",
    "kind": "switch",
    "name": "Plug",
    "online": False,
    "capabilities": {"switch_type": "outlet", "power_metering": True},
    "state": {"on": False, "power": 0, "energy": 12.5},
}

SENSOR: dict[str, Any] = {
    "id": "sensor-1",
    "kind": "sensor",
    "name": "Hall",
    "online": True,
    "capabilities": {"sensors": ["temperature", "humidity", "battery"]},
    "state": {"temperature": 21.5, "humidity": 40, "battery": 87.0},
}

REMOTE: dict[str, Any] = {
    "id": "remote-1",
    "kind": "button",
    "name": "Remote",
    "online": True,
    "model": "HR-4",
    "capabilities": {
        "buttons": [
            {"id": "on", "name": "On", "press_types": ["short", "long"]},
            {"id": "off", "name": "Off", "press_types": ["short"]},
        ],
        "sensors": ["battery"],
    },
    "state": {"battery": 64},
}

PRESS: dict[str, Any] = {
    "device_id": "remote-1",
    "button_id": "on",
    "press_type": "short",
    "seq": 17,
}
