"""The emulated home: one hub, its devices and their state, without any HTTP.

Everything that changes the home goes through :class:`Home`, which validates
the change, bumps the generation counter (the hub's ETag) and tells every
listener about it with the same message the ``/events`` WebSocket sends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import random
from typing import Any, Final, TypeGuard

type JSONDict = dict[str, Any]
type Listener = Callable[[JSONDict], None]

HUB_MODEL: Final = "HH-100"
HUB_FIRMWARE: Final = "1.4.2"
API_VERSION: Final = "1.3"
#: The first three octets of every Hearth hub's MAC address (used by DHCP discovery).
MAC_PREFIX: Final = "a4:c1:38"


class DeviceKind(StrEnum):
    """The kinds of device a hub can have."""

    LIGHT = "light"
    SWITCH = "switch"
    SENSOR = "sensor"
    BUTTON = "button"


class ColorMode(StrEnum):
    """The colour mode a light is in."""

    ONOFF = "onoff"
    BRIGHTNESS = "brightness"
    COLOR_TEMP = "color_temp"
    RGB = "rgb"


class SwitchType(StrEnum):
    """What a switch physically is."""

    OUTLET = "outlet"
    SWITCH = "switch"


class PressType(StrEnum):
    """How a button was pressed."""

    SHORT = "short"
    DOUBLE = "double"
    LONG = "long"
    LONG_RELEASE = "long_release"


class Reading(StrEnum):
    """The readings a sensor (or a metering switch) can report."""

    TEMPERATURE = "temperature"
    HUMIDITY = "humidity"
    ILLUMINANCE = "illuminance"
    POWER = "power"
    ENERGY = "energy"
    BATTERY = "battery"
    SIGNAL_STRENGTH = "signal_strength"


NO_EFFECT: Final = "none"
COMMAND_FIELDS: Final = frozenset(
    {"on", "brightness", "color_temp_kelvin", "rgb", "effect", "transition"}
)
STATE_FIELDS: Final = (
    "on",
    "brightness",
    "color_temp_kelvin",
    "rgb",
    "effect",
    "color_mode",
    "power",
    "energy",
    "temperature",
    "humidity",
    "illuminance",
    "battery",
    "signal_strength",
)
_NUMERIC_STATE_FIELDS: Final = frozenset(STATE_FIELDS) - {
    "on",
    "rgb",
    "effect",
    "color_mode",
}
_CAPABILITY_FIELDS: Final = frozenset(
    {
        "dimmable",
        "min_kelvin",
        "max_kelvin",
        "rgb",
        "effects",
        "transition",
        "switch_type",
        "power_metering",
        "sensors",
        "buttons",
    }
)
_BUTTON_FIELDS: Final = frozenset({"id", "name", "press_types"})
_DEVICE_FIELDS: Final = frozenset(
    {"id", "kind", "name", "online", "model", "firmware", "capabilities", "state"}
)
_HUB_FIELDS: Final = frozenset({"name", "model", "firmware", "api_version", "mac"})
_RELEASE_FIELDS: Final = frozenset({"latest", "release_notes", "release_url"})
#: The value a fresh reading starts from when a device does not say otherwise.
DEFAULT_READINGS: Final[Mapping[Reading, float]] = {
    Reading.TEMPERATURE: 21.0,
    Reading.HUMIDITY: 45.0,
    Reading.ILLUMINANCE: 250,
    Reading.POWER: 0.0,
    Reading.ENERGY: 0.0,
    Reading.BATTERY: 100,
    Reading.SIGNAL_STRENGTH: -60,
}


class HomeError(Exception):
    """A change to the home was refused; ``code`` is the API error code."""

    code = "invalid_request"


class InvalidRequestError(HomeError):
    """The change is malformed or not supported by the device."""

    code = "invalid_request"


class NotFoundError(HomeError):
    """The device (or hub) does not exist."""

    code = "not_found"


class DeviceOfflineError(HomeError):
    """The device is offline and cannot be commanded."""

    code = "device_offline"


class ConflictError(HomeError):
    """Something with that id already exists."""

    code = "conflict"


class UpToDateError(ConflictError):
    """A firmware install was asked for, but the hub runs the latest firmware."""

    code = "up_to_date"


class InstallInProgressError(ConflictError):
    """A firmware install was asked for while one is running."""

    code = "install_in_progress"


class VersionUnavailableError(ConflictError):
    """A firmware install named a version that is not the latest."""

    code = "version_unavailable"


def is_int(value: object) -> bool:
    """Return True for a JSON integer (and not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """Return True for a JSON number (and not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_rgb(value: object) -> TypeGuard[list[int]]:
    return (
        isinstance(value, list)
        and len(value) == 3
        and all(is_int(c) and 0 <= c <= 255 for c in value)
    )


@dataclass(slots=True)
class HubInfo:
    """The identity of a hub, as ``GET /info`` reports it."""

    id: str
    name: str
    mac: str
    model: str = HUB_MODEL
    firmware: str = HUB_FIRMWARE
    api_version: str = API_VERSION

    def to_json(self) -> JSONDict:
        """Return the wire form."""
        return {
            "id": self.id,
            "name": self.name,
            "model": self.model,
            "firmware": self.firmware,
            "api_version": self.api_version,
            "mac": self.mac,
        }


@dataclass(slots=True)
class Button:
    """One button of a button device (a wall switch or a remote)."""

    id: str
    name: str
    press_types: list[PressType] = field(default_factory=lambda: list(PressType))

    def to_json(self) -> JSONDict:
        """Return the wire form."""
        return {
            "id": self.id,
            "name": self.name,
            "press_types": [str(press_type) for press_type in self.press_types],
        }


class FirmwareState(StrEnum):
    """What the hub's firmware updater is doing."""

    IDLE = "idle"
    INSTALLING = "installing"


@dataclass(slots=True)
class FirmwareError:
    """Why the last firmware install failed."""

    code: str
    message: str


@dataclass(slots=True)
class Firmware:
    """The hub's view of its firmware releases, and of a running install.

    The installed version is the hub's own (:attr:`HubInfo.firmware`).
    """

    latest: str | None = None
    release_notes: str | None = None
    release_url: str | None = None
    state: FirmwareState = FirmwareState.IDLE
    progress: int | None = None
    error: FirmwareError | None = None

    def to_json(self, installed: str) -> JSONDict:
        """Return the wire form (``GET /firmware``)."""
        error = self.error
        return {
            "installed": installed,
            "latest": self.latest,
            "state": str(self.state),
            "progress": self.progress,
            "release_notes": self.release_notes,
            "release_url": self.release_url,
            "error": None
            if error is None
            else {"code": error.code, "message": error.message},
        }


@dataclass(slots=True)
class Capabilities:
    """What a device can do; only the fields of its kind are sent."""

    dimmable: bool = False
    min_kelvin: int | None = None
    max_kelvin: int | None = None
    rgb: bool = False
    effects: list[str] = field(default_factory=list)
    transition: bool = False
    switch_type: SwitchType | None = None
    power_metering: bool = False
    sensors: list[Reading] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)

    @property
    def kelvin_range(self) -> tuple[int, int] | None:
        """Return the colour temperature range, or None without one."""
        if self.min_kelvin is None or self.max_kelvin is None:
            return None
        return self.min_kelvin, self.max_kelvin

    @property
    def color_temp(self) -> bool:
        """Return True when the light supports colour temperature."""
        return self.kelvin_range is not None

    def to_json(self, kind: DeviceKind) -> JSONDict:
        """Return the wire form for a device of ``kind``."""
        if kind is DeviceKind.LIGHT:
            data: JSONDict = {"dimmable": self.dimmable}
            if self.color_temp:
                data["min_kelvin"] = self.min_kelvin
                data["max_kelvin"] = self.max_kelvin
            data["rgb"] = self.rgb
            data["effects"] = list(self.effects)
            data["transition"] = self.transition
            return data
        if kind is DeviceKind.SWITCH:
            data = {
                "switch_type": str(self.switch_type or SwitchType.SWITCH),
                "power_metering": self.power_metering,
            }
            if self.sensors:
                data["sensors"] = [str(reading) for reading in self.sensors]
            return data
        if kind is DeviceKind.BUTTON:
            return {
                "buttons": [button.to_json() for button in self.buttons],
                "sensors": [str(reading) for reading in self.sensors],
            }
        return {"sensors": [str(reading) for reading in self.sensors]}


