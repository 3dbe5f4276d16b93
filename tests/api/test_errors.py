"""Every exception of the client, each provoked for real through the emulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import ssl

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
import pytest

from custom_components.hearth.api import (
    ApiKeyAuth,
    DeviceCommand,
    Event,
    HearthAuthenticationError,
    HearthCertificateError,
    HearthConnectionError,
    HearthForbiddenError,
    HearthHubClient,
    HearthInvalidResponseError,
    HearthNotFoundError,
    HearthRateLimitError,
    HearthRequestError,
    HearthServerError,
    HearthTimeoutError,
    HearthUnsupportedVersionError,
    RateLimitInfo,
    pinned_ssl,
)
from emulator import Emulator
from tests.harness.ports import free_port

from .clients import (
    API_KEY,
    DEMO_IDS,
    READ_ONLY_KEY,
    EmulatorFactory,
    cloud_client,
    make_hub_client,
    wait_until,
)
from .servers import Certificate


async def test_nothing_listening(session: ClientSession) -> None:
    """A refused connection is a HearthConnectionError, and nothing more specific.

    Its message names the address and the reason, not aiohttp's ssl= object.
    """
    port = free_port()
    client = HearthHubClient(
        session, "127.0.0.1", ApiKeyAuth("k"), port=port, ssl=pinned_ssl("0" * 64)
    )
    with pytest.raises(HearthConnectionError) as info:
        await client.async_get_info()
    assert type(info.value) is HearthConnectionError
    assert str(info.value) == f"Cannot reach 127.0.0.1:{port}: Connection refused"


async def test_unknown_host(session: ClientSession) -> None:
    """A name that does not resolve says so (the resolver's own words)."""
    client = HearthHubClient(session, "hub.invalid", ApiKeyAuth("k"), port=8443)
    with pytest.raises(HearthConnectionError) as info:
        await client.async_get_info()
    message = str(info.value)
    assert message.startswith("Cannot reach hub.invalid:8443: ")
    assert "object at" not in message
    assert "Unknown error" not in message


async def test_dropped_connection(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """A GET dropped twice fails after exactly one quick retry."""
    api_emulator.add_fault("drop", path="/api/v1/info")
    with pytest.raises(HearthConnectionError, match="closed the connection") as info:
        await hub_client.async_get_info()
    assert type(info.value) is HearthConnectionError
    assert api_emulator.stats.count("GET", "/api/v1/info") == 2
    assert api_emulator.stats.dropped == 2


async def test_dropped_get_is_retried_once(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """One dropped GET is retried at once and succeeds."""
    api_emulator.add_fault("drop", count=1, path="/api/v1/state")
    state = await hub_client.async_get_state()
    assert len(state.devices) == len(DEMO_IDS)
    assert api_emulator.stats.count("GET", "/api/v1/state") == 2
    assert api_emulator.stats.dropped == 1


async def test_dropped_patch_is_not_retried(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """A PATCH is not idempotent enough to repeat blindly: it raises."""
    api_emulator.add_fault("drop", count=1, path="/api/v1/devices")
    with pytest.raises(HearthConnectionError, match="closed the connection"):
        await hub_client.async_set_device_state("light-1", DeviceCommand(on=True))
    assert api_emulator.stats.count("PATCH", "/api/v1/devices/{device_id}") == 1
    assert api_emulator.home.devices["light-1"].state.on is False
    device = await hub_client.async_set_device_state("light-1", DeviceCommand(on=True))
    assert device.state.on is True


async def test_hang_times_out(session: ClientSession, api_emulator: Emulator) -> None:
    """A hub that never answers trips the request timeout."""
    api_emulator.add_fault("hang", path="/api/v1/state")
    client = make_hub_client(session, api_emulator, request_timeout=0.2)
    with pytest.raises(HearthTimeoutError, match=r"Timed out after 0.2 s"):
        await client.async_get_state()
    assert (await client.async_get_info()).id == api_emulator.hub_id


async def test_latency_within_timeout(
    session: ClientSession, api_emulator: Emulator
) -> None:
    """A slow answer that arrives in time is fine."""
    api_emulator.add_fault("latency", delay=0.1, count=1)
    client = make_hub_client(session, api_emulator, request_timeout=2)
    assert (await client.async_get_info()).id == api_emulator.hub_id


async def test_wrong_api_key(session: ClientSession, api_emulator: Emulator) -> None:
    """An unknown key is a 401 with the server's code and message."""
    client = make_hub_client(session, api_emulator, key="not-a-key")
    with pytest.raises(HearthAuthenticationError) as info:
        await client.async_get_state()
    assert (info.value.status, info.value.code) == (401, "invalid_auth")
    assert str(info.value) == "Missing or unknown API key"


async def test_revoked_api_key(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """A key that worked stops working once it is revoked."""
    await hub_client.async_get_info()
    api_emulator.revoke_key(API_KEY)
    with pytest.raises(HearthAuthenticationError) as info:
        await hub_client.async_get_info()
    assert info.value.status == 401
    api_emulator.clear_faults()
    assert (await hub_client.async_get_info()).id == api_emulator.hub_id


async def test_read_only_key_cannot_patch(
    session: ClientSession, api_emulator: Emulator
) -> None:
    """A read-only key reads, but its PATCH is a 403."""
    client = make_hub_client(session, api_emulator, key=READ_ONLY_KEY)
    assert (await client.async_get_device("switch-1")).state.on is False
    with pytest.raises(HearthForbiddenError) as info:
        await client.async_set_device_state("switch-1", DeviceCommand(on=True))
    assert (info.value.status, info.value.code) == (403, "forbidden")
    assert api_emulator.home.devices["switch-1"].state.on is False


async def test_unknown_device(hub_client: HearthHubClient) -> None:
    """An unknown device is a 404 on GET and on PATCH."""
    with pytest.raises(HearthNotFoundError) as info:
        await hub_client.async_get_device("light-99")
    assert (info.value.status, info.value.code) == (404, "not_found")
    assert "light-99" in str(info.value)
    with pytest.raises(HearthNotFoundError):
        await hub_client.async_set_device_state("light-99", DeviceCommand(on=True))


@pytest.mark.parametrize(
    ("device_id", "command", "message"),
    [
        ("light-1", DeviceCommand(brightness=100), "not dimmable"),
        ("light-2", DeviceCommand(brightness=0), "1..255"),
        ("switch-1", DeviceCommand(on=True, brightness=5), "only accepts 'on'"),
        ("light-2", DeviceCommand(), "non-empty JSON object"),
    ],
)
async def test_invalid_command(
    hub_client: HearthHubClient, device_id: str, command: DeviceCommand, message: str
) -> None:
    """A command the device cannot do is a 400."""
    with pytest.raises(HearthRequestError, match=message) as info:
        await hub_client.async_set_device_state(device_id, command)
    assert (info.value.status, info.value.code) == (400, "invalid_request")


async def test_offline_device(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """Commanding an offline device is a 409 conflict."""
    api_emulator.set_online("light-2", False)
    assert (await hub_client.async_get_device("light-2")).online is False
    with pytest.raises(HearthRequestError) as info:
        await hub_client.async_set_device_state("light-2", DeviceCommand(on=False))
    assert (info.value.status, info.value.code) == (409, "device_offline")


@pytest.mark.parametrize("status", [500, 503])
async def test_server_error(
    hub_client: HearthHubClient, api_emulator: Emulator, status: int
) -> None:
    """A 5xx is a HearthServerError carrying the status."""
    api_emulator.add_fault("server_error", status=status, count=1)
    with pytest.raises(HearthServerError) as info:
        await hub_client.async_get_state()
    assert (info.value.status, info.value.code, str(info.value)) == (
        status,
        "server_error",
        "Injected fault",
    )
    assert len((await hub_client.async_get_state()).devices) == len(DEMO_IDS)


async def test_rate_limited_delta_seconds(
    session: ClientSession,
    start_emulator: EmulatorFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The budget spent, a 429 carries Retry-After in seconds."""
    freezer.move_to(datetime(2025, 4, 1, 12, 0, 0, tzinfo=UTC))
    emu = await start_emulator(rate_limit=2)
    client = make_hub_client(session, emu)
    await client.async_get_info()
    freezer.tick(15)
    await client.async_get_info()
    assert client.rate_limit == RateLimitInfo(limit=2, remaining=0, reset=45)
    with pytest.raises(HearthRateLimitError) as info:
        await client.async_get_info()
    assert (info.value.status, info.value.code) == (429, "rate_limited")
    assert info.value.retry_after == 45.0
    assert client.rate_limit == RateLimitInfo(limit=2, remaining=0, reset=45)


async def test_rate_limited_http_date(
    session: ClientSession,
    start_emulator: EmulatorFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Retry-After as an HTTP-date is turned into seconds from now."""
    freezer.move_to(datetime(2025, 4, 1, 12, 0, 0, tzinfo=UTC))
    emu = await start_emulator(rate_limit=1)
    emu.set_rate_limit(1, "http-date")
    client = make_hub_client(session, emu)
    await client.async_get_state()
    freezer.tick(20)
    with pytest.raises(HearthRateLimitError) as info:
        await client.async_get_state()
    assert info.value.retry_after == 40.0


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("malformed_json", {}),
        ("truncated_json", {}),
        ("wrong_schema", {}),
        ("huge_body", {}),
        ("huge_body", {"chunked": True}),
    ],
)
async def test_invalid_response(
    hub_client: HearthHubClient,
    api_emulator: Emulator,
    kind: str,
    options: dict[str, object],
) -> None:
    """Answers that are not the documented JSON are HearthInvalidResponseError."""
    api_emulator.add_fault(kind, count=1, path="/api/v1/state", **options)
    with pytest.raises(HearthInvalidResponseError):
        await hub_client.async_get_state()
    assert len((await hub_client.async_get_state()).devices) == len(DEMO_IDS)


@pytest.mark.parametrize("call", ["async_get_info", "async_get_device"])
async def test_wrong_schema_everywhere(
    hub_client: HearthHubClient, api_emulator: Emulator, call: str
) -> None:
    """Missing required fields fail on every endpoint, not just /state."""
    api_emulator.add_fault("wrong_schema", count=1)
    method = getattr(hub_client, call)
    with pytest.raises(HearthInvalidResponseError, match="MissingField"):
        await (method("light-1") if call == "async_get_device" else method())


async def test_truncated_body_is_a_connection_error(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """A body shorter than its Content-Length means the connection broke."""
    api_emulator.add_fault("truncated_body", count=1, path="/api/v1/state")
    with pytest.raises(HearthConnectionError, match="cut off") as info:
        await hub_client.async_get_state()
    assert type(info.value) is HearthConnectionError


async def test_unsupported_api_version(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """A hub with a newer major API version is refused."""
    api_emulator.add_fault("api_version", version="2.0")
    with pytest.raises(HearthUnsupportedVersionError, match="2.0") as info:
        await hub_client.async_get_info()
    assert info.value.api_version == "2.0"
    api_emulator.clear_faults()
    assert (await hub_client.async_get_info()).api_version == "1.3"


async def test_newer_minor_version_is_fine(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """Minor versions only add: 1.9 is still spoken."""
    api_emulator.add_fault("api_version", version="1.9")
    assert (await hub_client.async_get_info()).api_major == 1


async def test_unreadable_api_version(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """A version without a numeric major is not one the client speaks."""
    api_emulator.update_hub(api_version="banana")
    with pytest.raises(HearthUnsupportedVersionError) as info:
        await hub_client.async_get_info()
    assert info.value.api_version == "banana"


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("malformed_json", HearthInvalidResponseError),
        ("wrong_schema", HearthInvalidResponseError),
        ("truncated_body", HearthConnectionError),
        ("server_error", HearthServerError),
    ],
)
async def test_cloud_faults(
    session: ClientSession,
    api_emulator: Emulator,
    kind: str,
    error: type[Exception],
) -> None:
    """The cloud client shares the funnel: the same faults, the same errors."""
    client, _oauth = await cloud_client(session, api_emulator)
    api_emulator.add_fault(kind, count=1, target="cloud", path="/v1/hubs")
    with pytest.raises(error):
        await client.async_get_hubs()
    assert len(await client.async_get_hubs()) == 2


async def test_revoked_key_ends_the_event_stream(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """Revoking the key closes its stream; reconnecting is refused."""

    async def consume() -> list[Event]:
        return [event async for event in hub_client.async_events()]

    task = asyncio.create_task(consume())
    await wait_until(lambda: api_emulator.event_stream_count == 1)
    api_emulator.revoke_key(API_KEY)
    async with asyncio.timeout(5):
        assert await task == []
    with pytest.raises(HearthAuthenticationError) as info:
        async for _event in hub_client.async_events():
            pass  # pragma: no cover
    assert info.value.status == 401


async def test_event_stream_checks_the_certificate(
    session: ClientSession, api_emulator: Emulator
) -> None:
    """The stream is refused by pinning and by CA verification alike."""
    fingerprint = api_emulator.fingerprint
    api_emulator.rotate_certificate()
    assert fingerprint is not None
    pinned = make_hub_client(session, api_emulator, ssl=pinned_ssl(fingerprint))
    with pytest.raises(HearthCertificateError) as info:
        async for _event in pinned.async_events():
            pass  # pragma: no cover
    assert info.value.fingerprint == api_emulator.fingerprint
    verified = make_hub_client(session, api_emulator, ssl=True)
    with pytest.raises(HearthCertificateError, match="not trusted"):
        async for _event in verified.async_events():
            pass  # pragma: no cover


async def test_event_stream_refused_by_a_server_error(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """A 503 at the handshake is a server error, not a closed stream."""
    api_emulator.add_fault("server_error", path="/api/v1/events")
    with pytest.raises(HearthServerError):
        async for _event in hub_client.async_events():
            pass  # pragma: no cover


async def test_peer_that_does_not_speak_http(
    session: ClientSession, certificate: Certificate
) -> None:
    """A TLS peer answering something other than HTTP is a connection error."""

    async def garbage(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HELLO THERE\r\n\r\n")
        await writer.drain()
        writer.close()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.certfile, certificate.keyfile)
    server = await asyncio.start_server(garbage, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    client = HearthHubClient(
        session,
        "127.0.0.1",
        ApiKeyAuth("k"),
        port=port,
        ssl=pinned_ssl(certificate.fingerprint),
    )
    try:
        with pytest.raises(HearthConnectionError, match="Cannot reach 127.0.0.1"):
            await client.async_get_info()
    finally:
        server.close()
        await server.wait_closed()
