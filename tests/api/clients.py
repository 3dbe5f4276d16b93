"""The emulator as the client tests use it: keys, demo devices and clients.

Clients of its hub are pinned to its certificate; cloud clients sign in
through its OAuth2 server as Home Assistant would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import ClientSession
from yarl import URL

from custom_components.hearth.api import (
    ApiKeyAuth,
    HearthCloudClient,
    HearthHubClient,
    TokenProviderAuth,
    pinned_ssl,
)
from custom_components.hearth.api.client import SSLOption
from emulator import Emulator

API_KEY = "demo-key-7f3a9c"
READ_ONLY_KEY = "read-only-key-51b2"

DEMO_IDS = [
    "light-1",
    "light-2",
    "light-3",
    "light-4",
    "switch-1",
    "switch-2",
    "sensor-1",
    "sensor-2",
    "sensor-3",
    "button-1",
    "button-2",
]
REDIRECT_URI = "http://127.0.0.1:8123/auth/external/callback"


async def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll ``condition`` on the event loop until it holds, or fail the test."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


class EmulatorFactory(Protocol):
    """Start an emulator with keyword arguments for :class:`Emulator`."""

    async def __call__(self, **kwargs: Any) -> Emulator:
        """Start one; it is stopped after the test."""
        ...


def make_hub_client(
    session: ClientSession,
    emu: Emulator,
    *,
    key: str = API_KEY,
    ssl: SSLOption | None = None,
    request_timeout: float = 5.0,
) -> HearthHubClient:
    """Return a hub client for ``emu``, pinned to its certificate by default."""
    assert emu.fingerprint is not None
    return HearthHubClient(
        session,
        "127.0.0.1",
        ApiKeyAuth(key),
        port=emu.port,
        ssl=pinned_ssl(emu.fingerprint) if ssl is None else ssl,
        request_timeout=request_timeout,
    )


class OAuthSession:
    """Drives the cloud's OAuth2 flow with aiohttp, as Home Assistant would."""

    def __init__(self, session: ClientSession, emu: Emulator) -> None:
        """Remember where the authorization server is."""
        self._session = session
        self._emu = emu
        self.access_token = ""
        self.refresh_token = ""
        self.calls = 0

    async def authorize(self, scope: str | None = None) -> None:
        """Follow authorize -> redirect -> token exchange."""
        params = {
            "response_type": "code",
            "client_id": self._emu.client_id,
            "redirect_uri": REDIRECT_URI,
            "state": "csrf-7",
        }
        if scope is not None:
            params["scope"] = scope
        async with self._session.get(
            self._emu.authorize_url, params=params, allow_redirects=False
        ) as response:
            assert response.status == 302
            location = URL(response.headers["Location"])
        assert str(location.with_query(None)) == REDIRECT_URI
        assert location.query["state"] == "csrf-7"
        await self._token(
            {
                "grant_type": "authorization_code",
                "code": location.query["code"],
                "redirect_uri": REDIRECT_URI,
            }
        )

    async def refresh(self) -> None:
        """Trade the refresh token for a new pair."""
        await self._token(
            {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        )

    async def _token(self, form: dict[str, str]) -> None:
        form |= {
            "client_id": self._emu.client_id,
            "client_secret": self._emu.client_secret,
        }
        async with self._session.post(self._emu.token_url, data=form) as response:
            assert response.status == 200, await response.text()
            tokens = await response.json()
        assert tokens["token_type"] == "Bearer"
        assert tokens["expires_in"] > 0
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens["refresh_token"]

    async def token(self) -> str:
        """Provide the current access token (what TokenProviderAuth calls)."""
        self.calls += 1
        return self.access_token


async def cloud_client(
    session: ClientSession, emu: Emulator, scope: str | None = None
) -> tuple[HearthCloudClient, OAuthSession]:
    """Sign in through OAuth and return a cloud client using the token."""
    oauth = OAuthSession(session, emu)
    await oauth.authorize(scope)
    client = HearthCloudClient(
        session, TokenProviderAuth(oauth.token), base_url=emu.cloud_url
    )
    return client, oauth
