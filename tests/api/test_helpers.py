"""Header parsing, URL rules, fingerprints and the exception tree."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
from freezegun.api import FrozenDateTimeFactory
import pytest

from custom_components.hearth import api
from custom_components.hearth.api import (
    ApiKeyAuth,
    HearthApiError,
    HearthCloudClient,
    HearthError,
    HearthHubClient,
    HearthRateLimitError,
    RateLimitInfo,
    is_loopback,
    normalize_fingerprint,
    parse_rate_limit,
    parse_retry_after,
    pinned_ssl,
)

NOW = datetime(2025, 4, 1, 12, 0, 0, tzinfo=UTC)
FINGERPRINT = "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("7", 7.0),
        (" 120 ", 120.0),
        ("Tue, 01 Apr 2025 12:00:30 GMT", 30.0),
        ("Tue, 01 Apr 2025 14:00:30 +0200", 30.0),
        # "-0000" means "no zone information": parsed naive, read as UTC.
        ("Tue, 01 Apr 2025 12:01:00 -0000", 60.0),
        # A date in the past means "now", never a negative delay.
        ("Tue, 01 Apr 2025 11:00:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("Tue, 99 Foo 2025 12:00:30 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    """Both Retry-After forms give seconds; anything else gives None."""
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_defaults_to_the_clock(
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without ``now``, an HTTP-date is measured from the current time."""
    freezer.move_to(NOW)
    assert parse_retry_after("Tue, 01 Apr 2025 12:00:45 GMT") == 45.0
    freezer.tick(15)
    assert parse_retry_after("Tue, 01 Apr 2025 12:00:45 GMT") == 30.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {
                "RateLimit-Limit": "60",
                "RateLimit-Remaining": "59",
                "RateLimit-Reset": "1",
            },
            RateLimitInfo(limit=60, remaining=59, reset=1.0),
        ),
        (
            {
                "RateLimit-Limit": "10",
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": "2.5",
            },
            RateLimitInfo(limit=10, remaining=0, reset=2.5),
        ),
        ({"RateLimit-Limit": "60", "RateLimit-Remaining": "59"}, None),
        ({}, None),
        (
            {
                "RateLimit-Limit": "lots",
                "RateLimit-Remaining": "1",
                "RateLimit-Reset": "1",
            },
            None,
        ),
    ],
)
def test_parse_rate_limit(
    headers: dict[str, str], expected: RateLimitInfo | None
) -> None:
    """All three headers are needed and must be numbers."""
    assert parse_rate_limit(headers) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("192.168.1.20", False),
        ("10.0.0.1", False),
        ("hub.local", False),
        ("localhost.example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback(host: str | None, expected: bool) -> None:
    """Only localhost and the loopback ranges count."""
    assert is_loopback(host) is expected


async def test_plain_http_refused_to_other_hosts() -> None:
    """Credentials never go over plain HTTP except on loopback."""
    auth = ApiKeyAuth("k")
    async with aiohttp.ClientSession() as session:
        for url in (
            "http://api.hearth-home.io",
            "http://192.168.1.20:8080",
            "http://hub.local",
            "ftp://127.0.0.1",
        ):
            with pytest.raises(ValueError, match="only sent over HTTPS"):
                HearthCloudClient(session, auth, base_url=url)
        for url in ("http://127.0.0.1:8080", "http://localhost", "http://[::1]:81"):
            client = HearthCloudClient(session, auth, base_url=url)
            assert str(client.base_url) == f"{url}/v1"
        assert (
            str(HearthCloudClient(session, auth).base_url)
            == "https://api.hearth-home.io/v1"
        )
        hub = HearthHubClient(session, "192.168.1.20", auth)
        assert str(hub.base_url) == "https://192.168.1.20/api/v1"
        assert hub.request_timeout == api.DEFAULT_TIMEOUT
        assert hub.rate_limit is None
        hub = HearthHubClient(session, "hub.local", auth, port=8443, request_timeout=3)
        assert str(hub.base_url) == "https://hub.local:8443/api/v1"
        assert hub.request_timeout == 3


@pytest.mark.parametrize(
    "value",
    [
        FINGERPRINT,
        FINGERPRINT.upper(),
        ":".join(FINGERPRINT[i : i + 2] for i in range(0, 64, 2)).upper(),
        " ".join(FINGERPRINT[i : i + 2] for i in range(0, 64, 2)),
        f"  {FINGERPRINT}\n",
    ],
)
def test_normalize_fingerprint_accepts(value: str) -> None:
    """Upper case, colons, spaces and surrounding blanks are all fine."""
    assert normalize_fingerprint(value) == FINGERPRINT


@pytest.mark.parametrize(
    "value",
    [
        "",
        "junk",
        FINGERPRINT[:-2],
        FINGERPRINT + "00",
        FINGERPRINT[:-1] + "g",
        "sha256:" + FINGERPRINT,
        "-" * 64,
    ],
)
def test_normalize_fingerprint_rejects(value: str) -> None:
    """Anything that is not 32 bytes of hex is refused."""
    with pytest.raises(ValueError, match="not a SHA-256 fingerprint"):
        normalize_fingerprint(value)
    with pytest.raises(ValueError, match="not a SHA-256 fingerprint"):
        pinned_ssl(value)


def test_pinned_ssl() -> None:
    """The pin is an aiohttp Fingerprint of the 32 digest bytes."""
    pin = pinned_ssl(FINGERPRINT.upper())
    assert isinstance(pin, aiohttp.Fingerprint)
    assert pin.fingerprint == bytes.fromhex(FINGERPRINT)


def test_every_exception_descends_from_hearth_error() -> None:
    """One ``except HearthError`` catches every error the client defines."""
    classes = [
        getattr(api, name)
        for name in api.__all__
        if isinstance(getattr(api, name), type)
        and issubclass(getattr(api, name), BaseException)
    ]
    assert len(classes) == 14
    for cls in classes:
        assert issubclass(cls, HearthError), cls
    assert issubclass(api.HearthTimeoutError, api.HearthConnectionError)
    assert issubclass(api.HearthCertificateError, api.HearthConnectionError)
    assert issubclass(api.HearthTokenExpiredError, api.HearthAuthenticationError)
    for name in (
        "HearthAuthenticationError",
        "HearthForbiddenError",
        "HearthNotFoundError",
        "HearthRequestError",
        "HearthServerError",
        "HearthRateLimitError",
    ):
        assert issubclass(getattr(api, name), HearthApiError), name


def test_exception_attributes() -> None:
    """The errors keep what a caller needs to react."""
    err = HearthRateLimitError("slow down", retry_after=2.5, code="rate_limited")
    assert (err.retry_after, err.status, err.code, str(err)) == (
        2.5,
        429,
        "rate_limited",
        "slow down",
    )
    cert = api.HearthCertificateError("bad", fingerprint=FINGERPRINT)
    assert cert.fingerprint == FINGERPRINT
    assert api.HearthCertificateError("bad").fingerprint is None
    version = api.HearthUnsupportedVersionError("old", api_version="2.0")
    assert version.api_version == "2.0"
    plain = HearthApiError("x")
    assert (plain.status, plain.code) == (None, None)
