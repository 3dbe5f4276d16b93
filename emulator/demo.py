"""The demo home and generated homes of any size, both deterministic."""

from __future__ import annotations

import hashlib
import random
from typing import Final

from .home import (
    MAC_PREFIX,
    NO_EFFECT,
    Button,
    Capabilities,
    ColorMode,
    Device,
    DeviceKind,
    DeviceState,
    Firmware,
    Home,
    HubInfo,
    PressType,
    Reading,
    SwitchType,
)

DEFAULT_SEED: Final = 1
#: The firmware release hubs are offered, newer than the one they run.
DEMO_LATEST_FIRMWARE: Final = "1.5.0"
RELEASES_URL: Final = "https://hearth-home.io/releases/hub"
DEMO_EFFECTS: Final = ("colorloop", "candle", "fireplace")
_KINDS: Final = (DeviceKind.LIGHT, DeviceKind.SWITCH, DeviceKind.SENSOR)
_ROOMS: Final = (
    "Kitchen",
    "Living Room",
    "Bedroom",
    "Hallway",
    "Office",
    "Bathroom",
    "Garage",
    "Garden",
    "Attic",
    "Nursery",
)


def _digest(seed: int, label: str) -> str:
    return hashlib.sha256(f"hearth:{seed}:{label}".encode()).hexdigest()


def hub_identity(seed: int, index: int = 0, name: str | None = None) -> HubInfo:
    """Return the identity of hub ``index`` of the account seeded with ``seed``.

    Index 0 is the local hub. The id and MAC are stable for a given seed.
    """
    digest = _digest(seed, f"hub-{index}")
    mac_tail = ":".join(digest[i : i + 2] for i in range(6, 12, 2))
    default_name = "Hearth Hub" if index == 0 else f"Hearth Hub {index + 1}"
    return HubInfo(
        id=f"hearth-{digest[:6]}",
        name=name or default_name,
        mac=f"{MAC_PREFIX}:{mac_tail}",
    )


def account_id(seed: int) -> str:
    """Return the cloud account id for ``seed``."""
    return f"acct-{_digest(seed, 'account')[:8]}"


def _on_off_light(device_id: str, name: str) -> Device:
    return Device(
        id=device_id,
        kind=DeviceKind.LIGHT,
        name=name,
        model="HL-10",
        firmware="2.0.3",
        capabilities=Capabilities(),
        state=DeviceState(on=False, color_mode=ColorMode.ONOFF),
    )


def _dimmable_light(device_id: str, name: str) -> Device:
    return Device(
        id=device_id,
        kind=DeviceKind.LIGHT,
        name=name,
        model="HL-20",
        firmware="2.0.3",
        capabilities=Capabilities(dimmable=True),
        state=DeviceState(on=True, brightness=180, color_mode=ColorMode.BRIGHTNESS),
    )


def _color_temp_light(device_id: str, name: str) -> Device:
    return Device(
        id=device_id,
        kind=DeviceKind.LIGHT,
        name=name,
        model="HL-30",
        firmware="2.1.0",
        capabilities=Capabilities(
            dimmable=True, min_kelvin=2200, max_kelvin=6500, transition=True
        ),
        state=DeviceState(
            on=False,
            brightness=128,
            color_temp_kelvin=2700,
            color_mode=ColorMode.COLOR_TEMP,
        ),
    )


def _color_light(device_id: str, name: str) -> Device:
    return Device(
        id=device_id,
        kind=DeviceKind.LIGHT,
        name=name,
        model="HL-40",
        firmware="2.1.0",
        capabilities=Capabilities(
            dimmable=True,
            min_kelvin=2200,
            max_kelvin=6500,
            rgb=True,
            effects=list(DEMO_EFFECTS),
            transition=True,
        ),
        state=DeviceState(
            on=True,
            brightness=200,
            color_temp_kelvin=3000,
            rgb=[255, 120, 40],
            effect=NO_EFFECT,
            color_mode=ColorMode.RGB,
        ),
    )


def _wall_switch(device_id: str, name: str) -> Device:
    return Device(
        id=device_id,
        kind=DeviceKind.SWITCH,
        name=name,
        model="HS-10",
        firmware="1.3.1",
        capabilities=Capabilities(switch_type=SwitchType.SWITCH),
        state=DeviceState(on=False),
    )


def _outlet(device_id: str, name: str, load: float, energy: float) -> Device:
    return Device(
        id=device_id,
        kind=DeviceKind.SWITCH,
        name=name,
        model="HP-20",
        firmware="1.3.1",
        capabilities=Capabilities(
            switch_type=SwitchType.OUTLET,
            power_metering=True,
            sensors=[Reading.POWER, Reading.ENERGY],
        ),
        state=DeviceState(on=True, power=load, energy=energy),
        load_watts=load,
    )


def _climate_sensor(device_id: str, name: str, temperature: float) -> Device:
    return Device(
        id=device_id,
        kind=DeviceKind.SENSOR,
        name=name,
        model="HT-10",
        firmware="3.0.1",
        capabilities=Capabilities(
            sensors=[
                Reading.TEMPERATURE,
                Reading.HUMIDITY,
                Reading.BATTERY,
                Reading.SIGNAL_STRENGTH,
            ]
        ),
        state=DeviceState(
            temperature=temperature, humidity=45.0, battery=87, signal_strength=-61
        ),
    )


