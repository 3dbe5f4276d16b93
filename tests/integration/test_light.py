"""The light platform: states, colour modes and commands against the emulator."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.light import (
    ATTR_BRIGHTNESS,
    ATTR_BRIGHTNESS_PCT,
    ATTR_COLOR_MODE,
    ATTR_COLOR_TEMP_KELVIN,
    ATTR_EFFECT,
    ATTR_EFFECT_LIST,
    ATTR_HS_COLOR,
    ATTR_MAX_COLOR_TEMP_KELVIN,
    ATTR_MIN_COLOR_TEMP_KELVIN,
    ATTR_RGB_COLOR,
    ATTR_SUPPORTED_COLOR_MODES,
    ATTR_TRANSITION,
    DOMAIN as LIGHT_DOMAIN,
    EFFECT_OFF,
    ColorMode,
    LightEntityFeature,
)
from homeassistant.const import (
    ATTR_SUPPORTED_FEATURES,
    CONF_API_KEY,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion
import voluptuous as vol

from custom_components.hearth.const import DOMAIN
from emulator import Emulator
from tests.harness.emulators import READ_ONLY_KEY
from tests.integration.helpers import GET_STATE, PATCH_DEVICE, async_poll, setup_entry

HALLWAY = "light.hallway_light"
DESK = "light.desk_lamp"
BEDROOM = "light.bedroom_ceiling"
STRIP = "light.living_room_strip"

type Commands = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up only the light platform."""
    return [Platform.LIGHT]


