"""Firmware updates of the emulated hub: the endpoints, the install and the restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from typing import Any

from aiohttp import (
    ClientConnectorError,
    ClientSession,
    ClientWebSocketResponse,
    WSMsgType,
)
import pytest

from emulator import Emulator

from .http import KEY, READ_ONLY, RawHub

FIRMWARE = "/api/v1/firmware"
INSTALL = "/api/v1/firmware/install"
#: WebSocket close code 1012, "service restart".
RESTART = (1012, "restarting")


@pytest.fixture(autouse=True)
def _quick_installs(emu: Emulator) -> None:
    """Make installs take a fraction of a second, not several."""
    emu.update_firmware({"step_seconds": 0.01, "restart_seconds": 0.3})


async def _until(condition: Callable[[], bool]) -> None:
    """Poll ``condition`` on the event loop until it holds, or fail the test."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


@contextlib.asynccontextmanager
async def _stream(
    session: ClientSession, url: str, token: str, ssl: Any = True
) -> AsyncIterator[ClientWebSocketResponse]:
    async with session.ws_connect(
        url, headers={"Authorization": f"Bearer {token}"}, ssl=ssl
    ) as socket:
        yield socket


async def _next(socket: ClientWebSocketResponse) -> Any:
    message = await asyncio.wait_for(socket.receive(), 5)
    if message.type is WSMsgType.CLOSE:
        return message.data, message.extra
    assert message.type is WSMsgType.TEXT, message
    return message.json()


async def test_firmware_document(raw_hub: RawHub, emu: Emulator) -> None:
    """GET /firmware: installed and latest, release notes and URL, idle."""
    reply = await raw_hub.request("GET", FIRMWARE)
    assert reply.status == 200
    firmware = reply.json()
    assert firmware == {
        "installed": "1.4.2",
        "latest": "1.5.0",
        "state": "idle",
        "progress": None,
        "release_notes": firmware["release_notes"],
        "release_url": "https://hearth-home.io/releases/hub/1.5.0",
        "error": None,
    }
    assert firmware["release_notes"].startswith("## Hearth hub 1.5.0\n")
    assert "RateLimit-Remaining" in reply.headers
    assert (await raw_hub.request("GET", FIRMWARE, key=READ_ONLY)).status == 200
    assert (await raw_hub.request("GET", FIRMWARE, key=None)).status == 401


async def test_install_reports_progress_then_restarts(
    session: ClientSession, raw_hub: RawHub, emu: Emulator
) -> None:
    """202 at once, progress on the stream, the stream closes, the hub comes back."""
    etag = (await raw_hub.request("GET", "/api/v1/state")).headers["ETag"]
    async with _stream(
        session, f"{emu.hub_url}/api/v1/events", KEY, raw_hub.pin()
    ) as socket:
        await _until(lambda: emu.event_stream_count == 1)
        reply = await raw_hub.request("POST", INSTALL)
        assert reply.status == 202
        assert (reply.json()["state"], reply.json()["progress"]) == ("installing", 0)
        messages = [await _next(socket) for _ in range(7)]
    assert [m["type"] for m in messages[:6]] == ["firmware_progress"] * 6
    assert [m["firmware"]["progress"] for m in messages[:6]] == [
        0,
        20,
        40,
        60,
        80,
        100,
    ]
    assert {m["firmware"]["installed"] for m in messages[:6]} == {"1.4.2"}
    assert messages[6] == RESTART

    assert emu.restarting
    with pytest.raises(ClientConnectorError):
        await raw_hub.request("GET", "/api/v1/health", key=None)
    await _until(lambda: not emu.restarting)

    assert (await raw_hub.request("GET", "/api/v1/info")).json()["firmware"] == "1.5.0"
    state = await raw_hub.request(
        "GET", "/api/v1/state", headers={"If-None-Match": etag}
    )
    assert state.status == 200
    assert state.json()["hub"]["firmware"] == "1.5.0"
    firmware = (await raw_hub.request("GET", FIRMWARE)).json()
    assert (firmware["installed"], firmware["latest"], firmware["state"]) == (
        "1.5.0",
        "1.5.0",
        "idle",
    )
    async with _stream(
        session, f"{emu.hub_url}/api/v1/events", KEY, raw_hub.pin()
    ) as socket:
        await _until(lambda: emu.event_stream_count == 1)
        emu.press_button("button-1", "top")
        assert (await _next(socket))["type"] == "button_press"