@dataclass(slots=True)
class DeviceState:
    """The current state of a device; None means the field does not apply."""

    on: bool | None = None
    brightness: int | None = None
    color_temp_kelvin: int | None = None
    rgb: list[int] | None = None
    effect: str | None = None
    color_mode: ColorMode | None = None
    power: float | None = None
    energy: float | None = None
    temperature: float | None = None
    humidity: float | None = None
    illuminance: float | None = None
    battery: float | None = None
    signal_strength: float | None = None

    def to_json(self) -> JSONDict:
        """Return the wire form, leaving out the fields that do not apply."""
        data: JSONDict = {}
        for name in STATE_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, list):
                value = list(value)
            elif isinstance(value, StrEnum):
                value = str(value)
            data[name] = value
        return data


@dataclass(slots=True)
class Device:
    """One device of a hub."""

    id: str
    kind: DeviceKind
    name: str
    online: bool = True
    model: str | None = None
    firmware: str | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)
    state: DeviceState = field(default_factory=DeviceState)
    #: What a metering switch draws while on, in W (not sent on the wire).
    load_watts: float = 0.0

    def to_json(self) -> JSONDict:
        """Return the wire form."""
        data: JSONDict = {
            "id": self.id,
            "kind": str(self.kind),
            "name": self.name,
            "online": self.online,
        }
        if self.model is not None:
            data["model"] = self.model
        if self.firmware is not None:
            data["firmware"] = self.firmware
        data["capabilities"] = self.capabilities.to_json(self.kind)
        data["state"] = self.state.to_json()
        return data


