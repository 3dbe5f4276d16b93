"""The Hearth Cloud authorization server, for application credentials.

The cloud's base URL is read at each call (see :func:`.cloud.cloud_base_url`),
so ``HEARTH_CLOUD_URL`` points Home Assistant at the emulator's cloud in
development and tests.
"""

from __future__ import annotations

from homeassistant.components.application_credentials import AuthorizationServer
from homeassistant.core import HomeAssistant

from .cloud import cloud_base_url
from .const import CLOUD_AUTHORIZE_PATH, CLOUD_TOKEN_PATH


async def async_get_authorization_server(hass: HomeAssistant) -> AuthorizationServer:
    """Return the authorize and token endpoints of the Hearth Cloud."""
    base_url = cloud_base_url()
    return AuthorizationServer(
        authorize_url=f"{base_url}{CLOUD_AUTHORIZE_PATH}",
        token_url=f"{base_url}{CLOUD_TOKEN_PATH}",
    )
