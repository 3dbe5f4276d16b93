"""Edge cases no well-behaved server produces, served by a scripted HTTPS server.

The emulator covers the contract; these answers are deliberately odd: a 429
without Retry-After, error bodies that are not JSON, a streamed body without
Content-Length that grows too large, a state without ETag, a page cursor that
loops, a binary WebSocket frame. All of it is real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any, cast

from aiohttp import ClientSession, WSCloseCode, WSMsgType, web
import orjson
import pytest

from custom_components.hearth.api import (
    DeviceCommand,
    Event,
    EventType,
    HearthAuthenticationError,
    HearthConnectionError,
    HearthInvalidResponseError,
    HearthNotFoundError,
    HearthRateLimitError,
    HearthRequestError,
    HearthServerError,
    client as client_module,
)
from custom_components.hearth.api.client import DEFAULT_RETRY_AFTER, MAX_BODY_BYTES

from .payloads import HUB, LIGHT
from .servers import ScriptedServer

STATE: dict[str, Any] = {"hub": HUB, "devices": [LIGHT]}


def _answer(
    status: int = 200,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    return web.Response(
        status=status,
        body=body,
        headers=headers,
        content_type="application/json",
    )


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({}, DEFAULT_RETRY_AFTER),
        ({"Retry-After": "later"}, DEFAULT_RETRY_AFTER),
        (
            {
                "RateLimit-Limit": "5",
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": "4",
            },
            4.0,
        ),
        (
            {
                "Retry-After": "not a date",
                "RateLimit-Limit": "5",
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": "7",
            },
            7.0,
        ),
        ({"Retry-After": "3", "RateLimit-Reset": "9"}, 3.0),
    ],
)
async def test_rate_limit_without_usable_retry_after(
    scripted: ScriptedServer,
    session: ClientSession,
    headers: dict[str, str],
    retry_after: float,
) -> None:
    """Without a usable Retry-After, RateLimit-Reset or a default applies."""

    async def limited(request: web.Request) -> web.Response:
        return _answer(
            429, b'{"error": {"code": "rate_limited", "message": "Slow"}}', headers
        )

    scripted.route("GET", "/api/v1/info", limited)
    with pytest.raises(HearthRateLimitError) as info:
        await scripted.hub(session).async_get_info()
    assert info.value.retry_after == retry_after
    assert (info.value.status, info.value.code, str(info.value)) == (
        429,
        "rate_limited",
        "Slow",
    )


@pytest.mark.parametrize(
    ("status", "body", "error", "code", "message"),
    [
        (502, b"<html>Bad gateway</html>", HearthServerError, None, "HTTP 502"),
        (500, b"", HearthServerError, None, "HTTP 500"),
        (503, b'{"detail": "x"}', HearthServerError, None, "HTTP 503"),
        (500, b'{"error": "boom"}', HearthServerError, None, "HTTP 500"),
        (500, b'{"error": {"code": "x"}}', HearthServerError, "x", "HTTP 500"),
        (500, b"[1]", HearthServerError, None, "HTTP 500"),
        (404, b"null", HearthNotFoundError, None, "HTTP 404"),
        (
            418,
            b'{"error": {"code": 7, "message": "I am a teapot"}}',
            HearthRequestError,
            "7",
            "I am a teapot",
        ),
        (
            422,
            b'{"error": {"code": "invalid", "message": "No", "extra": 1}}',
            HearthRequestError,
            "invalid",
            "No",
        ),
    ],
)
async def test_error_bodies(
    scripted: ScriptedServer,
    session: ClientSession,
    status: int,
    body: bytes,
    error: type[Exception],
    code: str | None,
    message: str,
) -> None:
    """The status picks the class; a malformed error body still maps cleanly."""

    async def failing(request: web.Request) -> web.Response:
        return _answer(status, body)

    scripted.route("GET", "/v1/me", failing)
    with pytest.raises(error) as info:
        await scripted.cloud(session).async_get_account()
    assert type(info.value) is error
    assert getattr(info.value, "status", None) == status
    assert getattr(info.value, "code", None) == code
    assert str(info.value) == message


async def test_streamed_body_too_large(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """A chunked body without Content-Length is cut off once it is too large."""
    sent = 0

    async def endless(request: web.Request) -> web.StreamResponse:
        nonlocal sent
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b" " * 65536
        try:
            while sent <= 4 * MAX_BODY_BYTES:
                await response.write(chunk)
                sent += len(chunk)
        except (ConnectionError, RuntimeError):
            return response
        await response.write_eof()
        return response

    scripted.route("GET", "/api/v1/state", endless)
    with pytest.raises(HearthInvalidResponseError, match="too large"):
        await scripted.hub(session).async_get_state()
    assert sent > MAX_BODY_BYTES


async def test_declared_body_too_large(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """A Content-Length above the limit is refused before reading."""

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "application/json",
                "Content-Length": str(MAX_BODY_BYTES + 1),
            }
        )
        await response.prepare(request)
        await response.write(b"{")
        return response

    scripted.route("GET", "/api/v1/state", huge)
    with pytest.raises(HearthInvalidResponseError, match="too large"):
        await scripted.hub(session).async_get_state()


async def test_body_at_the_limit_is_read(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """Exactly MAX_BODY_BYTES is still fine (and then decoded)."""
    body = orjson.dumps(STATE)
    body += b" " * (MAX_BODY_BYTES - len(body))

    async def big(request: web.Request) -> web.Response:
        return _answer(body=body)

    scripted.route("GET", "/api/v1/state", big)
    state = await scripted.hub(session).async_get_state()
    assert state.devices[0].id == "light-1"


async def test_state_without_etag_is_not_cached(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """Once a server stops sending ETag, the client stops sending If-None-Match."""
    etags = ["v1", None, None]

    async def state(request: web.Request) -> web.Response:
        etag = etags.pop(0)
        return _answer(
            body=orjson.dumps(STATE), headers={"ETag": etag} if etag else None
        )

    scripted.route("GET", "/api/v1/state", state)
    client = scripted.hub(session)
    first = await client.async_get_state()
    second = await client.async_get_state()
    third = await client.async_get_state()
    assert first == second == third
    assert first is not second
    assert second is not third
    assert [seen.headers.get("If-None-Match") for seen in scripted.seen] == [
        None,
        "v1",
        None,
    ]


async def test_not_modified_without_cache_is_invalid(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """A 304 to a request that had no If-None-Match cannot be used."""

    async def not_modified(request: web.Request) -> web.Response:
        return web.Response(status=304)

    scripted.route("GET", "/api/v1/state", not_modified)
    with pytest.raises(HearthInvalidResponseError):
        await scripted.hub(session).async_get_state()


async def test_state_cache_is_per_path(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """Each hub of the cloud has its own ETag cache entry."""

    async def hub_state(request: web.Request) -> web.Response:
        hub_id = request.match_info["tail"].split("/")[2]
        if request.headers.get("If-None-Match") == f'"{hub_id}"':
            return web.Response(status=304)
        payload = {**STATE, "hub": {**HUB, "id": hub_id}}
        return _answer(body=orjson.dumps(payload), headers={"ETag": f'"{hub_id}"'})

    scripted.route("GET", "/v1/hubs/a/state", hub_state)
    scripted.route("GET", "/v1/hubs/b/state", hub_state)
    cloud = scripted.cloud(session)
    a = await cloud.async_get_hub_state("a")
    b = await cloud.async_get_hub_state("b")
    assert (a.hub.id, b.hub.id) == ("a", "b")
    assert await cloud.async_get_hub_state("a") is a
    assert await cloud.async_get_hub_state("b") is b
    assert [seen.headers.get("If-None-Match") for seen in scripted.seen] == [
        None,
        None,
        '"a"',
        '"b"',
    ]


async def test_hub_pages_that_loop(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """A cursor seen before would page forever: it is refused."""
    hub = {"id": "h", "name": "H", "model": "HH-1", "firmware": "1.0"}

    async def pages(request: web.Request) -> web.Response:
        cursor = request.query.get("cursor")
        following = {None: "p2", "p2": "p3", "p3": "p2"}[cursor]
        return _answer(body=orjson.dumps({"hubs": [hub], "next_cursor": following}))

    scripted.route("GET", "/v1/hubs", pages)
    with pytest.raises(HearthInvalidResponseError, match="loop"):
        await scripted.cloud(session).async_get_hubs()
    assert [seen.query.get("cursor") for seen in scripted.seen] == [
        None,
        "p2",
        "p3",
    ]


async def test_empty_cursor_ends_paging(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """An empty next_cursor means there are no more pages."""

    async def page(request: web.Request) -> web.Response:
        return _answer(body=b'{"hubs": [], "next_cursor": ""}')

    scripted.route("GET", "/v1/hubs", page)
    assert await scripted.cloud(session).async_get_hubs() == []
    assert len(scripted.seen) == 1


async def test_events_stop_at_a_binary_frame(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """Only text frames are events; anything else ends the stream."""

    async def events(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "device_state", "device": LIGHT})
        await socket.send_bytes(b"\x00\x01")
        await socket.send_json({"type": "device_removed", "device_id": "x"})
        await socket.close(code=WSCloseCode.GOING_AWAY)
        return socket

    scripted.route("GET", "/api/v1/events", events)
    received = [event async for event in scripted.hub(session).async_events()]
    assert [event.type for event in received] == [EventType.DEVICE_STATE]
    assert scripted.seen[0].headers["Authorization"] == "Bearer scripted-key"


async def test_events_wait_for_on_open(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """``on_open`` runs once the socket is open; what arrives meanwhile waits for it."""
    order: list[str] = []

    async def events(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "device_state", "device": LIGHT})
        await socket.close()
        return socket

    async def on_open() -> None:
        order.append("opened")
        # The server's message is already on its way; it is not read yet.
        await asyncio.sleep(0.05)
        order.append("read the state")

    scripted.route("GET", "/api/v1/events", events)
    order.extend(
        [event.type async for event in scripted.hub(session).async_events(on_open)]
    )
    assert order == ["opened", "read the state", EventType.DEVICE_STATE]


async def test_events_refused_handshake(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """A refused upgrade maps like any answer; an odd one is a connection error."""

    async def refuse(request: web.Request) -> web.Response:
        return _answer(401, b'{"error": {"code": "unauthorized", "message": "No"}}')

    async def not_found(request: web.Request) -> web.Response:
        return _answer(404, b"")

    scripted.route("GET", "/api/v1/events", refuse)
    with pytest.raises(HearthAuthenticationError):
        async for _event in scripted.hub(session).async_events():
            pass  # pragma: no cover
    scripted.route("GET", "/api/v1/events", not_found)
    with pytest.raises(HearthConnectionError, match="Event stream refused"):
        async for _event in scripted.hub(session).async_events():
            pass  # pragma: no cover


async def test_event_that_does_not_decode(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """A text frame that is not an event is an invalid response."""

    async def events(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_str('{"device_id": "no type"}')
        await socket.receive()
        return socket

    scripted.route("GET", "/api/v1/events", events)
    stream = cast("AsyncGenerator[Event]", scripted.hub(session).async_events())
    with pytest.raises(HearthInvalidResponseError):
        await anext(stream)
    await stream.aclose()


async def test_patch_sends_only_the_command(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """The PATCH body is exactly the set fields, as JSON, with the key."""
    bodies: list[object] = []

    async def patch(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        return _answer(body=orjson.dumps(LIGHT))

    scripted.route("PATCH", "/api/v1/devices/light-1", patch)
    scripted.route("PATCH", "/v1/hubs/hub-1/devices/light-1", patch)
    device = await scripted.hub(session).async_set_device_state(
        "light-1", DeviceCommand(on=True, brightness=0)
    )
    await scripted.cloud(session).async_set_device_state(
        "hub-1", "light-1", DeviceCommand(effect="candle")
    )
    assert device.id == "light-1"
    assert bodies == [{"on": True, "brightness": 0}, {"effect": "candle"}]
    assert [seen.headers["Authorization"] for seen in scripted.seen] == [
        "Bearer scripted-key",
        "Bearer scripted-token",
    ]
    assert {seen.headers["Accept"] for seen in scripted.seen} == {"application/json"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**STATE, "devices": [{**LIGHT, "online": "no"}]}, "devices"),
        ({**STATE, "devices": [{**LIGHT, "state": {"brightness": "128"}}]}, "devices"),
        (
            {**STATE, "devices": [{k: v for k, v in LIGHT.items() if k != "name"}]},
            "devices",
        ),
        ({"devices": [LIGHT]}, "hub"),
        ({**STATE, "hub": {**HUB, "api_version": 1.0}}, "hub"),
        ([STATE], "dict"),
    ],
)
async def test_state_of_the_wrong_shape(
    scripted: ScriptedServer, session: ClientSession, payload: object, field: str
) -> None:
    """Missing or ill-typed fields are a HearthInvalidResponseError, not a crash."""

    async def state(request: web.Request) -> web.Response:
        return _answer(body=orjson.dumps(payload), headers={"ETag": '"1"'})

    scripted.route("GET", "/api/v1/state", state)
    with pytest.raises(HearthInvalidResponseError, match="Unexpected answer") as info:
        await scripted.hub(session).async_get_state()
    assert field in str(info.value.__cause__)


async def test_unknown_fields_are_tolerated(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """A newer hub's extra fields, at every level, are ignored."""
    payload = {
        "hub": {**HUB, "uptime": 99, "features": ["matter"]},
        "devices": [
            {
                **LIGHT,
                "room": "Kitchen",
                "capabilities": {**LIGHT["capabilities"], "gradient": True},
                "state": {**LIGHT["state"], "hue": 30, "nested": {"x": [1, 2]}},
            }
        ],
        "generation": 12,
    }

    async def state(request: web.Request) -> web.Response:
        return _answer(body=orjson.dumps(payload))

    scripted.route("GET", "/api/v1/state", state)
    result = await scripted.hub(session).async_get_state()
    assert result.hub.id == "hub-1"
    assert result.devices[0].state.rgb == [255, 0, 10]
    assert result.devices[0].capabilities.effects == ["rainbow", "candle"]


