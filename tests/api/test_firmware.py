"""Firmware updates through the client: typed answers, events and errors.

The emulator's installs are made quick (tens of milliseconds a step, a
fraction of a second to restart); an old hub without ``/firmware`` is played
by the scripted server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from aiohttp import ClientSession, web
import orjson
import pytest

from custom_components.hearth.api import (
    CloudEvent,
    Event,
    EventType,
    Firmware,
    FirmwareFailure,
    FirmwareState,
    HearthConnectionError,
    HearthForbiddenError,
    HearthInvalidResponseError,
    HearthNotFoundError,
    HearthRequestError,
    HearthServerError,
)
from emulator import Emulator

from .clients import (
    READ_ONLY_KEY,
    EmulatorFactory,
    cloud_client,
    make_hub_client,
    wait_until,
)
from .servers import ScriptedServer

QUICK = {"firmware_step": 0.02, "firmware_restart": 0.3}


class Collector[E: Event]:
    """Consumes an event stream in a task, into a queue, until it ends."""

    def __init__(self, stream: AsyncGenerator[E]) -> None:
        """Start consuming at once."""
        self.events: asyncio.Queue[E] = asyncio.Queue()
        self.task = asyncio.create_task(self._consume(stream))

    async def _consume(self, stream: AsyncGenerator[E]) -> None:
        async for event in stream:
            self.events.put_nowait(event)

    async def next(self) -> E:
        """Return the next event."""
        async with asyncio.timeout(5):
            return await self.events.get()

    async def stop(self) -> None:
        """End the stream, if it is still open."""
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


@pytest.fixture
async def quick(start_emulator: EmulatorFactory) -> Emulator:
    """Return an emulator whose installs take a fraction of a second."""
    return await start_emulator(**QUICK)


async def test_get_firmware(session: ClientSession, quick: Emulator) -> None:
    """The firmware decodes, with its release notes and URL."""
    firmware = await make_hub_client(session, quick).async_get_firmware()
    assert (firmware.installed, firmware.latest) == ("1.4.2", "1.5.0")
    assert firmware.state == FirmwareState.IDLE
    assert firmware.update_available
    assert not firmware.installing
    assert firmware.release_notes is not None
    assert firmware.release_notes.startswith("## Hearth hub 1.5.0")
    assert firmware.release_url == "https://hearth-home.io/releases/hub/1.5.0"
    assert (firmware.progress, firmware.error) == (None, None)


async def test_install_end_to_end(session: ClientSession, quick: Emulator) -> None:
    """Install: typed progress, the stream ends, the hub comes back updated."""
    hub = make_hub_client(session, quick)
    before = await hub.async_get_state()
    events = Collector(hub.async_events())
    await wait_until(lambda: quick.event_stream_count == 1)
    started = await hub.async_install_firmware()
    assert started.installing
    assert started.progress == 0
    progress = [await events.next() for _ in range(6)]
    async with asyncio.timeout(5):
        await events.task
    assert {event.type for event in progress} == {EventType.FIRMWARE_PROGRESS}
    assert [e.firmware.progress for e in progress if e.firmware is not None] == [
        0,
        20,
        40,
        60,
        80,
        100,
    ]

    assert quick.restarting
    with pytest.raises(HearthConnectionError):
        await hub.async_check_health()
    await wait_until(lambda: not quick.restarting)

    assert (await hub.async_get_info()).firmware == "1.5.0"
    after = await hub.async_get_state()
    assert after is not before
    assert after.hub.firmware == "1.5.0"
    firmware = await hub.async_get_firmware()
    assert (firmware.installed, firmware.update_available) == ("1.5.0", False)


async def test_install_of_the_version_seen(
    session: ClientSession, quick: Emulator
) -> None:
    """Naming the latest version installs it; naming another is refused."""
    hub = make_hub_client(session, quick)
    with pytest.raises(HearthRequestError) as info:
        await hub.async_install_firmware("1.4.9")
    assert (info.value.status, info.value.code) == (409, "version_unavailable")
    assert (await hub.async_install_firmware("1.5.0")).installing
    with pytest.raises(HearthRequestError) as info:
        await hub.async_install_firmware()
    assert info.value.code == "install_in_progress"
    await wait_until(lambda: quick.hub.firmware == "1.5.0")
    await wait_until(lambda: not quick.restarting)
    with pytest.raises(HearthRequestError) as info:
        await hub.async_install_firmware()
    assert info.value.code == "up_to_date"


async def test_a_read_only_key_cannot_install(
    session: ClientSession, quick: Emulator
) -> None:
    """Installing is a write: 403 forbidden for a read-only key, which may read."""
    hub = make_hub_client(session, quick, key=READ_ONLY_KEY)
    assert (await hub.async_get_firmware()).latest == "1.5.0"
    with pytest.raises(HearthForbiddenError) as info:
        await hub.async_install_firmware()
    assert info.value.code == "forbidden"


async def test_a_failed_install_is_typed(
    session: ClientSession, quick: Emulator
) -> None:
    """firmware_failed carries the kept version and a typed failure."""
    quick.add_fault("firmware_failure")
    hub = make_hub_client(session, quick)
    events = Collector(hub.async_events())
    try:
        await wait_until(lambda: quick.event_stream_count == 1)
        await hub.async_install_firmware()
        seen = [await events.next() for _ in range(4)]
    finally:
        await events.stop()
    failed = seen[-1]
    assert failed.type == EventType.FIRMWARE_FAILED
    assert failed.firmware is not None
    assert failed.firmware.installed == "1.4.2"
    assert not failed.firmware.installing
    assert failed.firmware.error == FirmwareFailure(
        code="verification_failed",
        message="The image of firmware 1.5.0 failed its signature check",
    )
    assert (await hub.async_get_firmware()).error == failed.firmware.error


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("server_error", HearthServerError),
        ("wrong_schema", HearthInvalidResponseError),
        ("malformed_json", HearthInvalidResponseError),
    ],
)
async def test_faults_on_the_firmware_endpoints(
    session: ClientSession, quick: Emulator, kind: str, error: type[Exception]
) -> None:
    """Injected faults map into the exception tree like on any endpoint."""
    hub = make_hub_client(session, quick)
    quick.add_fault(kind, path="/api/v1/firmware", count=1)
    with pytest.raises(error):
        await hub.async_get_firmware()
    assert (await hub.async_get_firmware()).latest == "1.5.0"


async def test_through_the_cloud(
    session: ClientSession, start_emulator: EmulatorFactory
) -> None:
    """Through the cloud: progress with the hub id, then a hub event once back."""
    emu = await start_emulator(cloud_hubs=0, **QUICK)
    client, _oauth = await cloud_client(session, emu)
    firmware = await client.async_get_firmware(emu.hub_id)
    assert firmware.update_available
    events: Collector[CloudEvent] = Collector(client.async_events())
    try:
        await asyncio.wait_for(emu.wait_for_event_streams(1, cloud=True), 5)
        assert (await client.async_install_firmware(emu.hub_id)).installing
        seen = [await events.next() for _ in range(7)]
    finally:
        await events.stop()
    assert {(e.hub_id, e.type) for e in seen[:6]} == {
        (emu.hub_id, EventType.FIRMWARE_PROGRESS)
    }
    assert (seen[6].hub_id, seen[6].type) == (emu.hub_id, EventType.HUB)
    assert seen[6].hub is not None
    assert seen[6].hub.firmware == "1.5.0"
    assert (await client.async_get_firmware(emu.hub_id)).installed == "1.5.0"


async def test_cloud_refusals(
    session: ClientSession, start_emulator: EmulatorFactory
) -> None:
    """A read-only token, an offline hub and an unknown hub are refused."""
    emu = await start_emulator(cloud_hubs=0, **QUICK)
    reader, _oauth = await cloud_client(session, emu, scope="devices:read")
    with pytest.raises(HearthForbiddenError) as forbidden:
        await reader.async_install_firmware(emu.hub_id)
    assert forbidden.value.code == "insufficient_scope"
    client, _oauth = await cloud_client(session, emu)
    emu.set_cloud_hub_online(emu.hub_id, False)
    with pytest.raises(HearthRequestError) as offline:
        await client.async_get_firmware(emu.hub_id)
    assert offline.value.code == "hub_offline"
    with pytest.raises(HearthNotFoundError):
        await client.async_install_firmware("hearth-nowhere")


async def test_an_older_hub_has_no_firmware_endpoint(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """A hub before API 1.3 answers 404 (here, the scripted server's own)."""
    with pytest.raises(HearthNotFoundError):
        await scripted.hub(session).async_get_firmware()


async def test_unknown_firmware_states_and_fields_decode(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """A state of a newer hub is kept as sent and is not taken for installing."""

    async def firmware(request: web.Request) -> web.Response:
        body: dict[str, Any] = {
            "installed": "2.0.0",
            "latest": None,
            "state": "checking",
            "channel": "beta",
        }
        return web.json_response(body)

    scripted.route("GET", "/api/v1/firmware", firmware)
    answer = await scripted.hub(session).async_get_firmware()
    assert answer == Firmware(installed="2.0.0", state="checking")
    assert not answer.installing
    assert not answer.update_available


@pytest.mark.parametrize(
    "body",
    [
        {"latest": "1.5.0"},
        {"installed": "1.4.2", "progress": "40"},
        {"installed": "1.4.2", "error": {"code": "x"}},
        {"installed": 142},
    ],
)
async def test_malformed_firmware_is_refused(
    scripted: ScriptedServer, session: ClientSession, body: dict[str, Any]
) -> None:
    """A firmware document without ``installed``, or ill-typed, is invalid."""

    async def firmware(request: web.Request) -> web.Response:
        return web.Response(
            body=orjson.dumps(body), content_type="application/json", status=202
        )

    scripted.route("POST", "/api/v1/firmware/install", firmware)
    with pytest.raises(HearthInvalidResponseError):
        await scripted.hub(session).async_install_firmware()


async def test_install_sends_the_version_only_when_given(
    scripted: ScriptedServer, session: ClientSession
) -> None:
    """No body for "the latest"; ``{"version": ...}`` for a named one."""
    bodies: list[bytes] = []

    async def install(request: web.Request) -> web.Response:
        bodies.append(await request.read())
        return web.json_response(
            {"installed": "1.4.2", "latest": "1.5.0", "state": "installing"},
            status=202,
        )

    scripted.route("POST", "/api/v1/firmware/install", install)
    hub = scripted.hub(session)
    assert (await hub.async_install_firmware()).installing
    assert (await hub.async_install_firmware("1.5.0")).installing
    assert bodies[0] == b""
    assert orjson.loads(bodies[1]) == {"version": "1.5.0"}