def default_color_mode(capabilities: Capabilities) -> ColorMode:
    """Return the colour mode a fresh light with these capabilities is in."""
    if capabilities.rgb:
        return ColorMode.RGB
    if capabilities.color_temp:
        return ColorMode.COLOR_TEMP
    if capabilities.dimmable:
        return ColorMode.BRIGHTNESS
    return ColorMode.ONOFF


def default_state(kind: DeviceKind, capabilities: Capabilities) -> DeviceState:
    """Return the state a new device with these capabilities starts in."""
    state = DeviceState()
    if kind is DeviceKind.LIGHT:
        state.on = False
        if capabilities.dimmable or capabilities.color_temp or capabilities.rgb:
            state.brightness = 255
        if (kelvins := capabilities.kelvin_range) is not None:
            state.color_temp_kelvin = min(max(2700, kelvins[0]), kelvins[1])
        if capabilities.rgb:
            state.rgb = [255, 255, 255]
        if capabilities.effects:
            state.effect = NO_EFFECT
        state.color_mode = default_color_mode(capabilities)
    elif kind is DeviceKind.SWITCH:
        state.on = False
    for reading in capabilities.sensors:
        setattr(state, reading, DEFAULT_READINGS[reading])
    return state


def parse_capabilities(kind: DeviceKind, data: object) -> Capabilities:
    """Build capabilities from admin JSON, filling in the defaults of ``kind``."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidRequestError("'capabilities' must be an object")
    unknown = sorted(set(data) - _CAPABILITY_FIELDS)
    if unknown:
        raise InvalidRequestError(f"Unknown capability field(s): {', '.join(unknown)}")
    caps = Capabilities()
    for name in ("dimmable", "rgb", "transition", "power_metering"):
        if name in data:
            if not isinstance(data[name], bool):
                raise InvalidRequestError(f"Capability {name!r} must be a boolean")
            setattr(caps, name, data[name])
    min_kelvin, max_kelvin = data.get("min_kelvin"), data.get("max_kelvin")
    if (min_kelvin is None) != (max_kelvin is None):
        raise InvalidRequestError("Give both 'min_kelvin' and 'max_kelvin', or neither")
    if min_kelvin is not None:
        if not (
            is_int(min_kelvin) and is_int(max_kelvin) and 0 < min_kelvin <= max_kelvin
        ):
            raise InvalidRequestError("The kelvin range must be two rising integers")
        caps.min_kelvin, caps.max_kelvin = min_kelvin, max_kelvin
    effects = data.get("effects", [])
    if not (isinstance(effects, list) and all(isinstance(e, str) for e in effects)):
        raise InvalidRequestError("'effects' must be a list of strings")
    if NO_EFFECT in effects:
        raise InvalidRequestError(f"{NO_EFFECT!r} is implied and cannot be an effect")
    caps.effects = list(effects)
    if "switch_type" in data:
        try:
            caps.switch_type = SwitchType(data["switch_type"])
        except ValueError as err:
            raise InvalidRequestError(
                "'switch_type' must be 'outlet' or 'switch'"
            ) from err
    sensors = data.get("sensors", [])
    try:
        caps.sensors = [Reading(reading) for reading in sensors]
    except (TypeError, ValueError) as err:
        raise InvalidRequestError(
            f"'sensors' must be a list of: {', '.join(Reading)}"
        ) from err
    if "buttons" in data and kind is not DeviceKind.BUTTON:
        raise InvalidRequestError("Only a button device has 'buttons'")
    if kind is DeviceKind.SWITCH:
        caps.switch_type = caps.switch_type or SwitchType.SWITCH
        if caps.power_metering and not caps.sensors:
            caps.sensors = [Reading.POWER, Reading.ENERGY]
    elif kind is DeviceKind.SENSOR and "sensors" not in data:
        caps.sensors = [Reading.TEMPERATURE]
    elif kind is DeviceKind.BUTTON:
        caps.buttons = (
            parse_buttons(data["buttons"])
            if "buttons" in data
            else [Button("main", "Button")]
        )
    return caps


def parse_buttons(data: object) -> list[Button]:
    """Build the buttons of a button device from admin JSON."""
    if not isinstance(data, list) or not data:
        raise InvalidRequestError("'buttons' must be a non-empty list of buttons")
    buttons: list[Button] = []
    for item in data:
        if not isinstance(item, dict):
            raise InvalidRequestError("Each button must be an object")
        unknown = sorted(set(item) - _BUTTON_FIELDS)
        if unknown:
            raise InvalidRequestError(f"Unknown button field(s): {', '.join(unknown)}")
        button_id, name = item.get("id"), item.get("name")
        if not isinstance(button_id, str) or not button_id:
            raise InvalidRequestError("A button's 'id' must be a non-empty string")
        if any(button.id == button_id for button in buttons):
            raise InvalidRequestError(f"Button {button_id!r} is listed twice")
        if name is None:
            name = button_id.capitalize()
        if not isinstance(name, str) or not name:
            raise InvalidRequestError("A button's 'name' must be a non-empty string")
        press_types = item.get("press_types", list(PressType))
        allowed = set(PressType)
        if not (
            isinstance(press_types, list)
            and press_types
            and all(isinstance(p, str) and p in allowed for p in press_types)
        ):
            raise InvalidRequestError(
                f"'press_types' must be a non-empty list of: {', '.join(PressType)}"
            )
        parsed = [PressType(press_type) for press_type in press_types]
        if len(set(parsed)) != len(parsed):
            raise InvalidRequestError("'press_types' lists a press type twice")
        buttons.append(Button(button_id, name, parsed))
    return buttons


def apply_state_values(state: DeviceState, values: Mapping[str, object]) -> None:
    """Set raw state fields from admin JSON; null clears a field.

    Only the types are checked, so a test can put a device in any state.
    """
    unknown = sorted(set(values) - set(STATE_FIELDS))
    if unknown:
        raise InvalidRequestError(f"Unknown state field(s): {', '.join(unknown)}")
    for name, value in values.items():
        if value is None:
            setattr(state, name, None)
        elif name == "on":
            if not isinstance(value, bool):
                raise InvalidRequestError("'on' must be a boolean")
            state.on = value
        elif name == "rgb":
            if not _is_rgb(value):
                raise InvalidRequestError("'rgb' must be three integers 0..255")
            state.rgb = list(value)
        elif name == "effect":
            if not isinstance(value, str):
                raise InvalidRequestError("'effect' must be a string")
            state.effect = value
        elif name == "color_mode":
            try:
                state.color_mode = ColorMode(str(value))
            except ValueError as err:
                raise InvalidRequestError(
                    f"'color_mode' must be one of: {', '.join(ColorMode)}"
                ) from err
        elif name in _NUMERIC_STATE_FIELDS:
            if not is_number(value):
                raise InvalidRequestError(f"{name!r} must be a number")
            if name in {"brightness", "color_temp_kelvin"} and not is_int(value):
                raise InvalidRequestError(f"{name!r} must be an integer")
            setattr(state, name, value)


def parse_device(data: Mapping[str, object], device_id: str) -> Device:
    """Build a device from full or partial admin JSON."""
    unknown = sorted(set(data) - _DEVICE_FIELDS)
    if unknown:
        raise InvalidRequestError(f"Unknown device field(s): {', '.join(unknown)}")
    try:
        kind = DeviceKind(str(data.get("kind")))
    except ValueError as err:
        raise InvalidRequestError(
            f"'kind' must be one of: {', '.join(DeviceKind)}"
        ) from err
    capabilities = parse_capabilities(kind, data.get("capabilities"))
    name = data.get("name", f"{kind.capitalize()} {device_id}")
    online = data.get("online", True)
    model = data.get("model", f"H{kind[0].upper()}-EMU")
    firmware = data.get("firmware", "1.0.0")
    if not isinstance(name, str) or not name:
        raise InvalidRequestError("'name' must be a non-empty string")
    if not isinstance(online, bool):
        raise InvalidRequestError("'online' must be a boolean")
    if not (model is None or isinstance(model, str)):
        raise InvalidRequestError("'model' must be a string")
    if not (firmware is None or isinstance(firmware, str)):
        raise InvalidRequestError("'firmware' must be a string")
    state = default_state(kind, capabilities)
    values = data.get("state", {})
    if not isinstance(values, dict):
        raise InvalidRequestError("'state' must be an object")
    apply_state_values(state, values)
    device = Device(
        id=device_id,
        kind=kind,
        name=name,
        online=online,
        model=model,
        firmware=firmware,
        capabilities=capabilities,
        state=state,
    )
    if capabilities.power_metering:
        device.load_watts = 60.0
    return device


def validate_command(device: Device, body: object) -> JSONDict:
    """Check a ``PATCH /devices/{id}`` body against the device's capabilities."""
    if not isinstance(body, dict) or not body:
        raise InvalidRequestError("The body must be a non-empty JSON object")
    unknown = sorted(set(body) - COMMAND_FIELDS)
    if unknown:
        raise InvalidRequestError(f"Unknown field(s): {', '.join(unknown)}")
    for name, value in body.items():
        if value is None:
            raise InvalidRequestError(f"{name!r} must not be null")
    if device.kind is DeviceKind.SENSOR:
        raise InvalidRequestError("A sensor has no state that can be changed")
    if device.kind is DeviceKind.BUTTON:
        raise InvalidRequestError("A button has no state that can be changed")
    if device.kind is DeviceKind.SWITCH and set(body) != {"on"}:
        raise InvalidRequestError("A switch only accepts 'on'")
    caps = device.capabilities
    if "on" in body and not isinstance(body["on"], bool):
        raise InvalidRequestError("'on' must be a boolean")
    if "brightness" in body:
        if not caps.dimmable:
            raise InvalidRequestError("This light is not dimmable")
        if not (is_int(body["brightness"]) and 1 <= body["brightness"] <= 255):
            raise InvalidRequestError("'brightness' must be an integer 1..255")
    if "color_temp_kelvin" in body:
        if (kelvins := caps.kelvin_range) is None:
            raise InvalidRequestError("This light has no colour temperature")
        kelvin = body["color_temp_kelvin"]
        if not (is_int(kelvin) and kelvins[0] <= kelvin <= kelvins[1]):
            raise InvalidRequestError(
                f"'color_temp_kelvin' must be an integer {kelvins[0]}..{kelvins[1]}"
            )
    if "rgb" in body:
        if not caps.rgb:
            raise InvalidRequestError("This light has no RGB colour")
        if not _is_rgb(body["rgb"]):
            raise InvalidRequestError("'rgb' must be three integers 0..255")
    if "rgb" in body and "color_temp_kelvin" in body:
        raise InvalidRequestError("Give 'rgb' or 'color_temp_kelvin', not both")
    if "effect" in body:
        if not caps.effects:
            raise InvalidRequestError("This light has no effects")
        if body["effect"] != NO_EFFECT and body["effect"] not in caps.effects:
            raise InvalidRequestError(
                f"'effect' must be one of: {', '.join([NO_EFFECT, *caps.effects])}"
            )
    if "transition" in body:
        if not caps.transition:
            raise InvalidRequestError("This light does not support transitions")
        if not (is_number(body["transition"]) and body["transition"] >= 0):
            raise InvalidRequestError("'transition' must be a number >= 0")
    return body


