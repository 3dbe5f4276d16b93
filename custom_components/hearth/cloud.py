"""Hearth Cloud accounts: the OAuth2 token provider and the cloud source.

A cloud config entry holds the OAuth2 token of one account. Each poll lists
the account's hubs (every page) and reads the state of each, except the hubs
that have a local config entry: a hub configured both ways is served by its
local entry only, so that it never shows up twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from functools import partial
from http import HTTPStatus
import os

from aiohttp import ClientError, ClientResponseError, ClientSession
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from yarl import URL

from .api import (
    DEFAULT_CLOUD_URL,
    Account,
    CloudHub,
    Device,
    DeviceCommand,
    Event,
    Firmware,
    HearthAuthenticationError,
    HearthCloudClient,
    HearthConnectionError,
    HearthError,
    HearthNotFoundError,
    HearthRateLimitError,
    HearthRequestError,
    HearthServerError,
    HearthTimeoutError,
    HubState,
    RateLimitInfo,
    TokenProviderAuth,
    is_loopback,
    parse_retry_after,
)
from .api.client import DEFAULT_RETRY_AFTER
from .compat import IMPLEMENTATION_UNAVAILABLE, OAUTH_REAUTH
from .const import (
    CLOUD_URL_ENV,
    CLOUD_WRITE_SCOPE,
    CONF_AUTH_IMPLEMENTATION,
    DOMAIN,
    LOGGER,
    TOKEN_REFRESH_TIMEOUT,
)
from .source import OnOpen

#: The code of the errors raised when the token endpoint refused a refresh.
REFRESH_REFUSED = "refresh_refused"


def cloud_base_url() -> str:
    """Return the Hearth Cloud base URL.

    It is the production cloud unless ``HEARTH_CLOUD_URL`` names another one
    (the emulator's, in development and tests). An override is accepted only
    over HTTPS, or over plain HTTP to a loopback host.
    """
    override = os.environ.get(CLOUD_URL_ENV, "").strip()
    if not override:
        return DEFAULT_CLOUD_URL
    url = URL(override)
    if (url.scheme == "https" and url.host) or (
        url.scheme == "http" and is_loopback(url.host)
    ):
        return str(url).rstrip("/")
    LOGGER.warning(
        "Ignoring %s=%s: only https:// URLs, or http:// to a loopback host, are used",
        CLOUD_URL_ENV,
        url.with_user(None),  # never log credentials written into the URL
    )
    return DEFAULT_CLOUD_URL


async def async_get_account(hass: HomeAssistant, access_token: str) -> Account:
    """Return the account that an access token (fresh from the flow) belongs to."""

    async def _access_token() -> str:
        return access_token

    client = HearthCloudClient(
        async_get_clientsession(hass),
        TokenProviderAuth(_access_token),
        base_url=cloud_base_url(),
    )
    return await client.async_get_account()


def is_cloud_entry(entry: ConfigEntry) -> bool:
    """Return True for the entry of a Hearth Cloud account."""
    return CONF_AUTH_IMPLEMENTATION in entry.data


@callback
def local_hub_ids(hass: HomeAssistant) -> set[str]:
    """Return the ids of the hubs that have a local config entry.

    Disabled entries count too: a hub whose local entry is disabled stays
    with that entry rather than moving to the cloud. Ignored discoveries do not.
    """
    return {
        entry.unique_id
        for entry in hass.config_entries.async_entries(DOMAIN, include_ignore=False)
        if entry.unique_id is not None and not is_cloud_entry(entry)
    }


def _refresh_error(err: ClientResponseError) -> HearthError:
    """Map a failed token refresh to the client's error of the same meaning."""
    message = f"The token endpoint answered HTTP {err.status}"
    if err.status == 429:
        retry_after = parse_retry_after(
            err.headers.get("Retry-After") if err.headers else None
        )
        return HearthRateLimitError(
            message,
            retry_after=DEFAULT_RETRY_AFTER if retry_after is None else retry_after,
        )
    if 400 <= err.status < 500:
        return HearthAuthenticationError(
            message, status=err.status, code=REFRESH_REFUSED
        )
    return HearthServerError(message, status=err.status)


class OAuth2TokenProvider:
    """Hands out the access token of a config entry, refreshed when it expires.

    A failed refresh raises the client's own errors, so the coordinator maps
    it like any failed request: a refused refresh (4xx) asks for
    re-authentication, an unreachable or failing token endpoint is retried.
    """

    def __init__(
        self, hass: HomeAssistant, session: config_entry_oauth2_flow.OAuth2Session
    ) -> None:
        """Wrap the entry's OAuth2 session."""
        self._hass = hass
        self._session = session

    async def async_get_access_token(self) -> str:
        """Return a valid access token, refreshing it first if needed."""
        try:
            async with asyncio.timeout(TOKEN_REFRESH_TIMEOUT):
                await self._session.async_ensure_token_valid()
        except OAUTH_REAUTH as err:
            raise HearthAuthenticationError(
                "The token endpoint refused the refresh", code=REFRESH_REFUSED
            ) from err
        except ClientResponseError as err:
            # Newer releases raise OAuth2TokenRequestTransientError here: a
            # 5xx, or a 429 with its Retry-After.
            raise _refresh_error(err) from err
        except TimeoutError as err:
            raise HearthTimeoutError("Timed out refreshing the access token") from err
        except ClientError as err:
            raise HearthConnectionError(
                f"Cannot refresh the access token: {type(err).__name__}"
            ) from err
        token: str = self._session.token["access_token"]
        return token

    @property
    def scopes(self) -> set[str] | None:
        """Return the scopes the account granted, if the token says."""
        scope = self._session.token.get("scope")
        return set(scope.split()) if isinstance(scope, str) else None

    @callback
    def async_expire(self, access_token: str) -> None:
        """Have the next request refresh a token the cloud refused.

        The cloud may end a token before its announced expiry (revocation, or
        a clock ahead of ours). A token that was replaced meanwhile is kept.
        """
        token = self._session.token
        if token["access_token"] != access_token:
            return
        entry = self._session.config_entry
        self._hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_TOKEN: {**token, "expires_at": 0}}
        )


