"""The sliding rate window, its headers and both Retry-After forms."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from emulator import Emulator
from emulator.ratelimit import RetryAfterFormat, SlidingWindowLimiter

from .clock import FakeClock
from .http import READ_ONLY, RawHub


def test_window_slides(clock: FakeClock) -> None:
    """A slot frees when the oldest request is 60 s old; refusals are not counted."""
    limiter = SlidingWindowLimiter(clock, 2)
    first = limiter.hit("k")
    assert (first.allowed, first.remaining, first.reset) == (True, 1, 0)
    clock.tick(10)
    second = limiter.hit("k")
    assert (second.allowed, second.remaining, second.reset) == (True, 0, 50)
    clock.tick(20)
    refused = limiter.hit("k")
    assert (refused.allowed, refused.remaining, refused.reset) == (False, 0, 30)
    assert refused.retry_after(RetryAfterFormat.SECONDS) == "30"
    clock.tick(30)
    assert limiter.hit("k").allowed
    assert limiter.hit("other").allowed


def test_http_date(clock: FakeClock) -> None:
    """The HTTP-date form names the second the budget has room again."""
    limiter = SlidingWindowLimiter(clock, 1)
    limiter.hit("k")
    clock.tick(15)
    value = limiter.hit("k").retry_after(RetryAfterFormat.HTTP_DATE)
    assert value.endswith(" GMT")
    assert parsedate_to_datetime(value).timestamp() == clock.now + 45


async def test_sixth_request_is_refused(
    raw_hub: RawHub, emu: Emulator, clock: FakeClock
) -> None:
    """With a limit of 5 the 6th request in a minute gets 429 with Retry-After."""
    emu.set_rate_limit(5)
    for expected_remaining in range(4, -1, -1):
        response = await raw_hub.request("GET", "/api/v1/info")
        assert response.status == 200
        assert response.headers["RateLimit-Limit"] == "5"
        assert response.headers["RateLimit-Remaining"] == str(expected_remaining)
        clock.tick(1)
    refused = await raw_hub.request("GET", "/api/v1/info")
    assert refused.status == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.headers["Retry-After"] == "55"
    assert refused.headers["RateLimit-Reset"] == "55"
    # Unauthenticated requests and other keys do not touch this key's budget.
    assert (await raw_hub.request("GET", "/api/v1/info", key="nobody")).status == 401
    assert (await raw_hub.request("GET", "/api/v1/info", key=READ_ONLY)).status == 200

    emu.set_rate_limit(5, "http-date")
    dated = await raw_hub.request("GET", "/api/v1/info")
    assert dated.status == 429
    when = parsedate_to_datetime(dated.headers["Retry-After"])
    assert when.timestamp() == clock.now + 55

    clock.tick(55)
    assert (await raw_hub.request("GET", "/api/v1/info")).status == 200
    assert emu.stats.rate_limited == 2


async def test_admin_rate_limit(raw_hub: RawHub, emu: Emulator) -> None:
    """POST /admin/rate-limit sets the limit and the Retry-After style."""
    response = await raw_hub.request(
        "POST",
        "/admin/rate-limit",
        key=None,
        json={"limit": 1, "retry_after_format": "http-date"},
    )
    assert response.json() == {
        "limit": 1,
        "budget": 1,
        "window": 60,
        "retry_after_format": "http-date",
    }
    assert (await raw_hub.request("GET", "/api/v1/info")).status == 200
    assert (await raw_hub.request("GET", "/api/v1/info")).status == 429
    await raw_hub.request("POST", "/admin/rate-limit", key=None, json={"limit": None})
    unlimited = await raw_hub.request("GET", "/api/v1/info")
    assert unlimited.status == 200
    assert unlimited.headers["RateLimit-Limit"] == "100000"
