"""How the integration tests write snapshots: the same on every Home Assistant.

Home Assistant's own snapshot extension, with attribute names written as
plain strings, and a list of the fields that only some releases have.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from homeassistant.core import State
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
    HomeAssistantSnapshotSerializer,
)

#: Entity registry fields that Home Assistant fills in by itself and that
#: only some of the versions the suite runs on have (2026.2 added the last
#: two), or stores differently (``aliases``, the user's: a set before 2026.x,
#: a list after). The integration decides none: ``object_id_base`` follows
#: from the entity's name, which ``original_name`` and ``translation_key`` show.
VERSION_DEPENDENT_REGISTRY_FIELDS = ("aliases", "object_id_base", "suggested_object_id")
#: Light attributes and capabilities that only older releases write: the
#: color temperature and its range in mireds, which 2026.x dropped for kelvin.
VERSION_DEPENDENT_LIGHT_FIELDS = ("color_temp", "max_mireds", "min_mireds")


def _plain_keys(value: Any) -> Any:
    """Return ``value`` with every StrEnum dict key as its plain string."""
    if isinstance(value, dict):
        return type(value)(
            (str(key) if isinstance(key, StrEnum) else key, _plain_keys(item))
            for key, item in value.items()
        )
    return value


class SnapshotSerializer(HomeAssistantSnapshotSerializer):
    """Write attribute and capability names as plain strings.

    From 2026.x they are StrEnum members (EntityStateAttribute,
    LightEntityCapabilityAttribute, ...), which would be written as enum
    members; the names are the same strings on every version.
    """

    @classmethod
    def _serializable_state(cls, data: State) -> Any:
        return _plain_keys(super()._serializable_state(data))

    @classmethod
    def _serializable_entity_registry_entry(cls, data: er.RegistryEntry) -> Any:
        return _plain_keys(super()._serializable_entity_registry_entry(data))


class SnapshotExtension(HomeAssistantSnapshotExtension):
    """Home Assistant's snapshot extension, with :class:`SnapshotSerializer`."""

    serializer_class = SnapshotSerializer