def _light_level_sensor(device_id: str, name: str) -> Device:
    return Device(
        id=device_id,
        kind=DeviceKind.SENSOR,
        name=name,
        model="HX-10",
        firmware="3.0.1",
        capabilities=Capabilities(sensors=[Reading.ILLUMINANCE, Reading.BATTERY]),
        state=DeviceState(illuminance=320, battery=64),
    )


def _energy_meter(device_id: str, name: str) -> Device:
    return Device(
        id=device_id,
        kind=DeviceKind.SENSOR,
        name=name,
        model="HE-10",
        firmware="1.1.0",
        capabilities=Capabilities(sensors=[Reading.POWER, Reading.ENERGY]),
        state=DeviceState(power=812.0, energy=1534.2),
    )


def _button_wall_switch(device_id: str, name: str) -> Device:
    """Return a mains-powered two-button wall switch: no battery, no double press."""
    held = [PressType.SHORT, PressType.LONG, PressType.LONG_RELEASE]
    return Device(
        id=device_id,
        kind=DeviceKind.BUTTON,
        name=name,
        model="HB-20",
        firmware="1.2.0",
        capabilities=Capabilities(
            buttons=[Button("top", "Top", held), Button("bottom", "Bottom", held)],
            sensors=[Reading.SIGNAL_STRENGTH],
        ),
        state=DeviceState(signal_strength=-58),
    )


def _remote(device_id: str, name: str) -> Device:
    """Return a battery-powered four-button remote that reports every press type."""
    return Device(
        id=device_id,
        kind=DeviceKind.BUTTON,
        name=name,
        model="HR-40",
        firmware="1.2.0",
        capabilities=Capabilities(
            buttons=[
                Button("on", "On"),
                Button("off", "Off"),
                Button("up", "Brighter"),
                Button("down", "Dimmer"),
            ],
            sensors=[Reading.BATTERY, Reading.SIGNAL_STRENGTH],
        ),
        state=DeviceState(battery=72, signal_strength=-67),
    )


def demo_devices() -> list[Device]:
    """Return the devices of the demo home: every kind and every reading."""
    return [
        _on_off_light("light-1", "Hallway Light"),
        _dimmable_light("light-2", "Desk Lamp"),
        _color_temp_light("light-3", "Bedroom Ceiling"),
        _color_light("light-4", "Living Room Strip"),
        _wall_switch("switch-1", "Porch Switch"),
        _outlet("switch-2", "Coffee Machine Plug", load=45.0, energy=12.3456),
        _climate_sensor("sensor-1", "Living Room Climate", 21.4),
        _light_level_sensor("sensor-2", "Garden Light Level"),
        _energy_meter("sensor-3", "Energy Meter"),
        _button_wall_switch("button-1", "Hallway Wall Switch"),
        _remote("button-2", "Living Room Remote"),
    ]


def generated_devices(count: int, rng: random.Random) -> list[Device]:
    """Return ``count`` devices of every kind, drawn from ``rng``.

    About half are lights, a fifth switches, the rest sensors; a few are offline.
    """
    devices: list[Device] = []
    numbers = dict.fromkeys(_KINDS, 0)
    names: set[str] = set()
    for _ in range(count):
        kind = rng.choices(_KINDS, weights=(5, 2, 3))[0]
        numbers[kind] += 1
        device_id = f"{kind}-{numbers[kind]}"
        room = rng.choice(_ROOMS)
        variant = rng.randrange(4)
        if kind is DeviceKind.LIGHT:
            builders = (_on_off_light, _dimmable_light, _color_temp_light, _color_light)
            device = builders[variant](device_id, f"{room} Light")
        elif kind is DeviceKind.SWITCH:
            if variant % 2:
                device = _outlet(
                    device_id,
                    f"{room} Plug",
                    load=round(rng.uniform(5, 1500), 1),
                    energy=round(rng.uniform(0, 500), 4),
                )
            else:
                device = _wall_switch(device_id, f"{room} Switch")
            device.state.on = rng.random() < 0.5
            if device.capabilities.power_metering and not device.state.on:
                device.state.power = 0.0
        elif variant < 2:
            device = _climate_sensor(
                device_id, f"{room} Climate", round(rng.uniform(17, 25), 1)
            )
        elif variant == 2:
            device = _light_level_sensor(device_id, f"{room} Light Level")
        else:
            device = _energy_meter(device_id, f"{room} Energy Meter")
        base, number = device.name, 2
        while device.name in names:
            device.name = f"{base} {number}"
            number += 1
        names.add(device.name)
        device.online = rng.random() >= 0.03
        devices.append(device)
    return devices


def release(version: str | None) -> Firmware:
    """Return what a hub knows of its latest release (None: it knows of none)."""
    if version is None:
        return Firmware()
    notes = (
        f"## Hearth hub {version}\n\n"
        "- Wall switches and remotes report every press, also double and long ones.\n"
        "- Firmware updates can be started from Home Assistant.\n"
        "- The event stream reconnects faster after a restart.\n"
    )
    return Firmware(
        latest=version,
        release_notes=notes,
        release_url=f"{RELEASES_URL}/{version}",
    )


def build_home(
    hub: HubInfo,
    devices: int | None,
    seed: int,
    latest_firmware: str | None = DEMO_LATEST_FIRMWARE,
) -> Home:
    """Return the demo home, or a generated home of ``devices`` devices.

    Its hub is offered firmware ``latest_firmware`` (None: no release known).
    """
    firmware = release(latest_firmware)
    if devices is None:
        return Home(hub, demo_devices(), firmware)
    rng = random.Random(f"{seed}:{hub.id}")  # noqa: S311 - test data, not crypto
    return Home(hub, generated_devices(devices, rng), firmware)
