"""Config flow for Hearth: a hub by host and API key, or a Hearth Cloud account."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import logging
import re
from typing import Any, Final

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_HOST,
    CONF_PORT,
    CONF_SCAN_INTERVAL,
    CONF_TOKEN,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_entry_oauth2_flow, device_registry as dr
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
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.service_info.ssdp import (
    ATTR_UPNP_FRIENDLY_NAME,
    ATTR_UPNP_MODEL_NAME,
    ATTR_UPNP_PRESENTATION_URL,
    ATTR_UPNP_SERIAL,
    SsdpServiceInfo,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import voluptuous as vol
from yarl import URL

from .api import (
    DEFAULT_PORT,
    ApiKeyAuth,
    HearthAuthenticationError,
    HearthCertificateError,
    HearthCloudClient,
    HearthError,
    HearthForbiddenError,
    HearthHubClient,
    HearthRateLimitError,
    HearthUnsupportedVersionError,
    HubInfo,
    TokenProviderAuth,
    async_get_certificate_fingerprint,
    normalize_fingerprint,
    pinned_ssl,
)
from .cloud import cloud_base_url, is_cloud_entry
from .compat import ReloadingOptionsFlow, devices_by_connection
from .const import (
    CERTIFICATE_MODE_CA,
    CERTIFICATE_MODE_PIN,
    CLOUD_SCOPES,
    CONF_AUTH_IMPLEMENTATION,
    CONF_CERTIFICATE_MODE,
    CONF_FINGERPRINT,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
)
from .coordinator import HearthConfigEntry
from .host import InvalidHostError, format_host, normalize_host, parse_host, parse_port


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


def _connection_error(err: HearthError, certificate_mode: str) -> tuple[str, str]:
    """Return the field at fault and the error that explains a failed connection."""
    if isinstance(err, HearthAuthenticationError | HearthForbiddenError):
        return CONF_API_KEY, "invalid_auth"
    if isinstance(err, HearthUnsupportedVersionError):
        return "base", "unsupported_version"
    if isinstance(err, HearthCertificateError):
        if certificate_mode == CERTIFICATE_MODE_CA:
            return CONF_CERTIFICATE_MODE, "certificate_untrusted"
        return "base", "certificate_mismatch"
    return CONF_HOST, "cannot_connect"


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


#: Keys of the TXT record of a hub's mDNS announcement.
TXT_HUB_ID: Final = "id"
TXT_MODEL: Final = "model"
TXT_FINGERPRINT: Final = "fp"
#: A hub's DHCP host name is its hub id: ``hearth-`` and hex digits.
DHCP_HOSTNAME: Final = re.compile(r"hearth-[0-9a-f]+")
#: The first three octets of every hub's MAC address.
HUB_MAC_PREFIX: Final = "a4:c1:38:"


@dataclass(slots=True)
class DiscoveredHub:
    """A hub found on the network, before it is added."""

    host: str
    port: int
    name: str
    model: str | None
    #: The certificate that is pinned: the one the hub announced (mDNS), or
    #: the one it presented when it was discovered (SSDP, DHCP, or an mDNS
    #: announcement without ``fp``).
    fingerprint: str


class HearthConfigFlow(
    config_entry_oauth2_flow.AbstractOAuth2FlowHandler, domain=DOMAIN
):
    """Add a Hearth hub, or every hub of a Hearth Cloud account."""

    DOMAIN = DOMAIN
    VERSION = 1
    MINOR_VERSION = 1

    _hub_name: str
    _discovered: DiscoveredHub

    @property
    def logger(self) -> logging.Logger:
        """Return the logger of the OAuth2 steps."""
        return LOGGER

    @property
    def extra_authorize_data(self) -> dict[str, Any]:
        """Ask the cloud for access to read and control the devices."""
        return {"scope": " ".join(CLOUD_SCOPES)}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: HearthConfigEntry) -> OptionsFlow:
        """Return the options flow."""
        return HearthOptionsFlow()

    async def _async_try_connect(
        self,
        address: str | tuple[str, int],
        api_key: str,
        mode: str,
        fingerprint: str | None = None,
    ) -> tuple[dict[str, Any] | None, dict[str, str], dict[str, str]]:
        """Validate the form and connect.

        ``address`` is the text of the host field; or, for the forms without
        a host field (reauth, discovery), the hub's host and port, and then
        what is wrong with the address or the certificate is shown for the
        whole form. Returns the entry data (None on failure), the form errors
        and the description placeholders for them.
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
            field, error = _connection_error(err, mode)
            errors[field if field in fields else "base"] = error
            if error == "cannot_connect":
                placeholders["address"] = format_host(host, port, default_port=None)
        except Exception:  # noqa: BLE001
            LOGGER.exception("Unexpected error while connecting to the hub")
            errors["base"] = "unknown"
        else:
            # A discovery of the same hub may be waiting; this flow goes on
            # and the discovery is dismissed when the entry is created.
            await self.async_set_unique_id(check.info.id, raise_on_progress=False)
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
        """Offer the two ways in: a hub on the network, or a cloud account."""
        return self.async_show_menu(
            step_id="user", menu_options=["local", "pick_implementation"]
        )

    async def async_step_local(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the hub's address, its API key and the certificate mode."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            data, errors, placeholders = await self._async_try_connect(
                user_input[CONF_HOST],
                user_input[CONF_API_KEY],
                user_input[CONF_CERTIFICATE_MODE],
            )
            if data is not None:
                self._abort_if_unique_id_configured(
                    updates={CONF_HOST: data[CONF_HOST], CONF_PORT: data[CONF_PORT]}
                )
                return self.async_create_entry(title=self._hub_name, data=data)
        return self.async_show_form(
            step_id="local",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema({}), user_input
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthentication after the hub or the cloud refused access."""
        if CONF_AUTH_IMPLEMENTATION in entry_data:
            return await self.async_step_reauth_cloud()
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_cloud(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain, then authorize the same cloud account again."""
        if user_input is None:
            return self.async_show_form(
                step_id="reauth_cloud",
                description_placeholders={"name": self._get_reauth_entry().title},
            )
        return await self.async_step_pick_implementation()

    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Identify the authorized account; add it, or update its entry."""
        access_token: str = data[CONF_TOKEN]["access_token"]

        async def _access_token() -> str:
            return access_token

        client = HearthCloudClient(
            async_get_clientsession(self.hass),
            TokenProviderAuth(_access_token),
            base_url=cloud_base_url(),
        )
        try:
            account = await client.async_get_account()
        except HearthError as err:
            LOGGER.debug("Cannot read the Hearth Cloud account: %s", err)
            return self.async_abort(reason="cannot_connect")
        await self.async_set_unique_id(account.id)
        if self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            entry = (
                self._get_reauth_entry()
                if self.source == SOURCE_REAUTH
                else self._get_reconfigure_entry()
            )
            return self.async_update_reload_and_abort(entry, data=data)
        self._abort_if_unique_id_configured(error="already_configured_account")
        return self.async_create_entry(title=account.name, data=data)

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new API key for the same hub."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            data, errors, placeholders = await self._async_try_connect(
                (entry.data[CONF_HOST], entry.data[CONF_PORT]),
                user_input[CONF_API_KEY],
                entry.data[CONF_CERTIFICATE_MODE],
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
        """Change the hub's address, API key or certificate mode.

        A cloud entry is authorized again instead, for the same account.
        """
        entry = self._get_reconfigure_entry()
        if is_cloud_entry(entry):
            return await self.async_step_pick_implementation()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            data, errors, placeholders = await self._async_try_connect(
                user_input[CONF_HOST],
                user_input[CONF_API_KEY],
                user_input[CONF_CERTIFICATE_MODE],
            )
            if data is not None:
                self._abort_if_unique_id_mismatch(reason="wrong_hub")
                return self.async_update_reload_and_abort(entry, data=data)
        defaults = {
            **entry.data,
            CONF_HOST: format_host(
                entry.data[CONF_HOST], entry.data[CONF_PORT], DEFAULT_PORT
            ),
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(defaults), user_input
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    # Discovery: zeroconf, SSDP and DHCP all end in a confirm step that asks
    # for the key. The hub id is the unique id, so several announcements of
    # one hub give one flow (the others abort as already in progress) and an
    # ignored hub stays ignored.

    async def async_step_zeroconf(
        self, discovery_info: ZeroconfServiceInfo
    ) -> ConfigFlowResult:
        """Handle a hub announced with mDNS; its TXT record carries its id."""
        properties = discovery_info.properties
        hub_id = properties.get(TXT_HUB_ID)
        if not hub_id:
            return self.async_abort(reason="invalid_discovery_info")
        fingerprint: str | None = None
        if announced := properties.get(TXT_FINGERPRINT):
            try:
                fingerprint = normalize_fingerprint(announced)
            except ValueError:
                return self.async_abort(reason="invalid_discovery_info")
        name = discovery_info.name.removesuffix(f".{discovery_info.type}")
        return await self._async_handle_discovery(
            hub_id,
            discovery_info.host,
            discovery_info.port or DEFAULT_PORT,
            name=name or hub_id,
            model=properties.get(TXT_MODEL),
            fingerprint=fingerprint,
        )

    async def async_step_ssdp(
        self, discovery_info: SsdpServiceInfo
    ) -> ConfigFlowResult:
        """Handle a hub found with SSDP; its UPnP serial number is its id.

        The UPnP presentation URL is the hub's own address; without one, the
        hub is expected on the default port of the host that answered.
        """
        upnp = discovery_info.upnp
        hub_id = upnp.get(ATTR_UPNP_SERIAL)
        try:
            if presentation_url := upnp.get(ATTR_UPNP_PRESENTATION_URL):
                url = URL(presentation_url)
                port = url.port or DEFAULT_PORT
            else:
                url = URL(discovery_info.ssdp_location or "")
                port = DEFAULT_PORT
        except ValueError:
            return self.async_abort(reason="invalid_discovery_info")
        if not hub_id or not url.host:
            return self.async_abort(reason="invalid_discovery_info")
        return await self._async_handle_discovery(
            hub_id,
            url.host,
            port,
            name=upnp.get(ATTR_UPNP_FRIENDLY_NAME) or hub_id,
            model=upnp.get(ATTR_UPNP_MODEL_NAME),
        )

    async def async_step_dhcp(
        self, discovery_info: DhcpServiceInfo
    ) -> ConfigFlowResult:
        """Follow a known hub to its new address, or offer a new hub.

        DHCP tells only the address, the MAC address and the host name; it
        says nothing about the port, and the hub's identity (GET /info) needs
        a key. So the hub id is found like this:

        - a MAC address of a hub in the device registry gives that hub's id;
          its entry then follows the hub to the new address (the port stays);
        - otherwise, only a host name ``hearth-<hex digits>`` together with
          the hubs' MAC prefix counts as a Hearth hub, and the host name is
          taken as the hub id, since hubs name themselves by their id. The
          hub is expected on the default port; its certificate is read
          without a key. Once the user enters a key, GET /info gives the real
          id, which is what the entry is stored under.
        """
        mac = dr.format_mac(discovery_info.macaddress)
        hub_id = self._registered_hub_id(mac)
        if hub_id is None:
            hostname = discovery_info.hostname.lower().partition(".")[0]
            if not mac.startswith(HUB_MAC_PREFIX) or not DHCP_HOSTNAME.fullmatch(
                hostname
            ):
                return self.async_abort(reason="not_hearth_hub")
            hub_id = hostname
        return await self._async_handle_discovery(
            hub_id, discovery_info.ip, None, name=hub_id, model=None
        )

    @callback
    def _registered_hub_id(self, mac: str) -> str | None:
        """Return the id of the hub with this MAC address in the device registry."""
        for device in devices_by_connection(
            dr.async_get(self.hass), (dr.CONNECTION_NETWORK_MAC, mac)
        ):
            for domain, value in device.identifiers:
                if domain == DOMAIN:
                    return value
        return None

    @callback
    def _discovery_updates(self, host: str, port: int | None) -> dict[str, Any] | None:
        """Return the changes a discovery makes to the hub's entry, if any.

        Only an entry that pins the certificate follows its hub to a new
        address: the pin keeps whoever answers there from ever receiving the
        key, so a forged announcement cannot do harm. An entry that verifies
        the certificate against a certificate authority keeps the host name
        the user gave, which its certificate is checked against; a cloud
        entry has no address at all.
        """
        entry = next(
            (
                entry
                for entry in self._async_current_entries(include_ignore=False)
                if entry.unique_id == self.unique_id
            ),
            None,
        )
        if (
            entry is None
            or entry.data.get(CONF_CERTIFICATE_MODE) != CERTIFICATE_MODE_PIN
        ):
            return None
        if port is None:
            return {CONF_HOST: host}
        return {CONF_HOST: host, CONF_PORT: port}

    async def _async_handle_discovery(
        self,
        hub_id: str,
        host: str,
        port: int | None,
        *,
        name: str,
        model: str | None,
        fingerprint: str | None = None,
    ) -> ConfigFlowResult:
        """Update the hub's entry, or read its certificate and ask to add it.

        ``port`` None means the discovery does not know the port: an entry
        keeps its own, a new hub is expected on the default port.
        ``fingerprint`` is the certificate the hub announced; without one,
        the certificate the hub presents now is the one that will be pinned.
        """
        try:
            host = normalize_host(host)
            if port is not None:
                port = parse_port(str(port))
        except InvalidHostError as err:
            LOGGER.debug("Discovered hub %s has an unusable address: %s", hub_id, err)
            return self.async_abort(reason="invalid_discovery_info")
        await self.async_set_unique_id(hub_id)
        self._abort_if_unique_id_configured(updates=self._discovery_updates(host, port))
        port = port or DEFAULT_PORT
        if fingerprint is None:
            try:
                fingerprint = await async_get_certificate_fingerprint(host, port)
            except HearthError as err:
                LOGGER.debug("Cannot reach the discovered hub at %s: %s", host, err)
                return self.async_abort(reason="cannot_connect")
        self._discovered = DiscoveredHub(host, port, name, model, fingerprint)
        self.context["title_placeholders"] = {"name": name}
        if model is None:
            return await self.async_step_dhcp_confirm()
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the discovered hub's name and model; ask for an API key."""
        return await self._async_confirm_discovery("discovery_confirm", user_input)

    async def async_step_dhcp_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for an API key of a hub known only by address and host name."""
        return await self._async_confirm_discovery("dhcp_confirm", user_input)

    async def _async_confirm_discovery(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Connect to the discovered hub with the key and add it.

        A discovered hub is always pinned, to the certificate it announced or
        presented when it was discovered: its certificate is self-signed,
        and one from an authority could not be checked against an address
        found on the network anyway. Reconfigure can switch it later.

        While Home Assistant is being onboarded, the convention is to add
        discovered devices that need no input at once, so they are there
        when onboarding ends. A hub needs an API key that only the user can
        give, so this step asks for it during onboarding too; the hub is
        then listed under discovered devices until the user adds it.
        """
        hub = self._discovered
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            data, errors, placeholders = await self._async_try_connect(
                (hub.host, hub.port),
                user_input[CONF_API_KEY],
                CERTIFICATE_MODE_PIN,
                hub.fingerprint,
            )
            if data is not None:
                self._abort_if_unique_id_configured(
                    updates=self._discovery_updates(hub.host, hub.port)
                )
                return self.async_create_entry(title=self._hub_name, data=data)
            if errors.get("base") == "certificate_mismatch":
                # The pinned connection failed before the key was sent.
                errors["base"] = "discovered_certificate_mismatch"
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(_key_schema()), user_input
            ),
            errors=errors,
            description_placeholders={
                "name": hub.name,
                "host": format_host(hub.host, hub.port, DEFAULT_PORT),
                **({"model": hub.model} if hub.model else {}),
                **placeholders,
            },
        )


class HearthOptionsFlow(ReloadingOptionsFlow):
    """Change how often the hub is polled; the entry reloads with the new value."""

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
