"""Checking what a user typed for a hub on the network, then connecting to it.

:func:`async_validate_hub` is the one check every form of the config flow
uses (user, reconfigure, reauth, discovery confirm): the address and the key
are checked before anything is sent, the certificate is read before the key
is, and a failure raises :class:`HubInputError` with the form errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import (
    DEFAULT_PORT,
    ApiKeyAuth,
    HearthError,
    HearthHubClient,
    HearthRateLimitError,
    HubInfo,
    async_get_certificate_fingerprint,
    pinned_ssl,
)
from .const import (
    CERTIFICATE_MODE_PIN,
    CONF_CERTIFICATE_MODE,
    CONF_FINGERPRINT,
    LOGGER,
)
from .errors import connection_error
from .host import InvalidHostError, format_host, parse_host

#: Longest API key accepted; keys made by the Hearth app are far shorter.
MAX_API_KEY_LENGTH: Final = 1024


def api_key_error(api_key: str) -> str | None:
    """Return the field error of an API key (already stripped), if it has one.

    A key is visible ASCII. Anything else, such as a space, a line break or
    a NUL inside it, is refused before the key is sent anywhere: in an HTTP
    header it could not be sent as typed.
    """
    if not api_key:
        return "invalid_api_key"
    if len(api_key) > MAX_API_KEY_LENGTH or not all(
        "!" <= char <= "~" for char in api_key
    ):
        return "malformed_api_key"
    return None


class HubInputError(Exception):
    """The form's input does not lead to a hub; ``errors`` says why, per field."""

    def __init__(
        self, errors: dict[str, str], placeholders: dict[str, str] | None = None
    ) -> None:
        """Keep the form errors and their description placeholders."""
        super().__init__(errors)
        self.errors = errors
        self.placeholders = placeholders or {}


@dataclass(slots=True)
class HubCheck:
    """What connecting to a hub found out."""

    info: HubInfo
    fingerprint: str | None


async def async_check_hub(
    hass: HomeAssistant,
    host: str,
    port: int,
    api_key: str,
    certificate_mode: str,
    fingerprint: str | None = None,
) -> HubCheck:
    """Connect with the given settings and return the hub's identity.

    In pinning mode without a known fingerprint, the certificate seen now is
    the one pinned (trust on first use); no key is sent before it is read.
    """
    ssl: Any = True
    if certificate_mode == CERTIFICATE_MODE_PIN:
        if fingerprint is None:
            fingerprint = await async_get_certificate_fingerprint(host, port)
        ssl = pinned_ssl(fingerprint)
    else:
        fingerprint = None
    client = HearthHubClient(
        async_get_clientsession(hass), host, ApiKeyAuth(api_key), port=port, ssl=ssl
    )
    return HubCheck(await client.async_get_info(), fingerprint)


@dataclass(slots=True)
class ValidatedHub:
    """A hub reached with the given settings: its identity and the entry data."""

    info: HubInfo
    data: dict[str, Any] = field(default_factory=dict)


async def async_validate_hub(
    hass: HomeAssistant,
    address: str | tuple[str, int],
    api_key: str,
    certificate_mode: str,
    fingerprint: str | None = None,
) -> ValidatedHub:
    """Check the input, connect, and return the hub with its entry data.

    ``address`` is the text of a host field; or, for the forms without one
    (reauth, discovery), the hub's host and port, and then what is wrong
    with the address or the certificate is an error of the whole form.
    """
    errors: dict[str, str] = {}
    placeholders: dict[str, str] = {}
    fields = {CONF_API_KEY}
    if isinstance(address, str):
        fields |= {CONF_HOST, CONF_CERTIFICATE_MODE}
        try:
            host, port = parse_host(address, DEFAULT_PORT)
        except InvalidHostError as err:
            errors[CONF_HOST] = err.error
            placeholders.update(err.placeholders)
    else:
        host, port = address
    api_key = api_key.strip()
    if key_error := api_key_error(api_key):
        errors[CONF_API_KEY] = key_error
    if errors:
        raise HubInputError(errors, placeholders)
    try:
        check = await async_check_hub(
            hass, host, port, api_key, certificate_mode, fingerprint
        )
    except HearthRateLimitError as err:
        raise HubInputError(
            {"base": "rate_limited"}, {"retry_after": str(round(err.retry_after))}
        ) from err
    except HearthError as err:
        LOGGER.debug("Cannot connect to the hub at %s: %s", host, err)
        field_name, error = connection_error(err, certificate_mode)
        raise HubInputError(
            {field_name if field_name in fields else "base": error},
            {"address": format_host(host, port, default_port=None)}
            if error == "cannot_connect"
            else None,
        ) from err
    except Exception as err:
        LOGGER.exception("Unexpected error while connecting to the hub")
        raise HubInputError({"base": "unknown"}) from err
    return ValidatedHub(
        check.info,
        {
            CONF_HOST: host,
            CONF_PORT: port,
            CONF_API_KEY: api_key,
            CONF_CERTIFICATE_MODE: certificate_mode,
            CONF_FINGERPRINT: check.fingerprint,
        },
    )
