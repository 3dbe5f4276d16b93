"""Config flow for Hearth: a hub by host and API key, or a Hearth Cloud account."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import logging
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntryState,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_HOST,
    CONF_PORT,
    CONF_TOKEN,
)
from homeassistant.core import callback
from homeassistant.helpers import config_entry_oauth2_flow, device_registry as dr
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.service_info.ssdp import SsdpServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import voluptuous as vol

from .api import (
    DEFAULT_PORT,
    HearthError,
    async_get_certificate_fingerprint,
)
from .cloud import async_get_account, is_cloud_entry
from .connection import HubInputError, ValidatedHub, async_validate_hub
from .const import (
    CERTIFICATE_MODE_PIN,
    CLOUD_SCOPES,
    CONF_CERTIFICATE_MODE,
    CONF_FINGERPRINT,
    DOMAIN,
    LOGGER,
)
from .coordinator import HearthConfigEntry
from .discovery import (
    DiscoveredHub,
    NotAHubError,
    from_dhcp,
    from_ssdp,
    from_zeroconf,
)
from .host import format_host
from .options_flow import HearthOptionsFlow
from .registry import hub_id_for_mac
from .schemas import connection_schema, key_schema


class HearthConfigFlow(
    config_entry_oauth2_flow.AbstractOAuth2FlowHandler, domain=DOMAIN
):
    """Add a Hearth hub, or every hub of a Hearth Cloud account."""

    DOMAIN = DOMAIN
    VERSION = 1
    MINOR_VERSION = 1

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

    async def _async_validate_form(self, user_input: dict[str, Any]) -> ValidatedHub:
        """Validate the form with a host field (add a hub, reconfigure).

        The hub's id becomes the flow's unique id. Reconfiguring, a hub other
        than the entry's aborts; adding, a hub already added aborts and its
        entry takes the form's host and port. A discovery of the same hub may
        be waiting: this flow goes on, and the discovery is dismissed when
        the entry is created.
        """
        hub = await async_validate_hub(
            self.hass,
            user_input[CONF_HOST],
            user_input[CONF_API_KEY],
            user_input[CONF_CERTIFICATE_MODE],
        )
        await self.async_set_unique_id(hub.info.id, raise_on_progress=False)
        if self.source == SOURCE_RECONFIGURE:
            self._abort_if_unique_id_mismatch(reason="wrong_hub")
        else:
            self._abort_if_unique_id_configured(
                updates={CONF_HOST: hub.data[CONF_HOST], CONF_PORT: hub.data[CONF_PORT]}
            )
        return hub

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
            try:
                hub = await self._async_validate_form(user_input)
            except HubInputError as err:
                errors, placeholders = err.errors, err.placeholders
            else:
                return self.async_create_entry(title=hub.info.name, data=hub.data)
        return self.async_show_form(
            step_id="local",
            data_schema=self.add_suggested_values_to_schema(
                connection_schema({}), user_input
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthentication after the hub or the cloud refused access."""
        if is_cloud_entry(self._get_reauth_entry()):
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
        try:
            account = await async_get_account(
                self.hass, data[CONF_TOKEN]["access_token"]
            )
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
            try:
                hub = await async_validate_hub(
                    self.hass,
                    (entry.data[CONF_HOST], entry.data[CONF_PORT]),
                    user_input[CONF_API_KEY],
                    entry.data[CONF_CERTIFICATE_MODE],
                    entry.data.get(CONF_FINGERPRINT),
                )
            except HubInputError as err:
                errors, placeholders = err.errors, err.placeholders
            else:
                await self.async_set_unique_id(hub.info.id, raise_on_progress=False)
                self._abort_if_unique_id_mismatch(reason="wrong_hub")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_API_KEY: hub.data[CONF_API_KEY]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema(key_schema()),
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
            try:
                hub = await self._async_validate_form(user_input)
            except HubInputError as err:
                errors, placeholders = err.errors, err.placeholders
            else:
                return self.async_update_reload_and_abort(entry, data=hub.data)
        defaults = {
            **entry.data,
            CONF_HOST: format_host(
                entry.data[CONF_HOST], entry.data[CONF_PORT], DEFAULT_PORT
            ),
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                connection_schema(defaults), user_input
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
        info = discovery_info
        return await self._async_handle_discovery(
            lambda: from_zeroconf(
                info.name, info.type, info.host, info.port, info.properties
            )
        )

    async def async_step_ssdp(
        self, discovery_info: SsdpServiceInfo
    ) -> ConfigFlowResult:
        """Handle a hub found with SSDP; its UPnP serial number is its id."""
        info = discovery_info
        return await self._async_handle_discovery(
            lambda: from_ssdp(info.upnp, info.ssdp_location)
        )

    async def async_step_dhcp(
        self, discovery_info: DhcpServiceInfo
    ) -> ConfigFlowResult:
        """Follow a known hub to its new address, or offer a new hub."""
        mac = dr.format_mac(discovery_info.macaddress)
        registered = hub_id_for_mac(self.hass, mac)
        return await self._async_handle_discovery(
            lambda: from_dhcp(
                discovery_info.ip, discovery_info.hostname, mac, registered
            )
        )

    @callback
    def _discovery_updates(self, hub: DiscoveredHub) -> dict[str, Any] | None:
        """Return the changes a discovery makes to the hub's entry, if any.

        Only an entry that pins the certificate follows its hub to a new
        address: the pin keeps whoever answers there from ever receiving the
        key. An entry checked against a certificate authority keeps the host
        name its certificate names; a cloud entry has no address. A loaded
        entry's stream reconnects now: a hub that announces itself is back.
        """
        entry = next(
            (
                entry
                for entry in self._async_current_entries(include_ignore=False)
                if entry.unique_id == self.unique_id
            ),
            None,
        )
        if entry is None or is_cloud_entry(entry):
            return None
        if entry.state is ConfigEntryState.LOADED and (
            stream := entry.runtime_data.stream
        ):
            stream.async_reconnect_now()
        if entry.data.get(CONF_CERTIFICATE_MODE) != CERTIFICATE_MODE_PIN:
            return None
        if hub.port is None:
            return {CONF_HOST: hub.host}
        return {CONF_HOST: hub.host, CONF_PORT: hub.port}

    async def _async_handle_discovery(
        self, parse: Callable[[], DiscoveredHub]
    ) -> ConfigFlowResult:
        """Update the hub's entry, or read its certificate and ask to add it.

        Without an announced certificate, the one the hub presents now is the
        one that will be pinned.
        """
        try:
            hub = parse()
        except NotAHubError as err:
            LOGGER.debug("Discovery aborted (%s): %s", err.reason, err.__cause__)
            return self.async_abort(reason=err.reason)
        await self.async_set_unique_id(hub.hub_id)
        self._abort_if_unique_id_configured(updates=self._discovery_updates(hub))
        hub.port = hub.port or DEFAULT_PORT
        if hub.fingerprint is None:
            try:
                hub.fingerprint = await async_get_certificate_fingerprint(
                    hub.host, hub.port
                )
            except HearthError as err:
                LOGGER.debug("Cannot reach the discovered hub at %s: %s", hub.host, err)
                return self.async_abort(reason="cannot_connect")
        self._discovered = hub
        self.context["title_placeholders"] = {"name": hub.name}
        if hub.model is None:
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
        presented when it was discovered; reconfigure can switch it later.
        Only the user can give the key, so this asks during onboarding too.
        """
        hub = self._discovered
        port = hub.port or DEFAULT_PORT
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                validated = await async_validate_hub(
                    self.hass,
                    (hub.host, port),
                    user_input[CONF_API_KEY],
                    CERTIFICATE_MODE_PIN,
                    hub.fingerprint,
                )
            except HubInputError as err:
                errors, placeholders = err.errors, err.placeholders
                if errors.get("base") == "certificate_mismatch":
                    # The pinned connection failed before the key was sent.
                    errors["base"] = "discovered_certificate_mismatch"
            else:
                await self.async_set_unique_id(
                    validated.info.id, raise_on_progress=False
                )
                self._abort_if_unique_id_configured(
                    updates=self._discovery_updates(hub)
                )
                return self.async_create_entry(
                    title=validated.info.name, data=validated.data
                )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(key_schema()), user_input
            ),
            errors=errors,
            description_placeholders={
                "name": hub.name,
                "host": format_host(hub.host, port, DEFAULT_PORT),
                **({"model": hub.model} if hub.model else {}),
                **placeholders,
            },
        )
