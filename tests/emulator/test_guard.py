"""Only the emulator's owner drives it: Host, Origin and token checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import ClientSession
import pytest

from emulator import Emulator
from emulator.guard import TOKEN_HEADER, AdminGuard

from .http import RawHub

TOKEN = "admin-secret"


def assert_refused(reply_status: int, body: Any) -> None:
    """Check for 403 with the usual error body."""
    assert reply_status == 403
    assert set(body) == {"error"}
    assert body["error"]["code"] == "forbidden"


async def test_loopback_needs_no_token(raw_hub: RawHub, emu: Emulator) -> None:
    """On loopback the admin API and the page answer without any token."""
    assert emu.admin_token is None
    assert (await raw_hub.request("GET", "/admin", key=None)).status == 200
    assert (await raw_hub.request("GET", "/", key=None)).status == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:{port}",
        "127.0.0.1",
        "127.0.0.1:1",
        "127.0.0.2:{port}",
        "[::1]:{port}",
        "127.0.0.1:{port}@evil.example",
        "",
    ],
)
@pytest.mark.parametrize("path", ["/admin/devices", "/"])
async def test_foreign_host_is_refused(
    raw_hub: RawHub, emu: Emulator, host: str, path: str
) -> None:
    """A Host that is not the bound address and port (DNS rebinding) gets 403."""
    reply = await raw_hub.request(
        "GET", path, key=None, headers={"Host": host.format(port=emu.port)}
    )
    assert_refused(reply.status, reply.json())
    assert "Host" in reply.json()["error"]["message"]


async def test_localhost_names_loopback(raw_hub: RawHub, emu: Emulator) -> None:
    """Bound to 127.0.0.1, ``localhost:port`` is the same machine."""
    reply = await raw_hub.request(
        "GET", "/admin", key=None, headers={"Host": f"localhost:{emu.port}"}
    )
    assert reply.status == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:{port}"},
        {"Origin": "https://127.0.0.1:1"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
async def test_cross_site_request_is_refused(
    raw_hub: RawHub, emu: Emulator, headers: dict[str, str]
) -> None:
    """A cross-site POST changes nothing: 403 and the device is not added."""
    before = len(emu.home.devices)
    reply = await raw_hub.request(
        "POST",
        "/admin/devices",
        key=None,
        headers={name: value.format(port=emu.port) for name, value in headers.items()},
        json={"kind": "switch", "name": "Planted"},
    )
    assert_refused(reply.status, reply.json())
    assert len(emu.home.devices) == before


async def test_same_origin_request_passes(raw_hub: RawHub, emu: Emulator) -> None:
    """The page's own requests carry its origin and pass."""
    reply = await raw_hub.request(
        "PATCH",
        "/admin/devices/switch-1",
        key=None,
        headers={"Origin": emu.hub_url, "Sec-Fetch-Site": "same-origin"},
        json={"state": {"on": False}},
    )
    assert reply.status == 200
    assert emu.home.get("switch-1").state.on is False


async def test_hub_api_is_not_guarded(raw_hub: RawHub) -> None:
    """The API keeps its own auth; the guard is for /admin and the page only."""
    reply = await raw_hub.request(
        "GET", "/api/v1/info", headers={"Origin": "https://evil.example"}
    )
    assert reply.status == 200


@pytest.fixture
async def guarded(
    socket_enabled: None, session: ClientSession
) -> AsyncIterator[tuple[Emulator, RawHub]]:
    """Run an emulator with an admin token."""
    emulator = Emulator(drift_interval=0, admin_token=TOKEN)
    await emulator.start(host="127.0.0.1", port=0, cloud_port=None)
    try:
        yield emulator, RawHub(session, emulator)
    finally:
        await emulator.stop()


@pytest.mark.parametrize(
    ("path", "key", "headers", "status"),
    [
        ("/admin", None, {}, 403),
        ("/admin", "wrong", {}, 403),
        ("/admin", None, {TOKEN_HEADER: "wrong"}, 403),
        ("/admin?token=admin-secret", None, {}, 403),
        ("/", None, {}, 403),
        ("/?token=wrong", None, {}, 403),
        ("/admin", TOKEN, {}, 200),
        ("/admin", None, {TOKEN_HEADER: TOKEN}, 200),
        ("/?token=admin-secret", None, {}, 200),
        ("/", TOKEN, {}, 200),
    ],
)
async def test_token_is_required(
    guarded: tuple[Emulator, RawHub],
    path: str,
    key: str | None,
    headers: dict[str, str],
    status: int,
) -> None:
    """With a token, only a request that carries it passes.

    As a Bearer credential, in the header or, for the page only, the query.
    """
    _, hub = guarded
    reply = await hub.request("GET", path, key=key, headers=headers)
    if status == 403:
        assert_refused(reply.status, reply.json())
        assert "token" in reply.json()["error"]["message"]
    else:
        assert reply.status == status


async def test_page_embeds_the_token_only_for_its_holder(
    guarded: tuple[Emulator, RawHub],
) -> None:
    """The page that passed the token check hands it to its own scripts."""
    _, hub = guarded
    reply = await hub.request("GET", "/?token=admin-secret", key=None)
    assert b'{"token":"admin-secret"}' in reply.body


def test_wildcard_binding_accepts_addresses_not_names() -> None:
    """Bound to every address: IP literals and the machine's names, not others."""
    guard = AdminGuard(bound_host="0.0.0.0", port=8443, token=TOKEN)  # noqa: S104
    assert guard.host_allowed("192.168.1.20:8443")
    assert guard.host_allowed("[fe80::1]:8443")
    assert guard.host_allowed("localhost:8443")
    assert not guard.host_allowed("192.168.1.20:8444")
    assert not guard.host_allowed("evil.example:8443")
    assert not guard.host_allowed("192.168.1.20.nip.io:8443")


def test_specific_binding_accepts_only_itself() -> None:
    """Bound to one LAN address: that address and port, nothing else."""
    guard = AdminGuard(bound_host="192.0.2.10", port=443, token=TOKEN)
    assert guard.host_allowed("192.0.2.10")
    assert guard.host_allowed("192.0.2.10:443")
    assert not guard.host_allowed("localhost:443")
    assert not guard.host_allowed("192.0.2.11:443")
    assert not guard.host_allowed("192.0.2.10:\uff10")  # a full-width zero
    assert not guard.host_allowed("192.0.2.10:²")


@pytest.mark.parametrize(
    ("host", "needs_token"),
    [
        ("127.0.0.1", False),
        ("127.0.0.2", False),
        ("::1", False),
        ("localhost", False),
        ("0.0.0.0", True),  # noqa: S104
        ("::", True),
        ("192.0.2.10", True),
    ],
)
def test_token_is_made_up_off_loopback(host: str, needs_token: bool) -> None:
    """Off loopback a token is always needed; on loopback only when given."""
    assert (Emulator.admin_token_for(host, None) is not None) is needs_token
    assert Emulator.admin_token_for(host, TOKEN) == TOKEN
