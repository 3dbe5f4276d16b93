"""Typed models of the Hearth API payloads.

The wire format is described in ``docs/openapi.yaml``. Unknown fields are
ignored so that newer hubs keep working; a missing or ill-typed required
field makes :meth:`from_json`/:meth:`from_dict` raise, and the client turns
that into :class:`~.exceptions.HearthInvalidResponseError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, get_args, get_origin, get_type_hints

from mashumaro.config import BaseConfig
from mashumaro.mixins.orjson import DataClassORJSONMixin


class DeviceKind(StrEnum):
    """The kinds of device a hub can have."""

    LIGHT = "light"
    SWITCH = "switch"
    SENSOR = "sensor"
    BUTTON = "button"


class ColorMode(StrEnum):
    """The colour mode a light is currently in."""

    ONOFF = "onoff"
    BRIGHTNESS = "brightness"
    COLOR_TEMP = "color_temp"
    RGB = "rgb"


class SwitchType(StrEnum):
    """What a switch device physically is."""

    OUTLET = "outlet"
    SWITCH = "switch"


class SensorReading(StrEnum):
    """Readings a sensor device (or a metering switch) can report."""

    TEMPERATURE = "temperature"
    HUMIDITY = "humidity"
    ILLUMINANCE = "illuminance"
    POWER = "power"
    ENERGY = "energy"
    BATTERY = "battery"
    SIGNAL_STRENGTH = "signal_strength"


class PressType(StrEnum):
    """How a button was pressed; newer hubs may report others."""

    SHORT = "short"
    DOUBLE = "double"
    LONG = "long"
    LONG_RELEASE = "long_release"


class InvalidModelError(ValueError):
    """A payload field has the wrong type."""


def _exact(*kinds: type) -> Callable[[Any], Any]:
    """Return a mashumaro deserializer that accepts only these exact types.

    mashumaro would otherwise coerce (``bool("no")`` is True, ``int("5")`` is
    5). Exact type checks also keep a JSON ``true`` out of number fields.
    """

    def check(value: Any) -> Any:
        if type(value) in kinds:
            return value
        raise InvalidModelError(f"{value!r} is not of type {kinds[0].__name__}")

    return check


def _refuse_non_arrays(names: tuple[str, ...]) -> classmethod[Any, Any, Any]:
    """Return a mashumaro pre-deserialize hook that checks ``names`` are arrays.

    mashumaro would build a list from any iterable: "temperature" would become
    eleven one-letter readings, and ``{}`` an empty list of devices.
    """

    def hook(cls: type, d: Any) -> Any:
        for name in names if type(d) is dict else ():
            value = d.get(name)
            if value is not None and type(value) is not list:
                raise InvalidModelError(f"field {name!r} is not an array")
        return d

    return classmethod(hook)


class _Model(DataClassORJSONMixin):
    """Shared mashumaro configuration: strict scalars, unknown keys ignored."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Give models with list fields a hook that refuses non-arrays."""
        arrays = tuple(
            name
            for name, hint in get_type_hints(cls).items()
            if list in (get_origin(hint), *map(get_origin, get_args(hint)))
        )
        if arrays:
            cls.__pre_deserialize__ = _refuse_non_arrays(arrays)  # type: ignore[method-assign,assignment]
        super().__init_subclass__(**kwargs)

    class Config(BaseConfig):
        """Tolerate unknown fields; refuse ill-typed ones instead of coercing."""

        forbid_extra_keys = False
        serialization_strategy = {  # noqa: RUF012
            bool: {"deserialize": _exact(bool)},
            int: {"deserialize": _exact(int)},
            float: {"deserialize": _exact(float, int)},
            str: {"deserialize": _exact(str)},
        }


@dataclass(slots=True)
class HubInfo(_Model):
    """What ``GET /info`` says about a hub."""

    id: str
    name: str
    model: str
    firmware: str
    api_version: str
    mac: str | None = None

    @property
    def api_major(self) -> int | None:
        """Return the major API version, or None when it cannot be read."""
        head = self.api_version.split(".", 1)[0]
        return int(head) if head.isdigit() else None


@dataclass(slots=True)
class Button(_Model):
    """One button of a button device (a wall switch or a remote).

    ``press_types`` is kept as sent, press types of newer hubs included.
    """

    id: str
    name: str
    press_types: list[str] = field(default_factory=list)

    @property
    def known_press_types(self) -> list[PressType]:
        """Return the press types this client knows, in the hub's order."""
        return [PressType(p) for p in self.press_types if p in PressType]


@dataclass(slots=True)
class Capabilities(_Model):
    """What a device can do. Fields that do not apply to a kind stay default."""

    # Lights
    dimmable: bool = False
    min_kelvin: int | None = None
    max_kelvin: int | None = None
    rgb: bool = False
    effects: list[str] = field(default_factory=list)
    transition: bool = False
    # Switches
    switch_type: str | None = None
    power_metering: bool = False
    # Sensors (and metering switches, buttons): the readings the device reports
    sensors: list[str] = field(default_factory=list)
    # Buttons
    buttons: list[Button] = field(default_factory=list)

    @property
    def color_temp(self) -> bool:
        """Return True when the light supports colour temperature."""
        return self.min_kelvin is not None and self.max_kelvin is not None


