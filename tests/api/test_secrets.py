"""The API key and the access token never leak into logs, reprs or errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
import logging
import traceback
from typing import cast

from aiohttp import ClientSession
import pytest

from custom_components.hearth.api import (
    ApiKeyAuth,
    DeviceCommand,
    Event,
    HearthError,
    TokenProviderAuth,
)
from emulator import Emulator

from .clients import EmulatorFactory, cloud_client, make_hub_client, wait_until

SECRET_KEY = "sk-hearth-0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def _leaks(secret: str, text: str) -> bool:
    return secret in text


async def _collect_errors(
    calls: list[Callable[[], Awaitable[object]]],
) -> list[HearthError]:
    errors: list[HearthError] = []
    for call in calls:
        try:
            await call()
        except HearthError as err:
            errors.append(err)
    return errors


def _texts(err: BaseException) -> list[str]:
    """Everything a log line or a traceback would show of an error."""
    texts = ["".join(traceback.format_exception(err)), repr(err)]
    cause: BaseException | None = err
    while cause is not None:
        texts += [str(cause), repr(cause), repr(cause.args)]
        cause = cause.__cause__ or cause.__context__
    return texts


def test_auth_reprs_hide_credentials() -> None:
    """repr() of the auth objects shows no credential."""
    auth = ApiKeyAuth(SECRET_KEY)
    assert repr(auth) == "ApiKeyAuth(<redacted>)"
    assert SECRET_KEY not in str(auth)

    async def provider() -> str:
        return SECRET_KEY

    token_auth = TokenProviderAuth(provider)
    assert repr(token_auth) == "TokenProviderAuth(<redacted>)"
    assert SECRET_KEY not in str(token_auth)


async def test_token_provider_is_awaited() -> None:
    """TokenProviderAuth asks the provider for every token."""
    tokens = iter(["first", "second"])

    async def provider() -> str:
        return next(tokens)

    auth = TokenProviderAuth(provider)
    assert await auth.async_get_access_token() == "first"
    assert await auth.async_get_access_token() == "second"
    assert await ApiKeyAuth(SECRET_KEY).async_get_access_token() == SECRET_KEY


async def test_api_key_never_leaks(
    session: ClientSession,
    start_emulator: EmulatorFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Successes and every kind of failure: the key shows up nowhere."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="aiohttp.access")
    emu = await start_emulator(api_keys=[SECRET_KEY], rate_limit=40)
    client = make_hub_client(session, emu, key=SECRET_KEY, request_timeout=0.3)
    assert SECRET_KEY not in repr(client)
    assert SECRET_KEY not in repr(vars(client).get("_auth"))

    await client.async_get_info()
    await client.async_get_state()
    await client.async_set_device_state("light-1", DeviceCommand(on=True))
    stream = cast("AsyncGenerator[Event]", client.async_events())
    first = asyncio.ensure_future(anext(stream))
    await wait_until(lambda: emu.event_stream_count == 1)
    emu.set_online("light-1", False)
    assert (await first).type == "device_state"
    await stream.aclose()

    emu.add_fault("drop", count=2, path="/api/v1/info")
    emu.add_fault("hang", count=1, path="/api/v1/state")
    emu.add_fault("malformed_json", count=1, path="/api/v1/devices/light-2")
    emu.add_fault("truncated_body", count=1, path="/api/v1/devices/light-3")
    errors = await _collect_errors(
        [
            client.async_get_info,
            client.async_get_state,
            lambda: client.async_get_device("light-2"),
            lambda: client.async_get_device("light-3"),
            lambda: client.async_get_device("nope"),
            lambda: client.async_set_device_state("light-1", DeviceCommand(on=True)),
        ]
    )
    emu.rotate_certificate()
    errors += await _collect_errors([client.async_get_info])
    assert emu.fingerprint is not None
    client = make_hub_client(session, emu, key=SECRET_KEY)
    emu.revoke_key(SECRET_KEY)
    errors += await _collect_errors(
        [client.async_get_info, lambda: anext(client.async_events())]
    )
    emu.clear_faults()
    emu.set_rate_limit(1)
    errors += await _collect_errors(
        [client.async_get_info, lambda: anext(client.async_events())]
    )
    unpinned = make_hub_client(session, emu, key=SECRET_KEY, ssl=True)
    errors += await _collect_errors([unpinned.async_get_info])

    assert [type(err).__name__ for err in errors] == [
        "HearthConnectionError",
        "HearthTimeoutError",
        "HearthInvalidResponseError",
        "HearthConnectionError",
        "HearthNotFoundError",
        "HearthRequestError",
        "HearthCertificateError",
        "HearthAuthenticationError",
        "HearthAuthenticationError",
        "HearthRateLimitError",
        "HearthRateLimitError",
        "HearthCertificateError",
    ]
    for err in errors:
        for text in _texts(err):
            assert not _leaks(SECRET_KEY, text), text

    # The capture works (the emulator logs every request) and holds no key.
    assert any(r.name == "aiohttp.access" for r in caplog.records)
    assert not _leaks(SECRET_KEY, caplog.text)
    for record in caplog.records:
        assert not _leaks(SECRET_KEY, repr(record.args))


async def test_access_token_never_leaks(
    session: ClientSession, api_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The OAuth access token does not appear in logs or errors either."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="aiohttp.access")
    client, oauth = await cloud_client(session, api_emulator)
    await client.async_get_hubs()
    await client.async_get_hub_state(api_emulator.hub_id)
    api_emulator.expire_tokens()
    errors = await _collect_errors(
        [client.async_get_account, lambda: anext(client.async_events())]
    )
    api_emulator.clear_faults()
    api_emulator.add_fault("server_error", count=1, target="cloud")
    errors += await _collect_errors([client.async_get_account])
    assert [type(err).__name__ for err in errors] == [
        "HearthTokenExpiredError",
        "HearthAuthenticationError",
        "HearthServerError",
    ]
    for err in errors:
        for text in _texts(err):
            assert oauth.access_token not in text
    assert oauth.access_token not in caplog.text
    assert oauth.refresh_token not in caplog.text
    assert any(r.name == "aiohttp.access" for r in caplog.records)


def test_leak_check_can_fail() -> None:
    """The helpers do find a secret where there is one."""
    err = HearthError(f"bad key {SECRET_KEY}")
    assert any(_leaks(SECRET_KEY, text) for text in _texts(err))
    wrapped = HearthError("outer")
    wrapped.__cause__ = ValueError(SECRET_KEY)
    assert any(_leaks(SECRET_KEY, text) for text in _texts(wrapped))
