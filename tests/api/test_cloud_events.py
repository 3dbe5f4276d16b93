"""``HearthCloudClient.async_events``: every hub's events, with their hub id.

Most tests stream from the emulator's cloud over loopback; the scripted
server sends what no well-behaved cloud does (unknown fields, broken frames).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from aiohttp import ClientSession, WSCloseCode, web
import pytest

from custom_components.hearth.api import (
    TOKEN_EXPIRED_CLOSE_CODE,
    CloudEvent,
    DeviceCommand,
    EventType,
    HearthAuthenticationError,
    HearthCloudClient,
    HearthForbiddenError,
    HearthInvalidResponseError,
    HearthRateLimitError,
    HearthTokenExpiredError,
    TokenProviderAuth,
)
from emulator import Emulator

from .clients import EmulatorFactory, OAuthSession, cloud_client, make_hub_client
from .payloads import LIGHT
from .servers import ScriptedServer


class Listener:
    """Consumes a cloud client's event stream in a task, into a queue."""

    def __init__(self, client: HearthCloudClient) -> None:
        """Start consuming at once."""
        self.events: asyncio.Queue[CloudEvent] = asyncio.Queue()
        self.task = asyncio.create_task(self._consume(client.async_events()))

    async def _consume(self, stream: AsyncGenerator[CloudEvent]) -> None:
        async for event in stream:
            self.events.put_nowait(event)

    async def next(self) -> CloudEvent:
        """Return the next event."""
        async with asyncio.timeout(5):
            return await self.events.get()

    async def ended(self) -> None:
        """Wait for the stream to end (re-raising what ended it)."""
        async with asyncio.timeout(5):
            await self.task


@pytest.fixture
async def listen(api_emulator: Emulator) -> AsyncIterator[Any]:
    """Open a cloud stream (the only one) and wait until the emulator counts it."""
    listeners: list[Listener] = []

    async def start(client: HearthCloudClient) -> Listener:
        listener = Listener(client)
        listeners.append(listener)
        async with asyncio.timeout(5):
            await api_emulator.wait_for_event_streams(1, cloud=True)
        return listener

    yield start
    for listener in listeners:
        listener.task.cancel()
        with pytest.raises((asyncio.CancelledError, HearthTokenExpiredError)):
            await listener.task


async def test_events_of_every_hub_carry_their_hub_id(
    session: ClientSession, start_emulator: EmulatorFactory
) -> None:
    """Admin changes, commands through both APIs and drift, for three hubs."""
    emu = await start_emulator(cloud_hubs=2)
    client, _oauth = await cloud_client(session, emu)
    listener = Listener(client)
    await asyncio.wait_for(emu.wait_for_event_streams(1, cloud=True), 5)
    try:
        first, second = (hub for hub in emu.account.hubs if hub != emu.hub_id)
        light = next(
            d for d in emu.cloud_hub(first).home.devices.values() if d.kind == "light"
        )
        await client.async_set_device_state(first, light.id, DeviceCommand(on=True))
        await make_hub_client(session, emu).async_set_device_state(
            "switch-1", DeviceCommand(on=True)
        )
        emu.cloud_hub(second).home.add_device({"id": "light-9", "kind": "light"})
        emu.cloud_hub(second).home.remove_device("light-9")
        emu.update_hub(name="Attic Hub")
        events = [await listener.next() for _ in range(5)]
        changed = emu.drift()
        drifted = [await listener.next() for _ in changed]
    finally:
        listener.task.cancel()

    assert [(e.hub_id, e.type) for e in events] == [
        (first, EventType.DEVICE_STATE),
        (emu.hub_id, EventType.DEVICE_STATE),
        (second, EventType.DEVICE_ADDED),
        (second, EventType.DEVICE_REMOVED),
        (emu.hub_id, EventType.HUB),
    ]
    assert events[0].device is not None
    assert (events[0].device.id, events[0].device.state.on) == (light.id, True)
    assert events[3].device_id == "light-9"
    assert events[4].hub is not None
    assert events[4].hub.name == "Attic Hub"
    assert len(drifted) == len(changed) > 0
    for event in drifted:
        assert event.device is not None
        assert event.device.id in emu.cloud_hub(event.hub_id).home.devices
    assert emu.hub_id in {e.hub_id for e in drifted}
    assert all(isinstance(e, CloudEvent) for e in events + drifted)


async def test_refused_token(session: ClientSession, api_emulator: Emulator) -> None:
    """An unknown token, or one without devices:read, is refused at the handshake."""

    async def wrong() -> str:
        return "not-a-token"

    client = HearthCloudClient(
        session, TokenProviderAuth(wrong), base_url=api_emulator.cloud_url
    )
    with pytest.raises(HearthAuthenticationError) as info:
        await anext(client.async_events())
    assert info.value.status == 401
    assert not isinstance(info.value, HearthTokenExpiredError)

    write_only, _oauth = await cloud_client(session, api_emulator, "devices:write")
    with pytest.raises(HearthForbiddenError):
        await anext(write_only.async_events())
    assert api_emulator.cloud_event_stream_count == 0


@pytest.mark.parametrize("retry_after_format", ["seconds", "http-date"])
async def test_rate_limited_handshake(
    session: ClientSession,
    start_emulator: EmulatorFactory,
    retry_after_format: str,
) -> None:
    """A stream is one request of the account budget; over it, 429 with Retry-After."""
    emu = await start_emulator(rate_limit=2)
    emu.set_rate_limit(2, retry_after_format)
    client, _oauth = await cloud_client(session, emu)
    listener = Listener(client)
    await asyncio.wait_for(emu.wait_for_event_streams(1, cloud=True), 5)
    try:
        await client.async_get_account()
        with pytest.raises(HearthRateLimitError) as info:
            await anext(client.async_events())
    finally:
        listener.task.cancel()
    assert 55 <= info.value.retry_after <= 61
    assert emu.stats.count("GET", "/v1/events") == 2


