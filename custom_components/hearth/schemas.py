"""The forms of the config flow: a hub's connection settings and its API key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_API_KEY, CONF_HOST
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .const import CERTIFICATE_MODE_CA, CERTIFICATE_MODE_PIN, CONF_CERTIFICATE_MODE


def key_schema(default: str = "") -> dict[vol.Marker, Any]:
    """Return the API key field (a password field), for any form."""
    return {
        vol.Required(CONF_API_KEY, default=default): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        )
    }


def connection_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """Return the form of a hub on the network: host, API key, certificate check."""
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, "")): str,
            **key_schema(defaults.get(CONF_API_KEY, "")),
            vol.Required(
                CONF_CERTIFICATE_MODE,
                default=defaults.get(CONF_CERTIFICATE_MODE, CERTIFICATE_MODE_PIN),
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[CERTIFICATE_MODE_PIN, CERTIFICATE_MODE_CA],
                    translation_key=CONF_CERTIFICATE_MODE,
                    mode=SelectSelectorMode.LIST,
                )
            ),
        }
    )