async def test_the_cloud_follows_the_restart(
    session: ClientSession, raw_hub: RawHub, emu: Emulator
) -> None:
    """Through the cloud: progress with the hub id, offline while down, then a hub event."""
    token = str(emu.issue_token()["access_token"])
    auth = {"Authorization": f"Bearer {token}"}
    firmware_url = f"{emu.cloud_url}/v1/hubs/{emu.hub_id}/firmware"
    async with session.get(firmware_url, headers=auth) as response:
        assert response.status == 200
        assert (await response.json())["latest"] == "1.5.0"
    async with _stream(session, f"{emu.cloud_url}/v1/events", token) as socket:
        await emu.wait_for_event_streams(1, cloud=True)
        async with session.post(f"{firmware_url}/install", headers=auth) as response:
            assert response.status == 202
        progress = [await _next(socket) for _ in range(6)]
        await _until(lambda: emu.restarting)
        async with session.get(firmware_url, headers=auth) as response:
            assert response.status == 409
            assert (await response.json())["error"]["code"] == "hub_offline"
        async with session.get(f"{emu.cloud_url}/v1/hubs", headers=auth) as response:
            listed = (await response.json())["hubs"]
        back = await _next(socket)
    assert {(m["type"], m["hub_id"]) for m in progress} == {
        ("firmware_progress", emu.hub_id)
    }
    assert listed[0] == {**listed[0], "id": emu.hub_id, "online": False}
    assert back["type"] == "hub"
    assert back["hub"]["firmware"] == "1.5.0"
    assert emu.cloud_hub(emu.hub_id).online


async def test_installs_of_other_hubs_of_the_account(
    session: ClientSession, emu: Emulator
) -> None:
    """A cloud hub installs and restarts too, without touching the local hub."""
    other = next(h for h in emu.account.hubs.values() if h.id != emu.hub_id)
    token = str(emu.issue_token()["access_token"])
    async with session.post(
        f"{emu.cloud_url}/v1/hubs/{other.id}/firmware/install",
        headers={"Authorization": f"Bearer {token}"},
        json={"version": "1.5.0"},
    ) as response:
        assert response.status == 202
    await _until(lambda: not other.online)
    await _until(lambda: other.online)
    assert other.home.hub.firmware == "1.5.0"
    assert emu.hub.firmware == "1.4.2"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"version": "1.4.9"}, "version_unavailable"),
        ({"version": "1.5.0", "force": True}, "invalid_request"),
        ({"version": None}, "invalid_request"),
        ({"version": ""}, "invalid_request"),
        ([], "invalid_request"),
    ],
)
async def test_install_bodies(raw_hub: RawHub, body: Any, code: str) -> None:
    """Only ``version`` may be named, and it must be the latest."""
    reply = await raw_hub.request("POST", INSTALL, json=body)
    assert reply.status == (409 if code == "version_unavailable" else 400)
    assert reply.json()["error"]["code"] == code


async def test_install_refusals(raw_hub: RawHub, emu: Emulator) -> None:
    """Read-only keys, a running install and an up-to-date hub are refused."""
    read_only = await raw_hub.request("POST", INSTALL, key=READ_ONLY)
    assert read_only.status == 403
    assert read_only.json()["error"]["code"] == "forbidden"
    assert (
        await raw_hub.request("POST", INSTALL, json={"version": "1.5.0"})
    ).status == 202
    again = await raw_hub.request("POST", INSTALL)
    assert (again.status, again.json()["error"]["code"]) == (
        409,
        "install_in_progress",
    )
    await _until(lambda: emu.restarting)
    await _until(lambda: not emu.restarting)
    current = await raw_hub.request("POST", INSTALL)
    assert (current.status, current.json()["error"]["code"]) == (409, "up_to_date")


async def test_a_hub_that_knows_no_release_is_up_to_date(
    raw_hub: RawHub, emu: Emulator
) -> None:
    """A hub that knows of no release (``latest`` null) has nothing to install."""
    emu.update_firmware({"latest": None, "release_notes": None, "release_url": None})
    firmware = (await raw_hub.request("GET", FIRMWARE)).json()
    assert (firmware["latest"], firmware["release_notes"]) == (None, None)
    reply = await raw_hub.request("POST", INSTALL)
    assert reply.json()["error"]["code"] == "up_to_date"


async def test_a_failed_install_keeps_the_version(
    session: ClientSession, raw_hub: RawHub, emu: Emulator
) -> None:
    """firmware_failure: a firmware_failed event part-way, no restart, the error kept."""
    emu.add_fault("firmware_failure", code="download_failed", count=1)
    async with _stream(
        session, f"{emu.hub_url}/api/v1/events", KEY, raw_hub.pin()
    ) as socket:
        await _until(lambda: emu.event_stream_count == 1)
        assert (await raw_hub.request("POST", INSTALL)).status == 202
        messages = [await _next(socket) for _ in range(4)]
        emu.press_button("button-2", "on")
        after = await _next(socket)
    assert [m["type"] for m in messages] == [
        "firmware_progress",
        "firmware_progress",
        "firmware_progress",
        "firmware_failed",
    ]
    failed = messages[3]["firmware"]
    assert (failed["installed"], failed["state"], failed["progress"]) == (
        "1.4.2",
        "idle",
        None,
    )
    assert failed["error"] == {
        "code": "download_failed",
        "message": "The download of firmware 1.5.0 failed",
    }
    assert after["type"] == "button_press"
    assert not emu.restarting
    assert (await raw_hub.request("GET", FIRMWARE)).json()["error"] == failed["error"]
    assert list(emu.faults) == []

    assert (await raw_hub.request("POST", INSTALL)).status == 202
    assert (await raw_hub.request("GET", FIRMWARE)).json()["error"] is None


