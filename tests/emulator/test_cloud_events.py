"""The cloud's ``/v1/events`` WebSocket: every hub of the account, closed at token expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from datetime import timedelta
from typing import Any

from aiohttp import (
    ClientSession,
    ClientWebSocketResponse,
    WSMsgType,
    WSServerHandshakeError,
)
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from emulator import Emulator

from .clock import FakeClock
from .http import RawHub

EXPIRED = (4001, "token_expired")


@contextlib.asynccontextmanager
async def _stream(
    session: ClientSession, emu: Emulator, token: str
) -> AsyncIterator[ClientWebSocketResponse]:
    """Open the cloud event stream and wait until the cloud counts it."""
    async with session.ws_connect(
        f"{emu.cloud_url}/v1/events", headers={"Authorization": f"Bearer {token}"}
    ) as socket:
        async with asyncio.timeout(5):
            await emu.wait_for_event_streams(1, cloud=True)
        yield socket


def _token(emu: Emulator, **kwargs: Any) -> str:
    return str(emu.issue_token(**kwargs)["access_token"])


async def _next(socket: ClientWebSocketResponse) -> dict[str, Any]:
    message = await asyncio.wait_for(socket.receive(), 5)
    assert message.type is WSMsgType.TEXT, message
    data: dict[str, Any] = message.json()
    return data


async def _closed(socket: ClientWebSocketResponse) -> tuple[int, str]:
    """Wait for the cloud to close the socket; return the close code and reason."""
    message = await asyncio.wait_for(socket.receive(), 5)
    assert message.type is WSMsgType.CLOSE, message
    return message.data, message.extra


async def test_every_hub_of_the_account_with_its_id(
    session: ClientSession, emu: Emulator
) -> None:
    """Changes of every hub reach the stream, each with the id of its hub."""
    other = next(hub for hub in emu.account.hubs.values() if hub.id != emu.hub_id)
    async with _stream(session, emu, _token(emu)) as socket:
        emu.set_online("light-1", False)
        other_device = next(iter(other.home.devices))
        other.home.set_online(other_device, False)
        added = emu.add_cloud_hub(hub_id="hearth-added")
        added.home.add_device({"id": "light-9", "kind": "light"})
        emu.update_hub(name="Renamed")
        messages = [await _next(socket) for _ in range(4)]
        emu.remove_cloud_hub("hearth-added")
        added.home.remove_device("light-9")
        emu.remove_device("light-2")
        last = await _next(socket)

    assert [(m["type"], m["hub_id"]) for m in messages] == [
        ("device_state", emu.hub_id),
        ("device_state", other.id),
        ("device_added", "hearth-added"),
        ("hub", emu.hub_id),
    ]
    assert list(messages[0])[:2] == ["type", "hub_id"]
    assert messages[0]["device"]["online"] is False
    assert messages[1]["device"]["id"] == other_device
    assert messages[3]["hub"]["name"] == "Renamed"
    # A hub taken off the account is no longer heard.
    assert last == {
        "type": "device_removed",
        "hub_id": emu.hub_id,
        "device_id": "light-2",
    }


async def test_commands_and_drift_reach_the_stream(
    session: ClientSession, emu: Emulator, raw_hub: RawHub
) -> None:
    """Commands through the cloud and the hub API, and drift, are all sent."""
    token = _token(emu)
    other = next(h for h in emu.account.hubs.values() if h.id != emu.hub_id)
    light = next(d for d in other.home.devices.values() if d.kind == "light")
    async with _stream(session, emu, token) as socket:
        async with session.patch(
            f"{emu.cloud_url}/v1/hubs/{other.id}/devices/{light.id}",
            json={"on": not light.state.on},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            assert response.status == 200
        await raw_hub.request("PATCH", "/api/v1/devices/switch-1", json={"on": True})
        first, second = await _next(socket), await _next(socket)
        changed = emu.drift()
        drifted = [await _next(socket) for _ in changed]
    assert (first["hub_id"], first["device"]["id"]) == (other.id, light.id)
    assert (second["hub_id"], second["device"]["id"]) == (emu.hub_id, "switch-1")
    assert {m["hub_id"] for m in drifted} == set(emu.account.hubs)
    assert {m["type"] for m in drifted} == {"device_state"}


async def test_button_presses_carry_their_hub_id(
    session: ClientSession, emu: Emulator
) -> None:
    """A press on the local hub and one on another demo hub, each with its hub."""
    other = emu.add_cloud_hub(hub_id="hearth-cabin", devices=None)
    async with _stream(session, emu, _token(emu)) as socket:
        local = emu.press_button("button-1", "top", "long")
        remote = other.home.press("button-2", "off")
        messages = [await _next(socket), await _next(socket)]
    assert messages == [
        {"type": "button_press", "hub_id": emu.hub_id, "press": local},
        {"type": "button_press", "hub_id": "hearth-cabin", "press": remote},
    ]


async def test_closed_with_4001_when_the_timer_finds_the_token_expired(
    session: ClientSession, emu: Emulator, clock: FakeClock
) -> None:
    """With no change to send, the expiry timer closes the stream."""
    async with _stream(session, emu, _token(emu, lifetime=1)) as socket:
        clock.tick(1)
        assert await _closed(socket) == EXPIRED
    async with asyncio.timeout(5):
        await emu.wait_for_event_streams(0, cloud=True)


# Frozen time stops asyncio's own timeouts too: pytest-timeout bounds the test.
@pytest.mark.timeout(30)
async def test_home_assistant_freezer_fires_the_expiry_timer(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """Under Home Assistant's frozen time, firing the timers past expiry closes it.

    This is how an integration test lets a token expire mid-stream.
    """
    token = str(emulator.issue_token(lifetime=3600)["access_token"])
    async with ClientSession() as session, _stream(session, emulator, token) as socket:
        freezer.tick(timedelta(seconds=3599))
        async_fire_time_changed(hass)
        emulator.set_online("light-1", False)
        assert (await _next(socket))["device"]["online"] is False
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
        assert await _closed(socket) == EXPIRED


async def test_expired_token_sends_no_more_changes(
    session: ClientSession, emu: Emulator, clock: FakeClock
) -> None:
    """A change after the expiry closes the stream instead of being sent."""
    async with _stream(session, emu, _token(emu, lifetime=60)) as socket:
        emu.set_online("light-1", False)
        assert (await _next(socket))["device"]["online"] is False
        clock.tick(60)
        emu.set_online("light-1", True)
        assert await _closed(socket) == EXPIRED


async def test_expire_tokens_fault_closes_every_stream(
    session: ClientSession, emu: Emulator
) -> None:
    """The expire_tokens fault closes the open streams at once, and shows in /admin."""
    token = _token(emu)
    async with _stream(session, emu, token) as socket:
        async with session.get(f"{emu.hub_url}/admin", ssl=False) as response:
            assert (await response.json())["cloud_event_streams"] == 1
        emu.expire_tokens()
        assert await _closed(socket) == EXPIRED
    async with asyncio.timeout(5):
        await emu.wait_for_event_streams(0, cloud=True)
    with pytest.raises(WSServerHandshakeError) as info:
        await session.ws_connect(
            f"{emu.cloud_url}/v1/events", headers={"Authorization": f"Bearer {token}"}
        )
    assert info.value.status == 401
    assert info.value.headers is not None
    assert "expired" in info.value.headers["WWW-Authenticate"]


async def test_stopping_closes_with_going_away(
    session: ClientSession, emu: Emulator
) -> None:
    """Stopping the emulator closes the cloud streams with 1001."""
    async with _stream(session, emu, _token(emu)) as socket:
        await emu.stop()
        assert await _closed(socket) == (1001, "")


async def test_handshake_is_authenticated_and_scoped(
    session: ClientSession, emu: Emulator
) -> None:
    """401 without a known token, 403 without devices:read."""
    url = f"{emu.cloud_url}/v1/events"
    async with session.get(url) as response:
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "invalid_auth"
    write_only = _token(emu, scope="devices:write")
    async with session.get(
        url, headers={"Authorization": f"Bearer {write_only}", "Upgrade": "websocket"}
    ) as response:
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "insufficient_scope"
    async with session.get(
        url, headers={"Authorization": f"Bearer {_token(emu)}"}
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "invalid_request"


async def test_a_connection_is_one_request_of_the_account_budget(
    session: ClientSession, emu: Emulator
) -> None:
    """The handshake is counted once; over budget it gets 429 with Retry-After."""
    emu.set_rate_limit(2)
    token = _token(emu)
    async with _stream(session, emu, token):
        async with session.get(
            f"{emu.cloud_url}/v1/me", headers={"Authorization": f"Bearer {token}"}
        ) as response:
            assert response.status == 200
        with pytest.raises(WSServerHandshakeError) as info:
            await session.ws_connect(
                f"{emu.cloud_url}/v1/events",
                headers={"Authorization": f"Bearer {token}"},
            )
    assert info.value.status == 429
    assert info.value.headers is not None
    assert info.value.headers["Retry-After"] == "60"
    assert emu.stats.count("GET", "/v1/events") == 2
    assert emu.stats.rate_limited == 1
