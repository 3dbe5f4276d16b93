"""Every endpoint of the Hearth Cloud API, with tokens from the real OAuth flow."""

from __future__ import annotations

from aiohttp import ClientSession
import pytest

from custom_components.hearth.api import (
    Account,
    DeviceCommand,
    HearthAuthenticationError,
    HearthCloudClient,
    HearthForbiddenError,
    HearthNotFoundError,
    HearthRequestError,
    TokenProviderAuth,
)
from emulator import Emulator

from .clients import DEMO_IDS, EmulatorFactory, cloud_client


async def test_me(session: ClientSession, api_emulator: Emulator) -> None:
    """GET /me returns the signed-in account; the provider is asked each time."""
    client, oauth = await cloud_client(session, api_emulator)
    account = await client.async_get_account()
    assert account == Account(id=api_emulator.account.id, name="Demo account")
    assert account.id.startswith("acct-")
    assert oauth.calls == 1
    assert client.rate_limit is not None
    assert client.rate_limit.remaining == client.rate_limit.limit - 1


async def test_hubs_follow_every_page(
    session: ClientSession, start_emulator: EmulatorFactory
) -> None:
    """Five hubs in pages of two take three requests, in order."""
    emu = await start_emulator(cloud_hubs=4, page_size=2)
    client, _oauth = await cloud_client(session, emu)
    hubs = await client.async_get_hubs()
    assert [hub.id for hub in hubs] == list(emu.account.hubs)
    assert len(hubs) == 5
    assert hubs[0].id == emu.hub_id
    assert [hub.name for hub in hubs] == [
        "Hearth Hub",
        "Hearth Hub 2",
        "Hearth Hub 3",
        "Hearth Hub 4",
        "Hearth Hub 5",
    ]
    assert all(hub.online for hub in hubs)
    assert emu.stats.count("GET", "/v1/hubs") == 3


async def test_hubs_single_page_and_offline_hub(
    session: ClientSession, start_emulator: EmulatorFactory
) -> None:
    """One page needs one request; an offline hub is listed as such."""
    emu = await start_emulator(cloud_hubs=1, page_size=5)
    other = emu.add_cloud_hub(hub_id="hearth-other", online=False)
    client, _oauth = await cloud_client(session, emu)
    hubs = await client.async_get_hubs()
    assert [(hub.id, hub.online) for hub in hubs][-1] == (other.id, False)
    assert len(hubs) == 3
    assert emu.stats.count("GET", "/v1/hubs") == 1


async def test_hub_state_and_etag(
    session: ClientSession, api_emulator: Emulator
) -> None:
    """A hub's state comes through the cloud, cached by ETag like the hub's."""
    client, _oauth = await cloud_client(session, api_emulator)
    state = await client.async_get_hub_state(api_emulator.hub_id)
    assert state.hub.id == api_emulator.hub_id
    assert [device.id for device in state.devices] == DEMO_IDS
    assert await client.async_get_hub_state(api_emulator.hub_id) is state
    assert api_emulator.stats.by_status[304] == 1

    other_id = next(
        hub for hub in api_emulator.account.hubs if hub != api_emulator.hub_id
    )
    other = await client.async_get_hub_state(other_id)
    assert other.hub.id == other_id
    assert len(other.devices) == 3


async def test_patch_through_the_cloud(
    session: ClientSession, api_emulator: Emulator
) -> None:
    """PATCH returns the new state; the hub's next state shows it."""
    client, _oauth = await cloud_client(session, api_emulator)
    before = await client.async_get_hub_state(api_emulator.hub_id)
    device = await client.async_set_device_state(
        api_emulator.hub_id, "light-2", DeviceCommand(brightness=10)
    )
    assert (device.id, device.state.on, device.state.brightness) == (
        "light-2",
        True,
        10,
    )
    after = await client.async_get_hub_state(api_emulator.hub_id)
    assert after is not before
    assert {d.id: d for d in after.devices}["light-2"] == device
    assert api_emulator.home.devices["light-2"].state.brightness == 10


async def test_expired_token_then_refresh(
    session: ClientSession, api_emulator: Emulator
) -> None:
    """An expired access token is a 401; the refreshed one works."""
    client, oauth = await cloud_client(session, api_emulator)
    await client.async_get_account()
    api_emulator.expire_tokens()
    with pytest.raises(HearthAuthenticationError) as info:
        await client.async_get_account()
    assert (info.value.status, info.value.code) == (401, "token_expired")

    old = oauth.access_token
    await oauth.refresh()
    assert oauth.access_token != old
    assert (await client.async_get_account()).id == api_emulator.account.id


async def test_unknown_token(session: ClientSession, api_emulator: Emulator) -> None:
    """A token the cloud never issued is a 401."""

    async def made_up() -> str:
        return "made-up-token"

    client = HearthCloudClient(
        session, TokenProviderAuth(made_up), base_url=api_emulator.cloud_url
    )
    with pytest.raises(HearthAuthenticationError) as info:
        await client.async_get_hubs()
    assert (info.value.status, info.value.code) == (401, "invalid_auth")


async def test_read_scope_cannot_patch(
    session: ClientSession, api_emulator: Emulator
) -> None:
    """A token without devices:write is refused a PATCH with 403."""
    client, _oauth = await cloud_client(session, api_emulator, scope="devices:read")
    assert len(await client.async_get_hubs()) == 2
    with pytest.raises(HearthForbiddenError) as info:
        await client.async_set_device_state(
            api_emulator.hub_id, "light-1", DeviceCommand(on=True)
        )
    assert (info.value.status, info.value.code) == (403, "insufficient_scope")


async def test_cloud_errors(session: ClientSession, api_emulator: Emulator) -> None:
    """Unknown hub is 404; an offline hub is 409; a bad command is 400."""
    client, _oauth = await cloud_client(session, api_emulator)
    with pytest.raises(HearthNotFoundError) as missing:
        await client.async_get_hub_state("hearth-nope")
    assert missing.value.code == "not_found"
    other_id = next(
        hub for hub in api_emulator.account.hubs if hub != api_emulator.hub_id
    )
    api_emulator.set_cloud_hub_online(other_id, False)
    with pytest.raises(HearthRequestError) as offline:
        await client.async_get_hub_state(other_id)
    assert (offline.value.status, offline.value.code) == (409, "hub_offline")
    with pytest.raises(HearthRequestError) as invalid:
        await client.async_set_device_state(
            api_emulator.hub_id, "sensor-1", DeviceCommand(on=True)
        )
    assert (invalid.value.status, invalid.value.code) == (400, "invalid_request")
