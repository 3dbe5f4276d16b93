"""Hearth lights: on/off, dimmable, colour temperature, RGB and effects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.light import (
    ATTR_BRIGHTNESS,
    ATTR_COLOR_TEMP_KELVIN,
    ATTR_EFFECT,
    ATTR_RGB_COLOR,
    ATTR_TRANSITION,
    EFFECT_OFF,
    ColorMode,
    LightEntity,
    LightEntityDescription,
    LightEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Capabilities, Device, DeviceCommand, DeviceKind
from .coordinator import HearthConfigEntry, HearthCoordinator
from .entity import (
    HearthEntity,
    HearthEntityDescription,
    async_add_device_entities,
)
from .store import DeviceKey

PARALLEL_UPDATES = 1

#: What the hub calls "no effect".
HUB_EFFECT_NONE = "none"

_HUB_COLOR_MODES = {
    "onoff": ColorMode.ONOFF,
    "brightness": ColorMode.BRIGHTNESS,
    "color_temp": ColorMode.COLOR_TEMP,
    "rgb": ColorMode.RGB,
}


@dataclass(frozen=True, kw_only=True)
class HearthLightEntityDescription(LightEntityDescription, HearthEntityDescription):
    """Describes a Hearth light."""

    is_on_fn: Callable[[Device], bool | None]


LIGHTS: tuple[HearthLightEntityDescription, ...] = (
    HearthLightEntityDescription(
        key="light",
        translation_key="light",
        name=None,
        exists_fn=lambda device: device.kind == DeviceKind.LIGHT,
        is_on_fn=lambda device: device.state.on,
    ),
)


def supported_color_modes(capabilities: Capabilities) -> set[ColorMode]:
    """Return the colour modes a light's capabilities allow."""
    modes: set[ColorMode] = set()
    if capabilities.rgb:
        modes.add(ColorMode.RGB)
    if capabilities.color_temp:
        modes.add(ColorMode.COLOR_TEMP)
    if not modes:
        modes.add(ColorMode.BRIGHTNESS if capabilities.dimmable else ColorMode.ONOFF)
    return modes


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HearthConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a light entity for every light of the entry's hubs."""
    async_add_device_entities(
        entry.runtime_data,
        LIGHTS,
        HearthLight,
        async_add_entities,
    )


class HearthLight(HearthEntity, LightEntity):
    """A light behind a Hearth hub."""

    entity_description: HearthLightEntityDescription

    def __init__(
        self,
        coordinator: HearthCoordinator,
        key: DeviceKey,
        description: HearthLightEntityDescription,
    ) -> None:
        """Derive the supported modes and features from the capabilities."""
        super().__init__(coordinator, key, description)
        capabilities = self.device.capabilities
        self._modes = supported_color_modes(capabilities)
        self._attr_supported_color_modes = set(self._modes)
        self._attr_min_color_temp_kelvin = capabilities.min_kelvin or 2000
        self._attr_max_color_temp_kelvin = capabilities.max_kelvin or 6500
        features = LightEntityFeature(0)
        if capabilities.effects:
            features |= LightEntityFeature.EFFECT
            self._attr_effect_list = [*capabilities.effects, EFFECT_OFF]
        if capabilities.transition:
            features |= LightEntityFeature.TRANSITION
        self._attr_supported_features = features

    @property
    def is_on(self) -> bool | None:
        """Return whether the light is on."""
        return self.entity_description.is_on_fn(self.device)

    @property
    def color_mode(self) -> ColorMode:
        """Return the mode the light is in, within the supported ones."""
        mode = _HUB_COLOR_MODES.get(self.device.state.color_mode or "")
        if mode is not None and mode in self._modes:
            return mode
        return (
            ColorMode.RGB if ColorMode.RGB in self._modes else next(iter(self._modes))
        )

    @property
    def brightness(self) -> int | None:
        """Return the brightness, 1..255."""
        return self.device.state.brightness

    @property
    def color_temp_kelvin(self) -> int | None:
        """Return the colour temperature in kelvin."""
        return self.device.state.color_temp_kelvin

    @property
    def rgb_color(self) -> tuple[int, int, int] | None:
        """Return the colour."""
        rgb = self.device.state.rgb
        return (rgb[0], rgb[1], rgb[2]) if rgb else None

    @property
    def effect(self) -> str | None:
        """Return the running effect, or EFFECT_OFF.

        Home Assistant reads this only for lights with the EFFECT feature.
        """
        effect = self.device.state.effect
        return effect if effect and effect != HUB_EFFECT_NONE else EFFECT_OFF

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn the light on, with whatever else was asked for."""
        effect = kwargs.get(ATTR_EFFECT)
        rgb = kwargs.get(ATTR_RGB_COLOR)
        if (kelvin := kwargs.get(ATTR_COLOR_TEMP_KELVIN)) is not None:
            # Home Assistant neither clamps a temperature to the light's range
            # nor keeps the one it converts a colour to within it; the hub
            # refuses anything outside the range.
            kelvin = min(
                max(kelvin, self.min_color_temp_kelvin), self.max_color_temp_kelvin
            )
        await self._async_command(
            DeviceCommand(
                on=True,
                brightness=kwargs.get(ATTR_BRIGHTNESS),
                color_temp_kelvin=kelvin,
                rgb=list(rgb) if rgb is not None else None,
                effect=HUB_EFFECT_NONE if effect == EFFECT_OFF else effect,
                transition=kwargs.get(ATTR_TRANSITION),
            )
        )

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn the light off."""
        await self._async_command(
            DeviceCommand(on=False, transition=kwargs.get(ATTR_TRANSITION))
        )