@pytest.mark.parametrize("answers_pings", [False, True])
async def test_silent_event_stream(
    scripted: ScriptedServer,
    session: ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    answers_pings: bool,
) -> None:
    """A stream that sends nothing is pinged; with no pong either, it is dead.

    A server that answers the pings keeps the stream open however long it
    has nothing to say; one that stays silent is given up after twice the
    ping interval, with an error that says so.
    """
    monkeypatch.setattr(client_module, "STREAM_PING_AFTER", 0.1)
    pings: list[bytes] = []
    done = asyncio.Event()

    async def events(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=False)
        await socket.prepare(request)
        while len(pings) < 3:
            message = await socket.receive()
            if message.type is not WSMsgType.PING:
                break
            pings.append(message.data)
            if answers_pings:
                await socket.pong(message.data)
        if answers_pings:
            await socket.ping(b"from the hub")
            await socket.send_str(orjson.dumps({"type": "hub", "hub": HUB}).decode())
        await done.wait()
        return socket

    scripted.route("GET", "/api/v1/events", events)
    stream = cast("AsyncGenerator[Event]", scripted.hub(session).async_events())
    try:
        if answers_pings:
            event = await anext(stream)
            assert event.type == "hub"
            assert len(pings) == 3
        else:
            with pytest.raises(HearthConnectionError, match="went silent"):
                await anext(stream)
            assert len(pings) == 1
    finally:
        done.set()
        await stream.aclose()
