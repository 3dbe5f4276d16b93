"""Hearth sensors, and the power metering of switches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    LIGHT_LUX,
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Device, DeviceKind, SensorReading
from .coordinator import HearthConfigEntry
from .entity import (
    HearthEntity,
    HearthEntityDescription,
    async_add_device_entities,
)

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HearthSensorEntityDescription(SensorEntityDescription, HearthEntityDescription):
    """Describes a reading of a Hearth device."""

    value_fn: Callable[[Device], float | None]


def _reports(device: Device, reading: SensorReading) -> bool:
    """Return whether a device reports a reading.

    Sensors and buttons (their battery and signal strength) list their
    readings; a metering switch reports power and energy.
    """
    if device.kind in (DeviceKind.SENSOR, DeviceKind.BUTTON):
        return reading in device.capabilities.sensors
    return (
        device.kind == DeviceKind.SWITCH
        and device.capabilities.power_metering
        and reading in (SensorReading.POWER, SensorReading.ENERGY)
    )


SENSORS: tuple[HearthSensorEntityDescription, ...] = (
    HearthSensorEntityDescription(
        key=SensorReading.TEMPERATURE,
        exists_fn=lambda device: _reports(device, SensorReading.TEMPERATURE),
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        value_fn=lambda device: device.state.temperature,
    ),
    HearthSensorEntityDescription(
        key=SensorReading.HUMIDITY,
        exists_fn=lambda device: _reports(device, SensorReading.HUMIDITY),
        device_class=SensorDeviceClass.HUMIDITY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=lambda device: device.state.humidity,
    ),
    HearthSensorEntityDescription(
        key=SensorReading.ILLUMINANCE,
        exists_fn=lambda device: _reports(device, SensorReading.ILLUMINANCE),
        device_class=SensorDeviceClass.ILLUMINANCE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=LIGHT_LUX,
        suggested_display_precision=0,
        value_fn=lambda device: device.state.illuminance,
    ),
    HearthSensorEntityDescription(
        key=SensorReading.POWER,
        exists_fn=lambda device: _reports(device, SensorReading.POWER),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=1,
        value_fn=lambda device: device.state.power,
    ),
    HearthSensorEntityDescription(
        key=SensorReading.ENERGY,
        exists_fn=lambda device: _reports(device, SensorReading.ENERGY),
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda device: device.state.energy,
    ),
    HearthSensorEntityDescription(
        key=SensorReading.BATTERY,
        exists_fn=lambda device: _reports(device, SensorReading.BATTERY),
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda device: device.state.battery,
    ),
    HearthSensorEntityDescription(
        key=SensorReading.SIGNAL_STRENGTH,
        exists_fn=lambda device: _reports(device, SensorReading.SIGNAL_STRENGTH),
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda device: device.state.signal_strength,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HearthConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor entity for every reading of the entry's devices."""
    async_add_device_entities(
        entry.runtime_data,
        SENSORS,
        HearthSensor,
        async_add_entities,
    )


class HearthSensor(HearthEntity, SensorEntity):
    """One reading of a Hearth device."""

    entity_description: HearthSensorEntityDescription

    @property
    def native_value(self) -> float | None:
        """Return the reading."""
        return self.entity_description.value_fn(self.device)
