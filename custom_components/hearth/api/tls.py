"""TLS helpers: certificate pinning by SHA-256 fingerprint."""

from __future__ import annotations

import asyncio
import hashlib
import ssl

from aiohttp import Fingerprint

from .exceptions import HearthConnectionError, HearthTimeoutError


def normalize_fingerprint(value: str) -> str:
    """Return a fingerprint as 64 lower-case hex digits, without separators.

    Raises ValueError when the value is not a SHA-256 fingerprint.
    """
    digits = value.strip().replace(":", "").replace(" ", "").lower()
    if len(digits) != 64 or any(c not in "0123456789abcdef" for c in digits):
        raise ValueError("not a SHA-256 fingerprint")
    return digits


def pinned_ssl(fingerprint: str) -> Fingerprint:
    """Return the aiohttp ``ssl=`` value that pins a certificate fingerprint."""
    return Fingerprint(bytes.fromhex(normalize_fingerprint(fingerprint)))


def _unverified_context() -> ssl.SSLContext:
    """Return a client context that accepts any certificate (to read it)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def async_get_certificate_fingerprint(
    host: str, port: int, *, connect_timeout: float = 10.0
) -> str:
    """Connect once and return the SHA-256 fingerprint of the server certificate.

    This is trust on first use: the caller shows or stores the result and pins
    it from then on. No credential is sent on this connection.
    """
    try:
        async with asyncio.timeout(connect_timeout):
            _reader, writer = await asyncio.open_connection(
                host, port, ssl=_unverified_context(), server_hostname=host
            )
    except TimeoutError as err:
        raise HearthTimeoutError(f"Timed out connecting to {host}:{port}") from err
    except (OSError, ssl.SSLError) as err:
        raise HearthConnectionError(f"Cannot connect to {host}:{port}") from err
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    finally:
        writer.close()
    if not der:
        raise HearthConnectionError(f"{host}:{port} presented no certificate")
    return hashlib.sha256(der).hexdigest()
