"""The admin API changes the home, and every change reaches /state and /events."""

from __future__ import annotations

import asyncio

from aiohttp import ClientConnectorError, ClientSession, WSMsgType
import pytest

from custom_components.hearth.api import Device, HubState
from emulator import Emulator

from .clock import FakeClock
from .http import KEY, READ_ONLY, RawHub


async def test_state_parses_and_etag(raw_hub: RawHub, emu: Emulator) -> None:
    """/state parses with the client model; a matching If-None-Match gets 304."""
    first = await raw_hub.request("GET", "/api/v1/state")
    assert first.status == 200
    state = HubState.from_json(first.body)
    assert state.hub.id == emu.hub_id
    assert state.hub.mac is not None
    assert state.hub.mac.startswith("a4:c1:38:")
    etag = first.headers["ETag"]
    assert etag == f'"{emu.home.generation}"'

    again = await raw_hub.request(
        "GET", "/api/v1/state", headers={"If-None-Match": etag}
    )
    assert again.status == 304
    assert again.body == b""
    assert again.headers["ETag"] == etag
    assert "RateLimit-Remaining" in again.headers

    emu.set_state("sensor-1", temperature=25.5)
    changed = await raw_hub.request(
        "GET", "/api/v1/state", headers={"If-None-Match": etag}
    )
    assert changed.status == 200
    assert changed.headers["ETag"] != etag


async def test_admin_device_lifecycle(raw_hub: RawHub, emu: Emulator) -> None:
    """Add, change, take offline and remove a device through /admin."""
    added = await raw_hub.request(
        "POST",
        "/admin/devices",
        key=None,
        json={"kind": "light", "name": "Porch", "capabilities": {"dimmable": True}},
    )
    assert added.status == 201
    device = Device.from_json(added.body)
    assert device.id == "light-5"
    assert device.state.color_mode == "brightness"

    patched = await raw_hub.request(
        "PATCH",
        "/admin/devices/light-5",
        key=None,
        json={"online": False, "state": {"brightness": 12, "on": True}},
    )
    assert patched.json()["online"] is False
    command = await raw_hub.request(
        "PATCH", "/api/v1/devices/light-5", json={"brightness": 40}
    )
    assert command.status == 409
    assert command.json()["error"]["code"] == "device_offline"

    removed = await raw_hub.request("DELETE", "/admin/devices/light-5", key=None)
    assert removed.status == 204
    missing = await raw_hub.request("GET", "/api/v1/devices/light-5")
    assert missing.status == 404
    assert missing.json()["error"]["code"] == "not_found"


async def test_admin_rejects_bad_input(raw_hub: RawHub) -> None:
    """Admin errors use the same error body as the API."""
    response = await raw_hub.request(
        "POST", "/admin/devices", key=None, json={"kind": "toaster"}
    )
    assert response.status == 400
    assert response.json()["error"]["code"] == "invalid_request"
    response = await raw_hub.request(
        "POST", "/admin/faults", key=None, json={"kind": "gremlins"}
    )
    assert response.status == 400


async def test_events_follow_every_change(
    session: ClientSession, raw_hub: RawHub, emu: Emulator
) -> None:
    """PATCH, admin changes and drift all show up on /events."""
    async with session.ws_connect(
        f"{emu.hub_url}/api/v1/events",
        headers={"Authorization": f"Bearer {KEY}"},
        ssl=raw_hub.pin(),
    ) as socket:
        for _ in range(500):
            if emu.event_stream_count:
                break
            await asyncio.sleep(0.01)
        await raw_hub.request("PATCH", "/api/v1/devices/switch-1", json={"on": True})
        emu.set_online("light-1", False)
        emu.add_device({"id": "sensor-9", "kind": "sensor"})
        emu.remove_device("sensor-9")
        emu.drift()
        emu.update_hub(name="Renamed")
        seen: list[str] = []
        while "hub" not in seen:
            message = await asyncio.wait_for(socket.receive(), 5)
            assert message.type is WSMsgType.TEXT
            seen.append(message.json()["type"])
    assert seen[:4] == [
        "device_state",
        "device_state",
        "device_added",
        "device_removed",
    ]
    assert seen.count("device_state") > 2
    assert seen[-1] == "hub"


async def test_events_need_a_key(
    session: ClientSession, raw_hub: RawHub, emu: Emulator
) -> None:
    """The WebSocket is authenticated like every other endpoint."""
    async with session.get(
        f"{emu.hub_url}/api/v1/events", ssl=raw_hub.pin()
    ) as response:
        assert response.status == 401


async def test_stopping_refuses_a_client_that_reconnects_at_once(
    session: ClientSession, raw_hub: RawHub, emu: Emulator
) -> None:
    """The hub stops listening before it closes /events with ``going away``."""
    url = f"{emu.hub_url}/api/v1/events"
    headers = {"Authorization": f"Bearer {KEY}"}
    async with session.ws_connect(url, headers=headers, ssl=raw_hub.pin()) as socket:
        async with asyncio.timeout(5):
            await emu.wait_for_event_streams(1)
        stopping = asyncio.create_task(emu.stop())
        message = await asyncio.wait_for(socket.receive(), 5)
        assert (message.type, message.data) == (WSMsgType.CLOSE, 1001)
        with pytest.raises(ClientConnectorError):
            await session.ws_connect(url, headers=headers, ssl=raw_hub.pin())
    await asyncio.wait_for(stopping, 5)


