"""Every fault kind, seen from a plain HTTP client."""

from __future__ import annotations

import asyncio
import time

from aiohttp import (
    ClientConnectionError,
    ClientPayloadError,
    ClientSession,
    ServerDisconnectedError,
    ServerFingerprintMismatch,
)
import orjson
import pytest

from emulator import Emulator

from .http import KEY, RawHub

STATE = "/api/v1/state"


async def test_server_error_counts_down(raw_hub: RawHub, emu: Emulator) -> None:
    """A counted fault clears itself; its status and body are configurable."""
    emu.add_fault("server_error", status=502, count=2, path=STATE)
    for _ in range(2):
        response = await raw_hub.request("GET", STATE)
        assert response.status == 502
        assert response.json()["error"]["code"] == "server_error"
    assert (await raw_hub.request("GET", STATE)).status == 200
    assert list(emu.faults) == []


async def test_target_and_path(raw_hub: RawHub, emu: Emulator) -> None:
    """A fault only hits its target server and path prefix."""
    emu.add_fault("server_error", target="cloud")
    emu.add_fault("server_error", path="/api/v1/devices")
    assert (await raw_hub.request("GET", STATE)).status == 200
    assert (await raw_hub.request("GET", "/api/v1/devices/light-1")).status == 503
    admin = await raw_hub.request("GET", "/admin/faults", key=None)
    assert len(admin.json()) == 2
    cleared = await raw_hub.request("DELETE", "/admin/faults", key=None)
    assert len(cleared.json()["cleared"]) == 2


async def test_drop(raw_hub: RawHub, emu: Emulator) -> None:
    """The drop fault closes the connection without an answer."""
    emu.add_fault("drop", path=STATE)
    with pytest.raises(ServerDisconnectedError):
        await raw_hub.request("GET", STATE)


async def test_truncated_body(raw_hub: RawHub, emu: Emulator) -> None:
    """truncated_body sends half of what Content-Length promised."""
    emu.add_fault("truncated_body", path=STATE)
    with pytest.raises(ClientPayloadError):
        await raw_hub.request("GET", STATE)


@pytest.mark.parametrize("kind", ["malformed_json", "truncated_json"])
async def test_broken_json(raw_hub: RawHub, emu: Emulator, kind: str) -> None:
    """malformed_json and truncated_json answer 200 with a body that does not parse."""
    emu.add_fault(kind, path=STATE)
    response = await raw_hub.request("GET", STATE)
    assert response.status == 200
    body = response.body
    assert len(body) == int(response.headers["Content-Length"])
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)


async def test_faults_apply_even_when_not_modified(
    raw_hub: RawHub, emu: Emulator
) -> None:
    """A response fault answers 200 even when the request would have got a 304."""
    etag = (await raw_hub.request("GET", STATE)).headers["ETag"]
    emu.add_fault("truncated_json", path=STATE, count=1)
    response = await raw_hub.request("GET", STATE, headers={"If-None-Match": etag})
    assert response.status == 200


async def test_wrong_schema(raw_hub: RawHub, emu: Emulator) -> None:
    """wrong_schema answers valid JSON without its id fields."""
    emu.add_fault("wrong_schema", path=STATE)
    body = (await raw_hub.request("GET", STATE)).json()
    assert "id" not in body["hub"]
    assert all("id" not in device for device in body["devices"])


@pytest.mark.parametrize("chunked", [False, True])
async def test_huge_body(raw_hub: RawHub, emu: Emulator, chunked: bool) -> None:
    """huge_body answers more than 8 MiB, with or without Content-Length."""
    emu.add_fault("huge_body", path=STATE, chunked=chunked)
    response = await raw_hub.request("GET", STATE)
    assert len(response.body) > 8 * 1024 * 1024
    assert ("Content-Length" not in response.headers) is chunked


async def test_latency(raw_hub: RawHub, emu: Emulator) -> None:
    """The latency fault delays the answer, then serves it."""
    emu.add_fault("latency", delay=0.2, path=STATE)
    started = time.monotonic()
    assert (await raw_hub.request("GET", STATE)).status == 200
    assert time.monotonic() - started >= 0.2


async def test_hang_is_released_on_stop(
    session: ClientSession, socket_enabled: None
) -> None:
    """A hanging request is dropped when the emulator stops, not after an hour."""
    emu = Emulator(api_keys=[KEY], drift_interval=0)
    await emu.start()
    emu.add_fault("hang", path=STATE)
    hub = RawHub(session, emu)
    request = asyncio.create_task(hub.request("GET", STATE))
    await asyncio.sleep(0.2)
    assert not request.done()
    await asyncio.wait_for(emu.stop(), 5)
    with pytest.raises(ClientConnectionError):
        await asyncio.wait_for(request, 5)


async def test_api_version_and_revoke_key(raw_hub: RawHub, emu: Emulator) -> None:
    """State faults change the hub until the faults are cleared."""
    response = await raw_hub.request(
        "POST",
        "/admin/faults",
        key=None,
        json={"kind": "api_version", "version": "2.0"},
    )
    assert response.status == 201
    info = await raw_hub.request("GET", "/api/v1/info")
    assert info.json()["api_version"] == "2.0"
    emu.revoke_key(KEY)
    revoked = await raw_hub.request("GET", "/api/v1/info")
    assert revoked.status == 401
    assert revoked.json()["error"]["code"] == "invalid_auth"
    emu.clear_faults()
    restored = await raw_hub.request("GET", "/api/v1/info")
    assert restored.json()["api_version"] == "1.3"


async def test_rotate_certificate_from_admin(raw_hub: RawHub, emu: Emulator) -> None:
    """The admin call answers with the new fingerprint; the old pin stops working."""
    old_pin = raw_hub.pin()
    response = await raw_hub.request(
        "POST", "/admin/faults", key=None, json={"kind": "rotate_certificate"}
    )
    body = response.json()
    assert body["fingerprint"] == emu.fingerprint
    assert raw_hub.pin() != old_pin
    with pytest.raises(ServerFingerprintMismatch):
        async with raw_hub.session.get(
            f"{emu.hub_url}/api/v1/info",
            headers={"Authorization": f"Bearer {KEY}"},
            ssl=old_pin,
        ):
            pass
    emu.clear_faults()
    assert (await raw_hub.request("GET", "/api/v1/info")).status == 200
