"""Malformed requests get 400 (413 when too large) with the usual error body.

Never a 500, and never a traceback in the emulator's log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from typing import Any

from aiohttp import ClientSession
import pytest

from emulator import Emulator

from .http import KEY, RawHub

TOO_LARGE = b"[" + b"0," * (600 * 1024) + b"0]"

#: Routes with a JSON body: (server, method, path, key).
JSON_ROUTES = [
    ("hub", "PATCH", "/api/v1/devices/light-4", KEY),
    ("cloud", "PATCH", "/v1/hubs/{hub_id}/devices/light-4", "token"),
    ("hub", "POST", "/admin/devices", None),
    ("hub", "PATCH", "/admin/devices/light-4", None),
    ("hub", "PATCH", "/admin/hub", None),
    ("hub", "POST", "/admin/rate-limit", None),
    ("hub", "POST", "/admin/faults", None),
    ("hub", "POST", "/admin/cloud/hubs", None),
    ("hub", "PATCH", "/admin/cloud/hubs/{hub_id}", None),
    ("hub", "POST", "/admin/cloud/tokens", None),
]
BAD_JSON = [
    b"{",
    b"\xff\xfe{}",
    b'{"on": tru}',
    b"[" * 5000,
    b'{"a": NaN}',
]
WRONG_TYPES = [
    [],
    "text",
    42,
    {"on": "yes"},
    {"brightness": 1e400},
    {"state": []},
    {"name": {"nested": True}},
    {"retry_after_format": [1, 2]},
    {"retry_after_format": {"x": 1}},
    {"kind": ["light"]},
    {"lifetime": "soon"},
    {"devices": -1},
]


async def send(
    session: ClientSession,
    emu: Emulator,
    route: tuple[str, str, str, str | None],
    body: bytes,
    content_type: str = "application/json",
) -> tuple[int, Any]:
    """Send ``body`` to a route; return the status and the JSON answer."""
    server, method, path, key = route
    base = emu.hub_url if server == "hub" else emu.cloud_url
    headers = {"Content-Type": content_type}
    if key == "token":
        headers["Authorization"] = f"Bearer {emu.issue_token()['access_token']}"
    elif key is not None:
        headers["Authorization"] = f"Bearer {key}"
    hub = RawHub(session, emu)
    async with session.request(
        method,
        base + path.format(hub_id=emu.hub_id),
        data=body,
        headers=headers,
        ssl=hub.pin() if server == "hub" else None,
    ) as response:
        return response.status, await response.json(content_type=None)


def server_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the warnings and errors the servers logged.

    asyncio's own "Executing ... took 0.2 seconds" (the loop runs in debug
    mode in tests) says the machine is busy, not that a request went wrong.
    """
    return [
        record
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name != "asyncio"
    ]


def assert_error_body(status: int, body: Any, expected: int = 400) -> None:
    """Check the status and the usual ``{"error": {"code", "message"}}`` body."""
    assert status == expected, body
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}


@pytest.mark.parametrize("route", JSON_ROUTES, ids=lambda r: f"{r[1]} {r[2]}")
async def test_bad_json_gets_400(
    session: ClientSession,
    emu: Emulator,
    route: tuple[str, str, str, str | None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Broken JSON, JSON of the wrong shape or types: 400, nothing logged."""
    with caplog.at_level(logging.WARNING, logger="emulator"):
        for body in BAD_JSON:
            status, answer = await send(session, emu, route, body)
            assert_error_body(status, answer)
        for value in WRONG_TYPES:
            # The standard library writes 1e400 as Infinity, which is no JSON.
            status, answer = await send(session, emu, route, json.dumps(value).encode())
            assert status in {400, 404}, (value, answer)
            assert_error_body(status, answer, status)
        emu.clear_faults()
    assert not server_warnings(caplog)


@pytest.mark.parametrize("route", JSON_ROUTES, ids=lambda r: f"{r[1]} {r[2]}")
async def test_huge_body_gets_413(
    session: ClientSession, emu: Emulator, route: tuple[str, str, str, str | None]
) -> None:
    """A body over 1 MiB: 413 with the usual error body."""
    status, answer = await send(session, emu, route, TOO_LARGE)
    assert_error_body(status, answer, 413)
    assert answer["error"]["code"] == "request_too_large"


TOKEN_ROUTE = ("cloud", "POST", "/oauth/token", None)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=xyz", b"garbage"),
        ("multipart/form-data", b"garbage"),
        ("application/x-www-form-urlencoded", b"\xff\xfe=%zz"),
        ("application/json", b'{"grant_type": "refresh_token"}'),
        ("text/plain", b"grant_type=refresh_token"),
        (
            "application/x-www-form-urlencoded",
            b"grant_type=refresh_token&grant_type=authorization_code",
        ),
    ],
)
async def test_malformed_token_request_gets_400(
    session: ClientSession,
    emu: Emulator,
    content_type: str,
    body: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The token endpoint answers anything but one form with invalid_request."""
    with caplog.at_level(logging.WARNING, logger="emulator"):
        status, answer = await send(session, emu, TOKEN_ROUTE, body, content_type)
    assert status == 400
    assert answer["error"] == "invalid_request"
    assert answer["error_description"]
    assert not server_warnings(caplog)


async def test_huge_token_request_gets_413(
    session: ClientSession, emu: Emulator
) -> None:
    """An oversized form: 413 with the OAuth error body."""
    status, answer = await send(
        session,
        emu,
        TOKEN_ROUTE,
        b"grant_type=" + b"x" * (2 * 1024 * 1024),
        "application/x-www-form-urlencoded",
    )
    assert status == 413
    assert answer["error"] == "invalid_request"


@pytest.mark.parametrize("target", ["hub", "cloud"])
async def test_request_that_is_not_http_gets_the_error_body(
    emu: Emulator, target: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A control character in a header: 400 with the error body, no traceback."""
    port = emu.port if target == "hub" else emu.cloud_port
    assert port is not None
    context = None
    if target == "hub":
        assert emu.certificate_pem is not None
        context = ssl.create_default_context(cadata=emu.certificate_pem.decode())
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
    with caplog.at_level(logging.DEBUG, logger="aiohttp"):
        writer.write(
            b"GET /api/v1/state HTTP/1.1\r\nHost: x\r\nIf-None-Match: a\x08b\r\n\r\n"
        )
        answer = await reader.read()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith((b"HTTP/1.0 400 ", b"HTTP/1.1 400 "))
    assert b"Content-Type: application/json" in head
    assert body == (
        b'{"error":{"code":"invalid_request","message":"The request is not valid HTTP"}}'
    )
    assert not [
        record for record in caplog.records if record.levelno >= logging.WARNING
    ]
