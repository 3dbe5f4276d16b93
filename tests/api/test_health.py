"""The health check of the hub and the cloud: no credentials, no budget."""

from __future__ import annotations

from aiohttp import ClientSession
import pytest

from custom_components.hearth.api import (
    HearthCloudClient,
    HearthConnectionError,
    HearthHubClient,
    HearthServerError,
    TokenProviderAuth,
    pinned_ssl,
)
from emulator import Emulator

from .clients import EmulatorFactory, make_hub_client


async def _no_token() -> str:
    raise AssertionError("the health check asked for credentials")


def _clients(
    session: ClientSession, emu: Emulator
) -> list[HearthHubClient | HearthCloudClient]:
    assert emu.fingerprint is not None
    hub = HearthHubClient(
        session,
        "127.0.0.1",
        TokenProviderAuth(_no_token),
        port=emu.port,
        ssl=pinned_ssl(emu.fingerprint),
    )
    cloud = HearthCloudClient(
        session, TokenProviderAuth(_no_token), base_url=emu.cloud_url
    )
    return [hub, cloud]


async def test_health_needs_no_credentials_and_no_budget(
    session: ClientSession, start_emulator: EmulatorFactory
) -> None:
    """A spent budget still answers the health check, without any key."""
    emu = await start_emulator(rate_limit=1)
    hub = make_hub_client(session, emu)
    await hub.async_get_info()
    for client in _clients(session, emu):
        for _ in range(3):
            await client.async_check_health()
        assert client.rate_limit is None
    assert emu.stats.rate_limited == 0
    assert emu.stats.count("GET", "/api/v1/health") == 3
    assert emu.stats.count("GET", "/v1/health") == 3


async def test_health_fails_while_the_server_fails(
    session: ClientSession, api_emulator: Emulator
) -> None:
    """An injected server error fails the check; a stopped server too."""
    clients = _clients(session, api_emulator)
    api_emulator.add_fault("server_error")
    for client in clients:
        with pytest.raises(HearthServerError):
            await client.async_check_health()
    api_emulator.clear_faults()
    for client in clients:
        await client.async_check_health()
    await api_emulator.stop()
    for client in clients:
        with pytest.raises(HearthConnectionError):
            await client.async_check_health()
