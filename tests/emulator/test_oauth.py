"""The cloud's OAuth2 authorization-code flow, scopes and token expiry."""

from __future__ import annotations

from typing import Any

from aiohttp import BasicAuth, ClientSession
from multidict import CIMultiDictProxy
import orjson
import pytest
from yarl import URL

from custom_components.hearth.api import HubPage, HubState
from emulator import Emulator

from .clock import FakeClock

REDIRECT = "https://my.home-assistant.io/redirect/oauth"


async def _authorize_answer(
    session: ClientSession, emu: Emulator, **query: str
) -> tuple[int, CIMultiDictProxy[str], bytes]:
    params = {
        "response_type": "code",
        "client_id": emu.client_id,
        "redirect_uri": REDIRECT,
        "state": "opaque-state",
        **query,
    }
    async with session.get(
        emu.authorize_url, params=params, allow_redirects=False
    ) as response:
        return response.status, response.headers, await response.read()


async def _authorize(session: ClientSession, emu: Emulator, **query: str) -> URL:
    status, headers, _ = await _authorize_answer(session, emu, **query)
    assert status == 302
    return URL(headers["Location"])


async def _token(
    session: ClientSession, emu: Emulator, form: dict[str, str], **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with session.post(emu.token_url, data=form, **kwargs) as response:
        return response.status, await response.json()


async def _get(
    session: ClientSession, emu: Emulator, path: str, token: str
) -> tuple[int, Any]:
    async with session.get(
        f"{emu.cloud_url}/v1{path}", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        return response.status, await response.json()


async def test_code_flow_and_refresh(
    session: ClientSession, emu: Emulator, clock: FakeClock
) -> None:
    """Authorize, exchange the code, use the token, let it expire, refresh it."""
    location = await _authorize(session, emu, scope="devices:read devices:write")
    assert str(location.with_query(None)) == REDIRECT
    assert location.query["state"] == "opaque-state"
    status, tokens = await _token(
        session,
        emu,
        {
            "grant_type": "authorization_code",
            "code": location.query["code"],
            "redirect_uri": REDIRECT,
        },
        auth=BasicAuth(emu.client_id, emu.client_secret),
    )
    assert status == 200
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["scope"] == "devices:read devices:write"

    # The code works once only.
    status, error = await _token(
        session,
        emu,
        {
            "grant_type": "authorization_code",
            "code": location.query["code"],
            "redirect_uri": REDIRECT,
            "client_id": emu.client_id,
            "client_secret": emu.client_secret,
        },
    )
    assert (status, error["error"]) == (400, "invalid_grant")

    status, body = await _get(
        session, emu, f"/hubs/{emu.hub_id}/state", tokens["access_token"]
    )
    assert status == 200
    assert HubState.from_dict(body).hub.id == emu.hub_id

    clock.tick(3600)
    status, body = await _get(session, emu, "/me", tokens["access_token"])
    assert (status, body["error"]["code"]) == (401, "token_expired")

    refresh_form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
    }
    status, renewed = await _token(session, emu, refresh_form)
    assert status == 200
    assert (await _get(session, emu, "/me", renewed["access_token"]))[0] == 200
    # Refresh tokens rotate: the old one is spent.
    status, error = await _token(session, emu, refresh_form)
    assert (status, error["error"]) == (400, "invalid_grant")


async def test_client_and_request_errors(session: ClientSession, emu: Emulator) -> None:
    """Wrong client credentials get 401 invalid_client; bad requests get 400."""
    status, error = await _token(
        session,
        emu,
        {"grant_type": "refresh_token", "refresh_token": "x"},
        auth=BasicAuth(emu.client_id, "wrong"),
    )
    assert (status, error["error"]) == (401, "invalid_client")
    status, error = await _token(
        session,
        emu,
        {
            "grant_type": "password",
            "client_id": emu.client_id,
            "client_secret": emu.client_secret,
        },
    )
    assert (status, error["error"]) == (400, "unsupported_grant_type")
    location = await _authorize(session, emu, scope="everything")
    assert location.query["error"] == "invalid_scope"
    assert location.query["state"] == "opaque-state"


async def test_scopes(session: ClientSession, emu: Emulator) -> None:
    """GET needs devices:read, PATCH needs devices:write."""
    read_only = str(emu.issue_token("devices:read")["access_token"])
    write_only = str(emu.issue_token("devices:write")["access_token"])
    status, _ = await _get(session, emu, "/me", read_only)
    assert status == 200
    status, body = await _get(session, emu, "/me", write_only)
    assert (status, body["error"]["code"]) == (403, "insufficient_scope")
    async with session.patch(
        f"{emu.cloud_url}/v1/hubs/{emu.hub_id}/devices/light-1",
        json={"on": True},
        headers={"Authorization": f"Bearer {read_only}"},
    ) as response:
        assert response.status == 403
    async with session.patch(
        f"{emu.cloud_url}/v1/hubs/{emu.hub_id}/devices/light-1",
        json={"on": True},
        headers={"Authorization": f"Bearer {write_only}"},
    ) as response:
        assert response.status == 200
    assert emu.home.devices["light-1"].state.on is True


async def test_pagination_and_expire_fault(
    session: ClientSession, emu: Emulator
) -> None:
    """Hubs come one page at a time; expire_tokens forces 401 until cleared."""
    token = str(emu.issue_token()["access_token"])
    ids: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = f"?cursor={cursor}" if cursor else ""
        status, body = await _get(session, emu, f"/hubs{query}", token)
        assert status == 200
        page = HubPage.from_dict(body)
        ids += [hub.id for hub in page.hubs]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert ids == list(emu.account.hubs)
    assert pages == len(ids) == 2

    emu.expire_tokens()
    status, body = await _get(session, emu, "/me", token)
    assert (status, body["error"]["code"]) == (401, "token_expired")
    emu.clear_faults()
    assert (await _get(session, emu, "/me", token))[0] == 200
    status, body = await _get(session, emu, "/me", "not-a-token")
    assert (status, body["error"]["code"]) == (401, "invalid_auth")


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://my.home-assistant.io/redirect/oauth",
        "http://127.0.0.1:8123/auth/external/callback",
        "https://127.0.0.1:8123/auth/external/callback",
        "http://localhost:8123/auth/external/callback",
        "http://[::1]:8123/auth/external/callback",
        "http://127.0.0.2/callback",
    ],
)
async def test_default_redirect_uris(
    session: ClientSession, emu: Emulator, redirect_uri: str
) -> None:
    """Home Assistant's callbacks and loopback URLs are allowed without options."""
    location = await _authorize(session, emu, redirect_uri=redirect_uri)
    assert str(location.with_query(None)) == redirect_uri
    assert "code" in location.query


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/auth/external/callback",
        "https://my.home-assistant.io/redirect/oauth2",
        "https://my.home-assistant.io.evil.example/redirect/oauth",
        "http://127.0.0.1.nip.io/auth/external/callback",
        "http://localhost.evil.example/auth/external/callback",
        "http://user@127.0.0.1:8123/auth/external/callback",
        "http://127.0.0.1:8123/auth/external/callback#fragment",
        "ftp://127.0.0.1/callback",
        "http://[::1/callback",
        "/auth/external/callback",
    ],
)
async def test_unregistered_redirect_uri_gets_400(
    session: ClientSession, emu: Emulator, redirect_uri: str
) -> None:
    """Any other redirect URI: 400 with the OAuth error body, never a redirect."""
    status, headers, raw = await _authorize_answer(
        session, emu, redirect_uri=redirect_uri
    )
    assert status == 400
    assert "Location" not in headers
    body = orjson.loads(raw)
    assert body["error"] == "invalid_request"
    assert "redirect_uri" in body["error_description"]


async def test_registered_redirect_uri(
    socket_enabled: None, session: ClientSession
) -> None:
    """``redirect_uris`` (``--redirect-uri``) allows more, compared exactly."""
    registered = "https://ha.example.org/auth/external/callback"
    async with Emulator(drift_interval=0, redirect_uris=[registered]) as emu:
        location = await _authorize(session, emu, redirect_uri=registered)
        assert str(location.with_query(None)) == registered
        status, _, _ = await _authorize_answer(
            session, emu, redirect_uri=f"{registered}/more"
        )
        assert status == 400