def apply_command(device: Device, command: Mapping[str, Any]) -> None:
    """Apply a validated command to the device's state."""
    state = device.state
    turns_on = (
        any(name in command for name in ("brightness", "color_temp_kelvin", "rgb"))
        or command.get("effect", NO_EFFECT) != NO_EFFECT
    )
    if "on" in command:
        state.on = command["on"]
    elif turns_on:
        state.on = True
    if "brightness" in command:
        state.brightness = command["brightness"]
    if "color_temp_kelvin" in command:
        state.color_temp_kelvin = command["color_temp_kelvin"]
        state.color_mode = ColorMode.COLOR_TEMP
    if "rgb" in command:
        state.rgb = list(command["rgb"])
        state.color_mode = ColorMode.RGB
    if device.capabilities.effects and (
        "color_temp_kelvin" in command or "rgb" in command
    ):
        state.effect = NO_EFFECT
    if "effect" in command:
        state.effect = command["effect"]
    if device.capabilities.power_metering:
        state.power = device.load_watts if state.on else 0.0


class Home:
    """A hub and its devices, with a generation counter and change listeners."""

    def __init__(
        self,
        hub: HubInfo,
        devices: Iterable[Device] = (),
        firmware: Firmware | None = None,
    ) -> None:
        """Hold the hub, its devices (in the order given) and its firmware releases."""
        self.hub = hub
        self.devices: dict[str, Device] = {device.id: device for device in devices}
        self.firmware = firmware or Firmware()
        self.generation = 1
        #: The ``seq`` of the last button press; see :meth:`press`.
        self.press_seq = 0
        self._listeners: list[Listener] = []

    @property
    def etag(self) -> str:
        """Return the strong ETag of the current state."""
        return f'"{self.generation}"'

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every change message; return an unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def state_json(self) -> JSONDict:
        """Return the ``/state`` document."""
        return {
            "hub": self.hub.to_json(),
            "devices": [device.to_json() for device in self.devices.values()],
        }

    def get(self, device_id: str) -> Device:
        """Return a device or raise NotFoundError."""
        try:
            return self.devices[device_id]
        except KeyError:
            raise NotFoundError(f"No device {device_id!r}") from None

    def command(self, device_id: str, body: object) -> Device:
        """Validate and apply a ``PATCH /devices/{id}`` body."""
        device = self.get(device_id)
        command = validate_command(device, body)
        if not device.online:
            raise DeviceOfflineError(f"Device {device_id!r} is offline")
        before = device.to_json()
        apply_command(device, command)
        self._device_changed(device, before)
        return device

    def next_id(self, kind: DeviceKind) -> str:
        """Return the first free ``{kind}-{n}`` id."""
        number = 1
        while f"{kind}-{number}" in self.devices:
            number += 1
        return f"{kind}-{number}"

    def add_device(self, data: Mapping[str, object]) -> Device:
        """Add a device from full or partial JSON; the id is made up if absent."""
        device_id = data.get("id")
        if device_id is None:
            try:
                device_id = self.next_id(DeviceKind(str(data.get("kind"))))
            except ValueError as err:
                raise InvalidRequestError(
                    f"'kind' must be one of: {', '.join(DeviceKind)}"
                ) from err
        if not isinstance(device_id, str) or not device_id or "/" in device_id:
            raise InvalidRequestError("'id' must be a non-empty string without '/'")
        if device_id in self.devices:
            raise ConflictError(f"Device {device_id!r} already exists")
        device = parse_device(data, device_id)
        self.devices[device.id] = device
        self._bump({"type": "device_added", "device": device.to_json()})
        return device

    def remove_device(self, device_id: str) -> Device:
        """Remove a device."""
        device = self.get(device_id)
        del self.devices[device_id]
        self._bump({"type": "device_removed", "device_id": device_id})
        return device

    def update_device(self, device_id: str, changes: Mapping[str, object]) -> Device:
        """Change a device's name, model, firmware, online flag or raw state."""
        device = self.get(device_id)
        unknown = sorted(
            set(changes) - {"name", "model", "firmware", "online", "state"}
        )
        if unknown:
            raise InvalidRequestError(f"Unknown field(s): {', '.join(unknown)}")
        if "online" in changes and not isinstance(changes["online"], bool):
            raise InvalidRequestError("'online' must be a boolean")
        for name in ("name", "model", "firmware"):
            if name in changes and not isinstance(changes[name], str):
                raise InvalidRequestError(f"{name!r} must be a string")
        values = changes.get("state", {})
        if not isinstance(values, dict):
            raise InvalidRequestError("'state' must be an object")
        before = device.to_json()
        scratch = DeviceState(
            **{name: getattr(device.state, name) for name in STATE_FIELDS}
        )
        apply_state_values(scratch, values)
        device.state = scratch
        for name in ("name", "model", "firmware", "online"):
            if name in changes:
                setattr(device, name, changes[name])
        self._device_changed(device, before)
        return device

    def set_online(self, device_id: str, online: bool) -> Device:
        """Bring a device online or take it offline."""
        return self.update_device(device_id, {"online": online})

    def set_state(self, device_id: str, values: Mapping[str, object]) -> Device:
        """Set raw state fields of a device (any DeviceState field)."""
        return self.update_device(device_id, {"state": dict(values)})

    def press(
        self,
        device_id: str,
        button_id: str,
        press_type: str = PressType.SHORT,
        *,
        seq_floor: int = 0,
    ) -> JSONDict:
        """Announce a press of one button of a button device; return the press.

        A press is an event only: it changes neither the state nor the ETag.
        Its ``seq`` rises with every press of the hub, and is at least
        ``seq_floor`` (the emulator passes the time in milliseconds, so that
        the numbers keep rising across its own restarts too).
        """
        device = self.get(device_id)
        if device.kind is not DeviceKind.BUTTON:
            raise InvalidRequestError(f"Device {device_id!r} has no buttons")
        button = next(
            (b for b in device.capabilities.buttons if b.id == button_id), None
        )
        if button is None:
            raise InvalidRequestError(
                f"Device {device_id!r} has no button {button_id!r}"
            )
        if press_type not in button.press_types:
            raise InvalidRequestError(
                f"Button {button_id!r} reports only: {', '.join(button.press_types)}"
            )
        if not device.online:
            raise DeviceOfflineError(f"Device {device_id!r} is offline")
        self.press_seq = max(self.press_seq + 1, seq_floor)
        press: JSONDict = {
            "device_id": device_id,
            "button_id": button_id,
            "press_type": str(press_type),
            "seq": self.press_seq,
        }
        self._emit({"type": "button_press", "press": press})
        return press

    def update_hub(self, changes: Mapping[str, object]) -> HubInfo:
        """Change the hub's name, model, firmware, API version or MAC."""
        unknown = sorted(set(changes) - _HUB_FIELDS)
        if unknown:
            raise InvalidRequestError(f"Unknown hub field(s): {', '.join(unknown)}")
        for name, value in changes.items():
            if not isinstance(value, str) or not value:
                raise InvalidRequestError(f"{name!r} must be a non-empty string")
        before = self.hub.to_json()
        for name, value in changes.items():
            setattr(self.hub, name, value)
        if self.hub.to_json() != before:
            self._bump({"type": "hub", "hub": self.hub.to_json()})
        return self.hub

    # Firmware: none of it is part of /state, so none of it moves the ETag,
    # except the installed version, which is the hub's own.

    def firmware_json(self) -> JSONDict:
        """Return the ``GET /firmware`` document."""
        return self.firmware.to_json(self.hub.firmware)

    def update_release(self, changes: Mapping[str, object]) -> JSONDict:
        """Change what the hub knows of the latest release; a ``firmware`` event."""
        unknown = sorted(set(changes) - _RELEASE_FIELDS)
        if unknown:
            raise InvalidRequestError(f"Unknown field(s): {', '.join(unknown)}")
        for name, value in changes.items():
            if value is not None and not (isinstance(value, str) and value):
                raise InvalidRequestError(
                    f"{name!r} must be a non-empty string or null"
                )
        if "latest" in changes and self.firmware.state is FirmwareState.INSTALLING:
            raise InstallInProgressError("An install is running")
        before = self.firmware_json()
        for name, value in changes.items():
            setattr(self.firmware, name, value)
        if self.firmware_json() != before:
            self._emit({"type": "firmware", "firmware": self.firmware_json()})
        return self.firmware_json()

    def begin_install(self, version: str | None = None) -> JSONDict:
        """Start installing the latest firmware (``version``, when given, must be it)."""
        firmware = self.firmware
        if firmware.state is FirmwareState.INSTALLING:
            raise InstallInProgressError(
                f"Firmware {firmware.latest} is being installed"
            )
        if firmware.latest is None or firmware.latest == self.hub.firmware:
            raise UpToDateError(f"Firmware {self.hub.firmware} is the latest")
        if version is not None and version != firmware.latest:
            raise VersionUnavailableError(
                f"Firmware {version!r} is not available; the latest is {firmware.latest}"
            )
        firmware.state, firmware.progress, firmware.error = (
            FirmwareState.INSTALLING,
            0,
            None,
        )
        return self._firmware_event("firmware_progress")

    def install_progress(self, percent: int) -> JSONDict:
        """Report how far the running install is."""
        self.firmware.progress = percent
        return self._firmware_event("firmware_progress")

    def fail_install(self, code: str, message: str) -> JSONDict:
        """End the running install without changing the installed version."""
        firmware = self.firmware
        firmware.state, firmware.progress = FirmwareState.IDLE, None
        firmware.error = FirmwareError(code, message)
        return self._firmware_event("firmware_failed")

    def finish_install(self) -> HubInfo:
        """Run the installed version, as the hub does once it restarted."""
        firmware = self.firmware
        version = firmware.latest or self.hub.firmware
        firmware.state, firmware.progress = FirmwareState.IDLE, None
        return self.update_hub({"firmware": version})

    def _firmware_event(self, event_type: str) -> JSONDict:
        document = self.firmware_json()
        self._emit({"type": event_type, "firmware": document})
        return document

    def drift(self, rng: random.Random, elapsed: float) -> list[Device]:
        """Let sensor readings wander as ``elapsed`` seconds pass.

        Offline devices keep their last values. Returns the devices that changed.
        """
        changed: list[Device] = []
        for device in self.devices.values():
            if not device.online or not device.capabilities.sensors:
                continue
            before = device.to_json()
            _drift_readings(device, rng, elapsed)
            if self._device_changed(device, before):
                changed.append(device)
        return changed

    def _device_changed(self, device: Device, before: JSONDict) -> bool:
        """Announce a device whose wire form differs from ``before``."""
        after = device.to_json()
        if after == before:
            return False
        self._bump({"type": "device_state", "device": after})
        return True

    def _bump(self, message: JSONDict) -> None:
        """Announce a change of the state, which moves the ETag."""
        self.generation += 1
        self._emit(message)

    def _emit(self, message: JSONDict) -> None:
        """Tell every listener; an event alone (a press) leaves the ETag."""
        for listener in list(self._listeners):
            listener(message)