async def test_closed_when_the_token_expires(
    session: ClientSession, api_emulator: Emulator, listen: Any
) -> None:
    """Expiry ends the stream with HearthTokenExpiredError; a new token reconnects."""
    client, oauth = await cloud_client(session, api_emulator)
    listener = await listen(client)
    api_emulator.expire_tokens()
    with pytest.raises(HearthTokenExpiredError) as info:
        await listener.ended()
    assert isinstance(info.value, HearthAuthenticationError)
    assert info.value.code == "token_expired"
    await asyncio.wait_for(api_emulator.wait_for_event_streams(0, cloud=True), 5)

    await oauth.refresh()
    listener = await listen(client)
    api_emulator.set_online("light-1", False)
    event = await listener.next()
    assert (event.hub_id, event.device and event.device.online) == (
        api_emulator.hub_id,
        False,
    )


async def test_closed_at_the_end_of_the_token_lifetime(
    session: ClientSession, api_emulator: Emulator, listen: Any
) -> None:
    """With nothing to send, the cloud still closes the stream when the token expires."""
    oauth = OAuthSession(session, api_emulator)
    oauth.access_token = str(api_emulator.issue_token(lifetime=1)["access_token"])
    client = HearthCloudClient(
        session, TokenProviderAuth(oauth.token), base_url=api_emulator.cloud_url
    )
    listener = await listen(client)
    with pytest.raises(HearthTokenExpiredError):
        await listener.ended()
    assert listener.events.empty()


async def test_expired_token_answer_is_distinguishable(
    session: ClientSession, api_emulator: Emulator
) -> None:
    """A 401 token_expired answer raises HearthTokenExpiredError too."""
    client, _oauth = await cloud_client(session, api_emulator)
    api_emulator.expire_tokens()
    with pytest.raises(HearthTokenExpiredError) as info:
        await client.async_get_hubs()
    assert info.value.status == 401


async def test_unknown_fields_and_types_are_tolerated(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """Extra fields and event types a newer cloud sends still decode."""

    async def events(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json(
            {
                "type": "device_state",
                "hub_id": "hub-7",
                "device": LIGHT | {"room": "attic"},
                "sequence": 41,
            }
        )
        await socket.send_json({"type": "hub_online", "hub_id": "hub-8"})
        await socket.close(code=WSCloseCode.GOING_AWAY)
        return socket

    scripted.route("GET", "/v1/events", events)
    received = [event async for event in scripted.cloud(session).async_events()]
    assert [(e.type, e.hub_id) for e in received] == [
        ("device_state", "hub-7"),
        ("hub_online", "hub-8"),
    ]
    assert received[0].device is not None
    assert received[0].device.id == "light-1"
    assert scripted.seen[0].headers["Authorization"] == "Bearer scripted-token"


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        '{"type": "device_state", "device": {"id": "light-1"}, "hub_id": "h"}',
        '{"type": "device_removed", "device_id": "light-1"}',
        '{"type": "device_removed", "device_id": "light-1", "hub_id": 7}',
    ],
    ids=["not-json", "bad-device", "no-hub-id", "hub-id-not-a-string"],
)
async def test_malformed_message(
    scripted: ScriptedServer, session: ClientSession, frame: str
) -> None:
    """A frame that is not a cloud event is an invalid response."""

    async def events(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_str(frame)
        await socket.receive()
        return socket

    scripted.route("GET", "/v1/events", events)
    stream = scripted.cloud(session).async_events()
    with pytest.raises(HearthInvalidResponseError):
        await anext(stream)
    await stream.aclose()


@pytest.mark.parametrize(
    ("code", "expired"),
    [(TOKEN_EXPIRED_CLOSE_CODE, True), (WSCloseCode.GOING_AWAY, False)],
)
async def test_only_the_expiry_close_code_raises(
    scripted: ScriptedServer, session: ClientSession, code: int, expired: bool
) -> None:
    """4001 raises HearthTokenExpiredError; any other close just ends the stream."""

    async def events(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.close(code=code, drain=True)
        return socket

    scripted.route("GET", "/v1/events", events)
    stream = scripted.cloud(session).async_events()
    if expired:
        with pytest.raises(HearthTokenExpiredError):
            await anext(stream)
    else:
        with pytest.raises(StopAsyncIteration):
            await anext(stream)


async def test_button_presses_of_every_hub(
    session: ClientSession, start_emulator: EmulatorFactory
) -> None:
    """Presses of two hubs, typed, each with its hub id and a rising seq."""
    emu = await start_emulator(cloud_hubs=0)
    cabin = emu.add_cloud_hub(hub_id="hearth-cabin", devices=None)
    client, _oauth = await cloud_client(session, emu)
    listener = Listener(client)
    await asyncio.wait_for(emu.wait_for_event_streams(1, cloud=True), 5)
    try:
        emu.press_button("button-2", "on")
        cabin.home.press("button-1", "top", "long")
        events = [await listener.next() for _ in range(2)]
    finally:
        listener.task.cancel()
    assert [(e.hub_id, e.type) for e in events] == [
        (emu.hub_id, EventType.BUTTON_PRESS),
        ("hearth-cabin", EventType.BUTTON_PRESS),
    ]
    assert events[0].press is not None
    assert (events[0].press.device_id, events[0].press.button_id) == (
        "button-2",
        "on",
    )
    assert events[1].press is not None
    assert (events[1].press.press_type, events[1].press.seq) == ("long", 1)