async def test_stats_count_routes_and_statuses(raw_hub: RawHub, emu: Emulator) -> None:
    """/admin/stats counts by route template and by status; admin calls are not counted."""
    await raw_hub.request("GET", "/api/v1/devices/light-1")
    await raw_hub.request("GET", "/api/v1/devices/nope")
    await raw_hub.request("GET", "/api/v1/info", key="wrong")
    stats = (await raw_hub.request("GET", "/admin/stats", key=None)).json()
    assert stats["by_route"] == {
        "GET /api/v1/devices/{device_id}": 2,
        "GET /api/v1/info": 1,
    }
    assert stats["by_status"] == {"200": 1, "401": 1, "404": 1}
    assert stats["total"] == 3
    assert stats["rate_limited"] == 0
    reset = (await raw_hub.request("POST", "/admin/stats/reset", key=None)).json()
    assert reset["total"] == 0


async def test_cloud_hubs_admin(raw_hub: RawHub, emu: Emulator) -> None:
    """Hubs can be added to and removed from the cloud account."""
    response = await raw_hub.request(
        "POST", "/admin/cloud/hubs", key=None, json={"name": "Cabin", "devices": 5}
    )
    assert response.status == 201
    created = response.json()
    assert created["name"] == "Cabin"
    assert len(emu.cloud_hub(created["id"]).home.devices) == 5
    listed = (await raw_hub.request("GET", "/admin/cloud/hubs", key=None)).json()
    assert [h["id"] for h in listed] == [*list(emu.account.hubs)]
    assert len(listed) == 3
    offline = await raw_hub.request(
        "PATCH", f"/admin/cloud/hubs/{created['id']}", key=None, json={"online": False}
    )
    assert offline.json()["online"] is False
    removed = await raw_hub.request(
        "DELETE", f"/admin/cloud/hubs/{created['id']}", key=None
    )
    assert removed.status == 204
    assert created["id"] not in emu.account.hubs


async def test_read_only_key(raw_hub: RawHub) -> None:
    """A read-only key reads but may not command."""
    assert (await raw_hub.request("GET", "/api/v1/info", key=READ_ONLY)).status == 200
    response = await raw_hub.request(
        "PATCH", "/api/v1/devices/light-1", key=READ_ONLY, json={"on": True}
    )
    assert response.status == 403
    assert response.json()["error"]["code"] == "forbidden"


async def test_press_a_button(
    session: ClientSession, raw_hub: RawHub, emu: Emulator, clock: FakeClock
) -> None:
    """POST /admin/devices/{id}/press sends a press on /events and changes no state."""
    etag = (await raw_hub.request("GET", "/api/v1/state")).headers["ETag"]
    async with session.ws_connect(
        f"{emu.hub_url}/api/v1/events",
        headers={"Authorization": f"Bearer {KEY}"},
        ssl=raw_hub.pin(),
    ) as socket:
        async with asyncio.timeout(5):
            await emu.wait_for_event_streams(1)
        pressed = await raw_hub.request(
            "POST",
            "/admin/devices/button-2/press",
            key=None,
            json={"button_id": "up", "press_type": "double"},
        )
        assert pressed.status == 200
        plain = emu.press_button("button-1", "top")
        first = await asyncio.wait_for(socket.receive(), 5)
        second = await asyncio.wait_for(socket.receive(), 5)
    seq = int(clock() * 1000)
    assert pressed.json() == {
        "device_id": "button-2",
        "button_id": "up",
        "press_type": "double",
        "seq": seq,
    }
    assert plain == {
        "device_id": "button-1",
        "button_id": "top",
        "press_type": "short",
        "seq": seq + 1,
    }
    assert first.json() == {"type": "button_press", "press": pressed.json()}
    assert second.json() == {"type": "button_press", "press": plain}
    again = await raw_hub.request(
        "GET", "/api/v1/state", headers={"If-None-Match": etag}
    )
    assert again.status == 304


@pytest.mark.parametrize(
    ("device_id", "body", "status"),
    [
        ("button-1", {"button_id": "top", "press_type": "double"}, 400),
        ("button-1", {"button_id": "middle"}, 400),
        ("button-1", {"press_type": "short"}, 400),
        ("button-1", {"button_id": "top", "force": 3}, 400),
        ("button-1", {"button_id": "top", "press_type": 1}, 400),
        ("light-1", {"button_id": "top"}, 400),
        ("button-9", {"button_id": "top"}, 404),
    ],
)
async def test_refused_presses(
    raw_hub: RawHub, device_id: str, body: dict[str, object], status: int
) -> None:
    """Unknown buttons, press types and devices are refused with the error body."""
    reply = await raw_hub.request(
        "POST", f"/admin/devices/{device_id}/press", key=None, json=body
    )
    assert reply.status == status
    assert reply.json()["error"]["code"] in {"invalid_request", "not_found"}


async def test_an_offline_button_is_not_heard(raw_hub: RawHub, emu: Emulator) -> None:
    """Pressing a button of an offline device gets device_offline."""
    emu.set_online("button-2", False)
    reply = await raw_hub.request(
        "POST", "/admin/devices/button-2/press", key=None, json={"button_id": "on"}
    )
    assert reply.status == 409
    assert reply.json()["error"]["code"] == "device_offline"