@dataclass(slots=True)
class DeviceState(_Model):
    """The current state of a device. Fields that do not apply stay None."""

    on: bool | None = None
    brightness: int | None = None
    color_temp_kelvin: int | None = None
    rgb: list[int] | None = None
    effect: str | None = None
    color_mode: str | None = None
    power: float | None = None
    energy: float | None = None
    temperature: float | None = None
    humidity: float | None = None
    illuminance: float | None = None
    battery: float | None = None
    signal_strength: float | None = None

    def __post_init__(self) -> None:
        """Check the one constraint the field types cannot express."""
        if self.rgb is not None and len(self.rgb) != 3:
            raise InvalidModelError("field 'rgb' is not three integers")

    def reading(self, key: str) -> float | None:
        """Return a sensor reading by its key (see :class:`SensorReading`)."""
        value: float | None = getattr(self, key, None)
        return value


@dataclass(slots=True)
class Device(_Model):
    """One device of a hub, with its capabilities and current state."""

    id: str
    kind: str
    name: str
    online: bool
    model: str | None = None
    firmware: str | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)
    state: DeviceState = field(default_factory=DeviceState)


@dataclass(slots=True)
class HubState(_Model):
    """``GET /state``: the hub and every one of its devices, in one answer."""

    hub: HubInfo
    devices: list[Device]


@dataclass(slots=True)
class DeviceCommand(_Model):
    """A partial state change for ``PATCH /devices/{id}``.

    Only the fields that are set are sent.
    """

    on: bool | None = None
    brightness: int | None = None
    color_temp_kelvin: int | None = None
    rgb: list[int] | None = None
    effect: str | None = None
    transition: float | None = None

    class Config(_Model.Config):
        """Send only what is set."""

        omit_none = True
        code_generation_options = ["TO_DICT_ADD_OMIT_NONE_FLAG"]  # noqa: RUF012

    def payload(self) -> dict[str, Any]:
        """Return the JSON body for the request."""
        return self.to_dict(omit_none=True)


@dataclass(slots=True)
class RateLimitInfo:
    """The rate-limit headers of the last response, as plain numbers.

    ``reset`` is the number of seconds, counted from when the response was
    received, until the budget has room again.
    """

    limit: int
    remaining: int
    reset: float


@dataclass(slots=True)
class Account(_Model):
    """``GET /me`` on the cloud: the signed-in account."""

    id: str
    name: str


@dataclass(slots=True)
class CloudHub(_Model):
    """One hub of a cloud account, as listed by ``GET /hubs``."""

    id: str
    name: str
    model: str
    firmware: str
    online: bool = True


@dataclass(slots=True)
class HubPage(_Model):
    """One page of ``GET /hubs``."""

    hubs: list[CloudHub]
    next_cursor: str | None = None


class FirmwareState(StrEnum):
    """What a hub's firmware updater is doing; newer hubs may report others."""

    IDLE = "idle"
    INSTALLING = "installing"


@dataclass(slots=True)
class FirmwareFailure(_Model):
    """Why a hub's last firmware install failed: a stable code and a message."""

    code: str
    message: str


@dataclass(slots=True)
class Firmware(_Model):
    """``GET /firmware``: the installed and latest firmware, and a running install.

    ``latest`` is None while the hub knows of no release. ``progress`` (0 to
    100) is set while ``state`` is ``installing``. ``error`` says why the
    last install failed, until the next one starts.
    """

    installed: str
    latest: str | None = None
    state: str = FirmwareState.IDLE
    progress: int | None = None
    release_notes: str | None = None
    release_url: str | None = None
    error: FirmwareFailure | None = None

    @property
    def update_available(self) -> bool:
        """Return True when the hub offers a firmware other than its own."""
        return self.latest is not None and self.latest != self.installed

    @property
    def installing(self) -> bool:
        """Return True while an install runs."""
        return self.state == FirmwareState.INSTALLING


class EventType(StrEnum):
    """The kinds of message on the ``/events`` WebSocket."""

    DEVICE_STATE = "device_state"
    DEVICE_ADDED = "device_added"
    DEVICE_REMOVED = "device_removed"
    HUB = "hub"
    BUTTON_PRESS = "button_press"
    FIRMWARE = "firmware"
    FIRMWARE_PROGRESS = "firmware_progress"
    FIRMWARE_FAILED = "firmware_failed"


@dataclass(slots=True)
class ButtonPress(_Model):
    """A press of one button, as a ``button_press`` event carries it.

    ``seq`` rises with every press of the hub and is never reused: drop a
    press whose ``seq`` is not larger than the largest one seen of its hub.
    ``press_type`` is kept as sent, even one this client does not know.
    """

    device_id: str
    button_id: str
    press_type: str
    seq: int


@dataclass(slots=True)
class Event(_Model):
    """One message of the hub's ``/events`` stream.

    ``type`` is kept as sent; a type this client does not know decodes with
    the fields it knows, so a caller can skip it.
    """

    type: str
    device: Device | None = None
    device_id: str | None = None
    hub: HubInfo | None = None
    press: ButtonPress | None = None
    firmware: Firmware | None = None


@dataclass(slots=True, kw_only=True)
class CloudEvent(Event):
    """One message of the cloud's ``/v1/events`` stream: an event of one hub."""

    hub_id: str