def _offline(state: HubState) -> HubState:
    """Return a hub's last state with every device marked offline."""
    if not any(device.online for device in state.devices):
        return state
    return replace(
        state, devices=[replace(device, online=False) for device in state.devices]
    )


class CloudSource:
    """Every hub of a Hearth Cloud account, except the locally configured ones.

    A poll costs one request per page of ``GET /hubs`` plus one
    ``GET /hubs/{id}/state`` per hub read; :meth:`poll_cost` reports what the
    last poll took. A hub the cloud lists as offline keeps its devices (shown
    unavailable) rather than losing them.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        session: ClientSession,
        tokens: OAuth2TokenProvider,
        *,
        base_url: str = DEFAULT_CLOUD_URL,
    ) -> None:
        """Build the cloud client on the entry's tokens."""
        self._hass = hass
        self._tokens = tokens
        self.client = HearthCloudClient(
            session, TokenProviderAuth(self._access_token), base_url=base_url
        )
        #: Hubs of the account left out because a local entry serves them.
        self.skipped: set[str] = set()
        self._requests = 0
        self._cost = 1
        self._last: dict[str, HubState] = {}
        #: The token handed to the latest request.
        self._token = ""

    async def _access_token(self) -> str:
        """Return a valid token; each request asks once, so this counts them."""
        self._requests += 1
        self._token = await self._tokens.async_get_access_token()
        return self._token

    async def _async_call[T](self, call: Callable[[], Awaitable[T]]) -> T:
        """Run requests; when the cloud refuses the token, refresh it and retry once."""
        try:
            return await call()
        except HearthAuthenticationError as err:
            if err.code == REFRESH_REFUSED:
                raise
            LOGGER.debug("Hearth Cloud refused the access token; refreshing it")
            self._tokens.async_expire(self._token)
        return await call()

    @property
    def rate_limit(self) -> RateLimitInfo | None:
        """Return the rate-limit headers of the last answer."""
        return self.client.rate_limit

    def poll_cost(self) -> int:
        """Return the requests of the last poll (one before the first)."""
        return self._cost

    async def async_fetch(self) -> dict[str, HubState]:
        """Return the state of every hub of the account, keyed by hub id."""
        start = self._requests
        try:
            states = await self._async_call(self._async_fetch)
        finally:
            self._cost = max(1, self._requests - start)
        self._last = states
        return states

    async def _async_fetch(self) -> dict[str, HubState]:
        listed = await self.client.async_get_hubs()
        local = local_hub_ids(self._hass)
        self.skipped = {hub.id for hub in listed} & local
        states: dict[str, HubState] = {}
        for hub in listed:
            if hub.id in local:
                continue
            if (state := await self._async_hub_state(hub)) is not None:
                states[hub.id] = state
        return states

    async def _async_hub_state(self, hub: CloudHub) -> HubState | None:
        """Read one hub; None for a hub that is gone or never seen online."""
        if hub.online:
            try:
                return await self.client.async_get_hub_state(hub.id)
            except HearthNotFoundError:
                return None
            except HearthRequestError as err:
                # 409 hub_offline: the hub went offline since it was listed.
                if err.status != HTTPStatus.CONFLICT:
                    raise
        previous = self._last.get(hub.id)
        return None if previous is None else _offline(previous)

    async def async_events(self, on_open: OnOpen) -> AsyncIterator[tuple[str, Event]]:
        """Yield the events of the account's hubs, except the locally served ones.

        A token refused at the handshake is refreshed and the handshake tried
        once more. When the cloud ends the stream because its token expired,
        the token is dropped, so that the next connection gets a fresh one,
        and HearthTokenExpiredError tells the caller to reconnect at once.
        """
        opened = False

        async def _opened() -> None:
            nonlocal opened
            opened = True
            await on_open()

        for last_try in (False, True):
            try:
                async for event in self.client.async_events(_opened):
                    if event.hub_id not in self.skipped:
                        yield event.hub_id, event
            except HearthAuthenticationError as err:
                if err.code == REFRESH_REFUSED:
                    raise
                self._tokens.async_expire(self._token)
                if opened or last_try:
                    raise
                LOGGER.debug("Hearth Cloud refused the access token; refreshing it")
                continue
            return

    async def async_command(
        self, hub_id: str, device_id: str, command: DeviceCommand
    ) -> Device:
        """Send a command to a device through the cloud."""
        return await self._async_call(
            partial(self.client.async_set_device_state, hub_id, device_id, command)
        )

    async def async_check_health(self) -> None:
        """Ask the cloud whether it serves requests."""
        await self.client.async_check_health()

    @property
    def may_write(self) -> bool | None:
        """Return whether the token has the scope to change things, if it says."""
        scopes = self._tokens.scopes
        return None if scopes is None else CLOUD_WRITE_SCOPE in scopes

    async def async_get_firmware(self, hub_id: str) -> Firmware:
        """Return a hub's firmware through the cloud."""
        return await self._async_call(partial(self.client.async_get_firmware, hub_id))

    async def async_install_firmware(
        self, hub_id: str, version: str | None
    ) -> Firmware:
        """Start installing a hub's latest firmware through the cloud."""
        return await self._async_call(
            partial(self.client.async_install_firmware, hub_id, version)
        )


async def async_create_cloud_source(
    hass: HomeAssistant, entry: ConfigEntry
) -> CloudSource:
    """Return the source of a cloud entry, backed by its OAuth2 session."""
    try:
        implementation = (
            await config_entry_oauth2_flow.async_get_config_entry_implementation(
                hass, entry
            )
        )
    except IMPLEMENTATION_UNAVAILABLE as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="oauth2_implementation_unavailable",
        ) from err
    session = config_entry_oauth2_flow.OAuth2Session(hass, entry, implementation)
    return CloudSource(
        hass,
        async_get_clientsession(hass),
        OAuth2TokenProvider(hass, session),
        base_url=cloud_base_url(),
    )