async def test_a_restart_that_hangs_until_the_fault_is_cleared(
    raw_hub: RawHub, emu: Emulator
) -> None:
    """restart_hang: the hub stays down past the restart time, back once cleared."""
    emu.add_fault("restart_hang")
    assert (await raw_hub.request("POST", INSTALL)).status == 202
    await _until(lambda: emu.restarting)
    await asyncio.sleep(0.6)
    assert emu.restarting
    with pytest.raises(ClientConnectorError):
        await raw_hub.request("GET", "/api/v1/health", key=None)
    emu.clear_faults()
    await _until(lambda: not emu.restarting)
    assert (await raw_hub.request("GET", "/api/v1/info")).json()["firmware"] == "1.5.0"


async def test_a_restart_hang_ends_after_its_delay(
    raw_hub: RawHub, emu: Emulator
) -> None:
    """With a delay, the hub comes back on its own, later than usual."""
    emu.add_fault("restart_hang", delay=0.5, count=1)
    assert (await raw_hub.request("POST", INSTALL)).status == 202
    await _until(lambda: emu.restarting)
    await _until(lambda: not emu.restarting)
    assert emu.hub.firmware == "1.5.0"


async def test_stopping_during_a_restart(socket_enabled: None) -> None:
    """Stopping while the hub is down neither fails nor waits for the restart."""
    emu = Emulator(api_keys=[KEY], drift_interval=0, firmware_step=0.01)
    await emu.start()
    emu.install_firmware()
    await _until(lambda: emu.restarting)
    await asyncio.wait_for(emu.stop(), 5)
    assert emu.hub.firmware == "1.4.2"


async def test_request_faults_hit_the_firmware_endpoints(
    raw_hub: RawHub, emu: Emulator
) -> None:
    """A server error or a spoiled answer applies to /firmware like to any path."""
    emu.add_fault("server_error", path=FIRMWARE, count=2)
    assert (await raw_hub.request("GET", FIRMWARE)).status == 503
    assert (await raw_hub.request("POST", INSTALL)).status == 503
    emu.add_fault("truncated_json", path=FIRMWARE, count=1)
    reply = await raw_hub.request("GET", FIRMWARE)
    assert reply.status == 200
    with pytest.raises(ValueError, match="unexpected end of data"):
        reply.json()
    assert emu.home.firmware.state == "idle"


async def test_admin_firmware(
    session: ClientSession, raw_hub: RawHub, emu: Emulator
) -> None:
    """The admin API offers another release (a firmware event) and installs."""
    status = (await raw_hub.request("GET", "/admin/firmware", key=None)).json()
    assert status["timings"] == {"step_seconds": 0.01, "restart_seconds": 0.3}
    assert status["firmware"]["latest"] == "1.5.0"
    async with _stream(
        session, f"{emu.hub_url}/api/v1/events", KEY, raw_hub.pin()
    ) as socket:
        await _until(lambda: emu.event_stream_count == 1)
        changed = await raw_hub.request(
            "PATCH",
            "/admin/firmware",
            key=None,
            json={"latest": "1.6.0", "release_url": None, "step_seconds": 0.02},
        )
        event = await _next(socket)
    assert changed.json()["timings"]["step_seconds"] == 0.02
    assert event["type"] == "firmware"
    assert (event["firmware"]["latest"], event["firmware"]["release_url"]) == (
        "1.6.0",
        None,
    )
    refused = await raw_hub.request(
        "PATCH", "/admin/firmware", key=None, json={"step_seconds": -1}
    )
    assert refused.status == 400
    installing = await raw_hub.request("POST", "/admin/firmware/install", key=None)
    assert installing.status == 202
    assert (await raw_hub.request("GET", "/admin", key=None)).json()["firmware"][
        "state"
    ] == "installing"
    busy = await raw_hub.request(
        "PATCH", "/admin/firmware", key=None, json={"latest": "1.7.0"}
    )
    assert busy.json()["error"]["code"] == "install_in_progress"
    await _until(lambda: emu.hub.firmware == "1.6.0")
