"""Certificate pinning and trust on first use, against real TLS handshakes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import ssl

from aiohttp import ClientSession
import pytest

from custom_components.hearth.api import (
    ApiKeyAuth,
    HearthCertificateError,
    HearthConnectionError,
    HearthHubClient,
    HearthTimeoutError,
    async_get_certificate_fingerprint,
    pinned_ssl,
    tls,
)
from emulator import Emulator
from tests.harness.ports import free_port

from .clients import make_hub_client
from .servers import Certificate


async def test_pinned_fingerprint_connects(
    session: ClientSession, api_emulator: Emulator
) -> None:
    """A pin written with colons in upper case matches the served certificate."""
    assert api_emulator.fingerprint is not None
    colons = ":".join(
        api_emulator.fingerprint[i : i + 2] for i in range(0, 64, 2)
    ).upper()
    client = make_hub_client(session, api_emulator, ssl=pinned_ssl(colons))
    assert (await client.async_get_info()).id == api_emulator.hub_id


async def test_fetch_fingerprint(api_emulator: Emulator) -> None:
    """Trust on first use reads the certificate the hub serves, then its successor."""
    first = await async_get_certificate_fingerprint("127.0.0.1", api_emulator.port)
    assert first == api_emulator.fingerprint
    assert len(first) == 64
    rotated = api_emulator.rotate_certificate()
    assert rotated != first
    assert (
        await async_get_certificate_fingerprint("127.0.0.1", api_emulator.port)
        == rotated
    )


async def test_pin_mismatch_after_rotation(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """A rotated certificate no longer matches the pin; the new one is reported."""
    old = api_emulator.fingerprint
    await hub_client.async_get_info()
    new = api_emulator.rotate_certificate()
    with pytest.raises(HearthCertificateError, match="does not match") as info:
        await hub_client.async_get_state()
    assert info.value.fingerprint == new
    assert info.value.fingerprint != old


async def test_rotate_certificate_fault(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """The rotate_certificate fault kind does the same."""
    api_emulator.add_fault("rotate_certificate")
    with pytest.raises(HearthCertificateError) as info:
        await hub_client.async_get_info()
    assert info.value.fingerprint == api_emulator.fingerprint


async def test_event_stream_pin_mismatch(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """The WebSocket refuses a certificate that does not match the pin, too."""
    new = api_emulator.rotate_certificate()
    with pytest.raises(HearthCertificateError, match="does not match") as info:
        async for _event in hub_client.async_events():
            pass  # pragma: no cover
    assert info.value.fingerprint == new


async def test_ca_verification_refuses_self_signed(
    session: ClientSession, api_emulator: Emulator
) -> None:
    """Without a pin, the default CA check refuses the hub's self-signed cert."""
    client = make_hub_client(session, api_emulator, ssl=True)
    with pytest.raises(HearthCertificateError, match="not trusted") as info:
        await client.async_get_info()
    assert info.value.fingerprint is None
    with pytest.raises(HearthConnectionError):
        async for _event in client.async_events():
            pass  # pragma: no cover


async def test_ca_verification_with_trusted_certificate(
    session: ClientSession, api_emulator: Emulator
) -> None:
    """An SSLContext that trusts the hub's certificate works as ``ssl=``."""
    assert api_emulator.certificate_pem is not None
    context = ssl.create_default_context(cadata=api_emulator.certificate_pem.decode())
    client = make_hub_client(session, api_emulator, ssl=context)
    assert (await client.async_get_info()).id == api_emulator.hub_id


async def test_event_stream_cannot_connect(session: ClientSession) -> None:
    """An event stream to a port nobody listens on is a connection error.

    It names the address and the reason, not the pinned fingerprint object.
    """
    port = free_port()
    client = HearthHubClient(
        session,
        "127.0.0.1",
        ApiKeyAuth("k"),
        port=port,
        ssl=pinned_ssl("00" * 32),
    )
    with pytest.raises(HearthConnectionError) as info:
        async for _event in client.async_events():
            pass  # pragma: no cover
    assert str(info.value) == f"Cannot reach 127.0.0.1:{port}: Connection refused"


async def test_fingerprint_nothing_listening() -> None:
    """Nothing listening is a connection error."""
    with pytest.raises(HearthConnectionError, match="Cannot connect") as info:
        await async_get_certificate_fingerprint("127.0.0.1", free_port())
    assert type(info.value) is HearthConnectionError


async def test_fingerprint_of_plain_http(api_emulator: Emulator) -> None:
    """A server that does not speak TLS (the cloud port) is a connection error."""
    assert api_emulator.cloud_port is not None
    with pytest.raises(HearthConnectionError, match="Cannot connect"):
        await async_get_certificate_fingerprint("127.0.0.1", api_emulator.cloud_port)


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """Accept TCP connections and never say a word."""
    writers: list[asyncio.StreamWriter] = []

    async def accept(
        _reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writers.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_fingerprint_handshake_timeout(silent_port: int) -> None:
    """A server that never completes the handshake trips the connect timeout."""
    with pytest.raises(HearthTimeoutError, match="Timed out connecting"):
        await async_get_certificate_fingerprint(
            "127.0.0.1", silent_port, connect_timeout=0.2
        )


async def test_fingerprint_without_certificate(
    monkeypatch: pytest.MonkeyPatch, certificate: Certificate
) -> None:
    """A TLS server that presents no certificate at all is refused.

    Anonymous (ADH) cipher suites are the one way to finish a handshake
    without a certificate; both ends have to allow them for this test.
    """
    anonymous = "aNULL:@SECLEVEL=0"
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.maximum_version = ssl.TLSVersion.TLSv1_2
    server_context.set_ciphers(anonymous)
    unverified = tls._unverified_context

    def anonymous_client() -> ssl.SSLContext:
        context = unverified()
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(anonymous)
        return context

    monkeypatch.setattr(tls, "_unverified_context", anonymous_client)

    async def accept(
        _reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(HearthConnectionError, match="presented no certificate"):
            await async_get_certificate_fingerprint("127.0.0.1", port)
    finally:
        server.close()
        await server.wait_closed()