@pytest.fixture
def commands(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Commands:
    """Record the body of every command the emulated hub receives."""
    received: Commands = []
    home = emulator.home
    command = home.command

    def record(device_id: str, body: object) -> Any:
        assert isinstance(body, dict)
        received.append((device_id, dict(body)))
        return command(device_id, body)

    monkeypatch.setattr(home, "command", record)
    return received


async def _async_call(service: str, hass: HomeAssistant, **data: Any) -> None:
    await hass.services.async_call(LIGHT_DOMAIN, service, data, blocking=True)


async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Every light of the demo home is created as the snapshot shows."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


@pytest.mark.parametrize(
    ("entity_id", "modes", "mode", "features"),
    [
        (HALLWAY, [ColorMode.ONOFF], ColorMode.ONOFF, LightEntityFeature(0)),
        (DESK, [ColorMode.BRIGHTNESS], ColorMode.BRIGHTNESS, LightEntityFeature(0)),
        (
            BEDROOM,
            [ColorMode.COLOR_TEMP],
            ColorMode.COLOR_TEMP,
            LightEntityFeature.TRANSITION,
        ),
        (
            STRIP,
            [ColorMode.COLOR_TEMP, ColorMode.RGB],
            ColorMode.RGB,
            LightEntityFeature.EFFECT | LightEntityFeature.TRANSITION,
        ),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_color_modes(
    hass: HomeAssistant,
    entity_id: str,
    modes: list[ColorMode],
    mode: ColorMode,
    features: LightEntityFeature,
) -> None:
    """Each kind of light gets its own colour modes and features."""
    await _async_call(SERVICE_TURN_ON, hass, entity_id=entity_id)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_ON
    assert sorted(state.attributes[ATTR_SUPPORTED_COLOR_MODES]) == modes
    assert state.attributes[ATTR_COLOR_MODE] == mode
    assert state.attributes[ATTR_SUPPORTED_FEATURES] == features


@pytest.mark.usefixtures("init_integration")
async def test_color_temp_range_and_effects(hass: HomeAssistant) -> None:
    """The colour temperature range and the effects are the ones the hub reports."""
    state = hass.states.get(BEDROOM)
    assert state is not None
    assert state.attributes[ATTR_MIN_COLOR_TEMP_KELVIN] == 2200
    assert state.attributes[ATTR_MAX_COLOR_TEMP_KELVIN] == 6500
    strip = hass.states.get(STRIP)
    assert strip is not None
    assert strip.attributes[ATTR_EFFECT_LIST] == [
        "colorloop",
        "candle",
        "fireplace",
        EFFECT_OFF,
    ]


@pytest.mark.usefixtures("init_integration")
async def test_effects_have_names(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    """Every effect of the demo home has a human name in the translations.

    The frontend shows these in the more-info dialog instead of the hub's ids.
    """
    entry = entity_registry.async_get(STRIP)
    assert entry is not None
    strip = hass.states.get(STRIP)
    assert strip is not None
    translations = await async_get_translations(hass, "en", "entity", {DOMAIN})
    prefix = (
        f"component.{DOMAIN}.entity.light.{entry.translation_key}"
        ".state_attributes.effect.state"
    )
    names = {
        effect: translations.get(f"{prefix}.{effect}")
        for effect in strip.attributes[ATTR_EFFECT_LIST]
        if effect != EFFECT_OFF
    }
    assert names == {
        "colorloop": "Colour loop",
        "candle": "Candle",
        "fireplace": "Fireplace",
    }


@pytest.mark.parametrize(
    ("device_id", "reported", "entity_id", "shown"),
    [
        # A mode the light does not have falls back to its richest one.
        ("light-4", "brightness", STRIP, ColorMode.RGB),
        ("light-4", "color_temp", STRIP, ColorMode.COLOR_TEMP),
        ("light-3", "rgb", BEDROOM, ColorMode.COLOR_TEMP),
        ("light-2", None, DESK, ColorMode.BRIGHTNESS),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_color_mode_reported(
    hass: HomeAssistant,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    device_id: str,
    reported: str | None,
    entity_id: str,
    shown: ColorMode,
) -> None:
    """The colour mode follows the hub, within the modes the light supports."""
    emulator.set_state(device_id, on=True, brightness=42, color_mode=reported)
    await async_poll(hass, freezer)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes[ATTR_BRIGHTNESS] == 42
    assert state.attributes[ATTR_COLOR_MODE] == shown


@pytest.mark.parametrize(
    ("entity_id", "device_id", "data", "sent", "device_state", "attributes"),
    [
        (
            HALLWAY,
            "light-1",
            {},
            {"on": True},
            {"on": True},
            {ATTR_COLOR_MODE: ColorMode.ONOFF},
        ),
        (
            DESK,
            "light-2",
            {ATTR_BRIGHTNESS: 77},
            {"on": True, "brightness": 77},
            {"on": True, "brightness": 77},
            {ATTR_BRIGHTNESS: 77, ATTR_COLOR_MODE: ColorMode.BRIGHTNESS},
        ),
        (
            BEDROOM,
            "light-3",
            {ATTR_COLOR_TEMP_KELVIN: 4000, ATTR_TRANSITION: 2},
            {"on": True, "color_temp_kelvin": 4000, "transition": 2.0},
            {"on": True, "color_temp_kelvin": 4000, "color_mode": "color_temp"},
            {ATTR_COLOR_TEMP_KELVIN: 4000, ATTR_COLOR_MODE: ColorMode.COLOR_TEMP},
        ),
        (
            STRIP,
            "light-4",
            {ATTR_RGB_COLOR: (0, 255, 0), ATTR_BRIGHTNESS: 90},
            {"on": True, "brightness": 90, "rgb": [0, 255, 0]},
            {"on": True, "brightness": 90, "rgb": [0, 255, 0], "color_mode": "rgb"},
            {
                ATTR_RGB_COLOR: (0, 255, 0),
                ATTR_BRIGHTNESS: 90,
                ATTR_COLOR_MODE: ColorMode.RGB,
            },
        ),
        (
            STRIP,
            "light-4",
            {ATTR_COLOR_TEMP_KELVIN: 5000},
            {"on": True, "color_temp_kelvin": 5000},
            {"color_temp_kelvin": 5000, "color_mode": "color_temp", "effect": "none"},
            {ATTR_COLOR_TEMP_KELVIN: 5000, ATTR_COLOR_MODE: ColorMode.COLOR_TEMP},
        ),
        (
            STRIP,
            "light-4",
            {ATTR_EFFECT: "colorloop"},
            {"on": True, "effect": "colorloop"},
            {"on": True, "effect": "colorloop"},
            {ATTR_EFFECT: "colorloop"},
        ),
        (
            STRIP,
            "light-4",
            {ATTR_HS_COLOR: (240, 100)},
            {"on": True, "rgb": [0, 0, 255]},
            {"rgb": [0, 0, 255], "color_mode": "rgb"},
            {ATTR_RGB_COLOR: (0, 0, 255), ATTR_COLOR_MODE: ColorMode.RGB},
        ),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_turn_on(
    hass: HomeAssistant,
    emulator: Emulator,
    commands: Commands,
    entity_id: str,
    device_id: str,
    data: dict[str, Any],
    sent: dict[str, Any],
    device_state: dict[str, Any],
    attributes: dict[str, Any],
) -> None:
    """A turn_on reaches the hub and shows in HA at once, without a GET."""
    gets = emulator.stats.count(*GET_STATE)
    await _async_call(SERVICE_TURN_ON, hass, entity_id=entity_id, **data)
    assert commands == [(device_id, sent)]
    device = emulator.home.get(device_id)
    for key, value in device_state.items():
        assert getattr(device.state, key) == value, key
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_ON
    for key, value in attributes.items():
        assert state.attributes[key] == value, key
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.stats.count(*GET_STATE) == gets


@pytest.mark.usefixtures("init_integration")
async def test_effect_off(
    hass: HomeAssistant, emulator: Emulator, commands: Commands
) -> None:
    """Turning the effect off sends the hub's "none"; HA shows "off"."""
    gets = emulator.stats.count(*GET_STATE)
    await _async_call(SERVICE_TURN_ON, hass, entity_id=STRIP, effect="candle")
    state = hass.states.get(STRIP)
    assert state is not None
    assert state.attributes[ATTR_EFFECT] == "candle"
    await _async_call(SERVICE_TURN_ON, hass, entity_id=STRIP, effect=EFFECT_OFF)
    assert commands[-1] == ("light-4", {"on": True, "effect": "none"})
    assert emulator.home.get("light-4").state.effect == "none"
    state = hass.states.get(STRIP)
    assert state is not None
    assert state.attributes[ATTR_EFFECT] == EFFECT_OFF
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.stats.count(*GET_STATE) == gets


@pytest.mark.parametrize(
    ("entity_id", "device_id", "data", "sent"),
    [
        (STRIP, "light-4", {}, {"on": False}),
        (STRIP, "light-4", {ATTR_TRANSITION: 1.5}, {"on": False, "transition": 1.5}),
        # The desk lamp has no transitions: Home Assistant leaves it out.
        (DESK, "light-2", {ATTR_TRANSITION: 3}, {"on": False}),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_turn_off(
    hass: HomeAssistant,
    emulator: Emulator,
    commands: Commands,
    entity_id: str,
    device_id: str,
    data: dict[str, Any],
    sent: dict[str, Any],
) -> None:
    """A turn_off reaches the hub and shows in HA at once, without a GET."""
    gets = emulator.stats.count(*GET_STATE)
    before = hass.states.get(entity_id)
    assert before is not None
    assert before.state == STATE_ON
    await _async_call(SERVICE_TURN_OFF, hass, entity_id=entity_id, **data)
    assert commands == [(device_id, sent)]
    assert emulator.home.get(device_id).state.on is False
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_OFF
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.stats.count(*GET_STATE) == gets


@pytest.mark.parametrize(
    ("kelvin", "sent"),
    [(10000, 6500), (1000, 2200), (6500, 6500)],
)
@pytest.mark.usefixtures("init_integration")
async def test_color_temp_clamped(
    hass: HomeAssistant,
    emulator: Emulator,
    commands: Commands,
    kelvin: int,
    sent: int,
) -> None:
    """A colour temperature outside the light's range is brought within it."""
    await _async_call(
        SERVICE_TURN_ON, hass, entity_id=BEDROOM, color_temp_kelvin=kelvin
    )
    assert commands == [("light-3", {"on": True, "color_temp_kelvin": sent})]
    assert emulator.home.get("light-3").state.color_temp_kelvin == sent
    state = hass.states.get(BEDROOM)
    assert state is not None
    assert state.attributes[ATTR_COLOR_TEMP_KELVIN] == sent


@pytest.mark.usefixtures("init_integration")
async def test_color_on_color_temp_light(
    hass: HomeAssistant, emulator: Emulator, commands: Commands
) -> None:
    """A colour asked of a white-only light becomes a temperature it supports."""
    await _async_call(SERVICE_TURN_ON, hass, entity_id=BEDROOM, rgb_color=(0, 0, 255))
    assert len(commands) == 1
    kelvin = commands[0][1]["color_temp_kelvin"]
    assert 2200 <= kelvin <= 6500
    assert emulator.home.get("light-3").state.color_temp_kelvin == kelvin
    state = hass.states.get(BEDROOM)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes[ATTR_COLOR_TEMP_KELVIN] == kelvin


@pytest.mark.usefixtures("init_integration")
async def test_brightness_clamped_by_home_assistant(
    hass: HomeAssistant, emulator: Emulator, commands: Commands
) -> None:
    """Home Assistant clamps a brightness above 255 before the light sees it."""
    await _async_call(SERVICE_TURN_ON, hass, entity_id=DESK, brightness=300)
    assert commands == [("light-2", {"on": True, "brightness": 255})]
    assert emulator.home.get("light-2").state.brightness == 255


@pytest.mark.parametrize(
    "data",
    [
        {ATTR_BRIGHTNESS_PCT: 150},
        {ATTR_BRIGHTNESS: "bright"},
        {ATTR_RGB_COLOR: (300, 0, 0)},
        {ATTR_TRANSITION: "slow"},
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_invalid_input(
    hass: HomeAssistant,
    emulator: Emulator,
    commands: Commands,
    data: dict[str, Any],
) -> None:
    """Home Assistant's own validation refuses bad input; nothing is sent."""
    with pytest.raises(vol.Invalid):
        await _async_call(SERVICE_TURN_ON, hass, entity_id=STRIP, **data)
    assert commands == []
    assert emulator.stats.count(*PATCH_DEVICE) == 0


@pytest.mark.usefixtures("init_integration")
async def test_ignores_unsupported_parameters(
    hass: HomeAssistant, emulator: Emulator, commands: Commands
) -> None:
    """Parameters a light cannot use are dropped before they reach the hub."""
    await _async_call(
        SERVICE_TURN_ON,
        hass,
        entity_id=HALLWAY,
        brightness=100,
        color_temp_kelvin=3000,
        effect="candle",
        transition=2,
    )
    assert commands == [("light-1", {"on": True})]
    state = hass.states.get(HALLWAY)
    assert state is not None
    assert state.state == STATE_ON


@pytest.mark.usefixtures("init_integration")
async def test_state_follows_hub(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """A change made elsewhere shows after the next poll."""
    emulator.set_state("light-2", brightness=12)
    emulator.set_state("light-4", on=False, effect="fireplace")
    emulator.set_state("light-1", on=None)
    await async_poll(hass, freezer)
    desk = hass.states.get(DESK)
    assert desk is not None
    assert desk.attributes[ATTR_BRIGHTNESS] == 12
    strip = hass.states.get(STRIP)
    assert strip is not None
    assert strip.state == STATE_OFF
    hallway = hass.states.get(HALLWAY)
    assert hallway is not None
    assert hallway.state == STATE_UNKNOWN
    emulator.set_state("light-4", on=True, effect=None)
    await async_poll(hass, freezer)
    strip = hass.states.get(STRIP)
    assert strip is not None
    assert strip.attributes[ATTR_EFFECT] == EFFECT_OFF


async def test_read_only_key(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    restrict_platforms: None,
) -> None:
    """A read-only key shows every state, and a command says why it fails."""
    await setup_entry(
        hass,
        mock_config_entry,
        data={**mock_config_entry.data, CONF_API_KEY: READ_ONLY_KEY},
    )
    state = hass.states.get(DESK)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes[ATTR_BRIGHTNESS] == 180
    with pytest.raises(HomeAssistantError) as exc:
        await _async_call(SERVICE_TURN_OFF, hass, entity_id=DESK)
    assert exc.value.translation_domain == "hearth"
    assert exc.value.translation_key == "read_only"
    assert str(exc.value).startswith("The API key is read-only")
    assert emulator.stats.count(*PATCH_DEVICE) == 1
    assert emulator.home.get("light-2").state.on is True
    state = hass.states.get(DESK)
    assert state is not None
    assert state.state == STATE_ON


@pytest.mark.usefixtures("init_integration")
async def test_device_offline(
    hass: HomeAssistant,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    commands: Commands,
) -> None:
    """A light that went offline refuses commands, then becomes unavailable."""
    emulator.set_online("light-2", False)
    with pytest.raises(HomeAssistantError) as exc:
        await _async_call(SERVICE_TURN_OFF, hass, entity_id=DESK)
    assert exc.value.translation_key == "device_offline"
    assert str(exc.value).startswith("The device is offline")
    assert emulator.home.get("light-2").state.on is True

    await async_poll(hass, freezer)
    state = hass.states.get(DESK)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    patches = emulator.stats.count(*PATCH_DEVICE)
    await _async_call(SERVICE_TURN_OFF, hass, entity_id=DESK)
    assert emulator.stats.count(*PATCH_DEVICE) == patches
    assert len(commands) == 1

    emulator.set_online("light-2", True)
    await async_poll(hass, freezer)
    state = hass.states.get(DESK)
    assert state is not None
    assert state.state == STATE_ON


@pytest.mark.usefixtures("init_integration")
async def test_server_error(
    hass: HomeAssistant, emulator: Emulator, commands: Commands
) -> None:
    """A command the hub fails on raises a translated error; retrying works."""
    fault = emulator.add_fault(
        "server_error", target="hub", path="/api/v1/devices", count=1
    )
    gets = emulator.stats.count(*GET_STATE)
    with pytest.raises(HomeAssistantError) as exc:
        await _async_call(SERVICE_TURN_ON, hass, entity_id=BEDROOM, brightness=50)
    assert exc.value.translation_domain == "hearth"
    assert exc.value.translation_key == "server_error"
    assert str(exc.value).startswith("Hearth reported an internal error")
    assert fault.count == 0
    assert emulator.stats.count(*PATCH_DEVICE) == 1
    assert commands == []
    assert emulator.home.get("light-3").state.on is False
    state = hass.states.get(BEDROOM)
    assert state is not None
    assert state.state == STATE_OFF

    await _async_call(SERVICE_TURN_ON, hass, entity_id=BEDROOM, brightness=50)
    assert commands == [("light-3", {"on": True, "brightness": 50})]
    state = hass.states.get(BEDROOM)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes[ATTR_BRIGHTNESS] == 50
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.stats.count(*GET_STATE) == gets


@pytest.mark.usefixtures("init_integration")
async def test_cannot_connect(hass: HomeAssistant, emulator: Emulator) -> None:
    """A command while the hub is unreachable raises a translated error."""
    await emulator.stop()
    with pytest.raises(HomeAssistantError) as exc:
        await _async_call(SERVICE_TURN_ON, hass, entity_id=HALLWAY)
    assert exc.value.translation_key == "cannot_connect"
    state = hass.states.get(HALLWAY)
    assert state is not None
    assert state.state == STATE_OFF
