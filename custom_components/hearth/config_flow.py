"""Config flow for Hearth: add a hub by host and API key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import ipaddress
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PORT, CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .api import (
    DEFAULT_PORT,
    ApiKeyAuth,
    HearthAuthenticationError,
    HearthCertificateError,
    HearthError,
    HearthForbiddenError,
    HearthHubClient,
    HearthRateLimitError,
    HearthUnsupportedVersionError,
    HubInfo,
    async_get_certificate_fingerprint,
    pinned_ssl,
)
from .const import (
    CERTIFICATE_MODE_CA,
    CERTIFICATE_MODE_PIN,
    CONF_CERTIFICATE_MODE,
    CONF_FINGERPRINT,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
)


class InvalidHostError(ValueError):
    """The host field does not hold a usable host[:port]."""

    def __init__(self, error: str) -> None:
        """Keep the translation key of the field error."""
        super().__init__(error)
        self.error = error


def parse_host(value: str) -> tuple[str, int]:
    """Split ``host``, ``host:port``, ``IPv6`` or ``[IPv6]:port``.

    Raises InvalidHostError with the error key to show under the field.
    """
    value = value.strip()
    if not value:
        raise InvalidHostError("invalid_host")
    if "://" in value or "/" in value:
        raise InvalidHostError("host_is_url")
    port_text: str | None = None
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise InvalidHostError("invalid_host")
        port_text = rest[1:] if rest else None
        _require_ip(host, version=6)
    elif value.count(":") > 1:
        host = value
        _require_ip(host, version=6)
    else:
        host, _, port_text = value.partition(":")
        port_text = port_text or None
        if not host or any(c.isspace() for c in host):
            raise InvalidHostError("invalid_host")
    if port_text is None:
        return host, DEFAULT_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InvalidHostError("invalid_port")
    return host, int(port_text)


def _require_ip(host: str, *, version: int) -> None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise InvalidHostError("invalid_host") from None
    if address.version != version:
        raise InvalidHostError("invalid_host")


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


def _error_key(err: HearthError, certificate_mode: str) -> str:
    """Return the form error that explains a failed connection."""
    if isinstance(err, HearthAuthenticationError | HearthForbiddenError):
        return "invalid_auth"
    if isinstance(err, HearthRateLimitError):
        return "rate_limited"
    if isinstance(err, HearthUnsupportedVersionError):
        return "unsupported_version"
    if isinstance(err, HearthCertificateError):
        if certificate_mode == CERTIFICATE_MODE_CA:
            return "certificate_untrusted"
        return "certificate_mismatch"
    return "cannot_connect"


def _key_schema(default: str = "") -> dict[vol.Marker, Any]:
    return {
        vol.Required(CONF_API_KEY, default=default): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        )
    }


def _connection_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, "")): str,
            **_key_schema(defaults.get(CONF_API_KEY, "")),
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


def _host_field(host: str, port: int) -> str:
    """Return how a stored host and port are shown in the host field."""
    shown = f"[{host}]" if ":" in host else host
    return shown if port == DEFAULT_PORT else f"{shown}:{port}"


class HearthConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Hearth hub."""

    VERSION = 1
    MINOR_VERSION = 1

    _hub_name: str

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Return the options flow."""
        return HearthOptionsFlow()

    async def _async_try_connect(
        self, user_input: dict[str, Any], fingerprint: str | None = None
    ) -> tuple[dict[str, Any] | None, dict[str, str], dict[str, str]]:
        """Validate the form and connect.

        Returns the entry data (None on failure), the form errors and the
        description placeholders for them.
        """
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        api_key = user_input[CONF_API_KEY].strip()
        mode = user_input[CONF_CERTIFICATE_MODE]
        try:
            host, port = parse_host(user_input[CONF_HOST])
        except InvalidHostError as err:
            errors[CONF_HOST] = err.error
            return None, errors, placeholders
        if not api_key:
            errors[CONF_API_KEY] = "invalid_api_key"
            return None, errors, placeholders
        try:
            check = await async_check_hub(
                self.hass, host, port, api_key, mode, fingerprint
            )
        except HearthRateLimitError as err:
            errors["base"] = "rate_limited"
            placeholders["retry_after"] = str(round(err.retry_after))
        except HearthError as err:
            LOGGER.debug("Cannot connect to the hub at %s: %s", host, err)
            errors["base"] = _error_key(err, mode)
        except Exception:  # noqa: BLE001
            LOGGER.exception("Unexpected error while connecting to the hub")
            errors["base"] = "unknown"
        else:
            await self.async_set_unique_id(check.info.id)
            self._hub_name = check.info.name
            return (
                {
                    CONF_HOST: host,
                    CONF_PORT: port,
                    CONF_API_KEY: api_key,
                    CONF_CERTIFICATE_MODE: mode,
                    CONF_FINGERPRINT: check.fingerprint,
                },
                errors,
                placeholders,
            )
        return None, errors, placeholders

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the hub's address, its API key and the certificate mode."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            data, errors, placeholders = await self._async_try_connect(user_input)
            if data is not None:
                self._abort_if_unique_id_configured(
                    updates={CONF_HOST: data[CONF_HOST], CONF_PORT: data[CONF_PORT]}
                )
                return self.async_create_entry(title=self._hub_name, data=data)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema({}), user_input
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthentication after the hub refused the key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new API key for the same hub."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            data, errors, placeholders = await self._async_try_connect(
                {
                    CONF_HOST: _host_field(
                        entry.data[CONF_HOST], entry.data[CONF_PORT]
                    ),
                    CONF_API_KEY: user_input[CONF_API_KEY],
                    CONF_CERTIFICATE_MODE: entry.data[CONF_CERTIFICATE_MODE],
                },
                entry.data.get(CONF_FINGERPRINT),
            )
            if data is not None:
                self._abort_if_unique_id_mismatch(reason="wrong_hub")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_API_KEY: data[CONF_API_KEY]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema(_key_schema()),
            errors=errors,
            description_placeholders={"name": entry.title, **placeholders},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the hub's address, API key or certificate mode."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            data, errors, placeholders = await self._async_try_connect(user_input)
            if data is not None:
                self._abort_if_unique_id_mismatch(reason="wrong_hub")
                return self.async_update_reload_and_abort(entry, data=data)
        defaults = {
            **entry.data,
            CONF_HOST: _host_field(entry.data[CONF_HOST], entry.data[CONF_PORT]),
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(defaults), user_input
            ),
            errors=errors,
            description_placeholders=placeholders,
        )


class HearthOptionsFlow(OptionsFlow):
    """Change how often the hub is polled."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the scan interval."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        current = self.config_entry.options.get(
            CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL.total_seconds()
        )
        return self.async_show_form(
            step_id="init",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_SCAN_INTERVAL, default=current): vol.All(
                        NumberSelector(
                            NumberSelectorConfig(
                                min=MIN_SCAN_INTERVAL.total_seconds(),
                                max=MAX_SCAN_INTERVAL.total_seconds(),
                                step=1,
                                unit_of_measurement="s",
                                mode=NumberSelectorMode.BOX,
                            )
                        ),
                        vol.Coerce(int),
                    )
                }
            ),
        )