def _walk(
    value: float | None, rng: random.Random, step: float, low: float, high: float
) -> float:
    current = value if value is not None else (low + high) / 2
    return min(high, max(low, current + rng.uniform(-step, step)))


def _drift_readings(device: Device, rng: random.Random, elapsed: float) -> None:
    """Move every reading of ``device`` a little."""
    state = device.state
    readings = set(device.capabilities.sensors)
    if Reading.TEMPERATURE in readings:
        state.temperature = round(_walk(state.temperature, rng, 0.3, 15.0, 28.0), 1)
    if Reading.HUMIDITY in readings:
        state.humidity = round(_walk(state.humidity, rng, 1.0, 25.0, 70.0), 1)
    if Reading.ILLUMINANCE in readings:
        state.illuminance = round(_walk(state.illuminance, rng, 40.0, 0.0, 2000.0))
    if Reading.SIGNAL_STRENGTH in readings:
        state.signal_strength = round(
            _walk(state.signal_strength, rng, 2.0, -90.0, -40.0)
        )
    if Reading.BATTERY in readings and rng.random() < 0.05:
        state.battery = max(1, round(state.battery or 100) - 1)
    if Reading.POWER in readings:
        if device.kind is DeviceKind.SWITCH:
            base = device.load_watts if state.on else 0.0
            state.power = round(base * rng.uniform(0.97, 1.03), 1)
        else:
            state.power = round(_walk(state.power, rng, 60.0, 80.0, 3500.0), 1)
    if Reading.ENERGY in readings:
        watts = state.power or 0.0
        state.energy = round((state.energy or 0.0) + watts * elapsed / 3_600_000, 4)
