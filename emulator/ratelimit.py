"""A sliding-window rate limiter driven by an injected clock."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from enum import StrEnum
import math
from typing import Final

#: The window every budget is counted over, in seconds.
WINDOW_SECONDS: Final = 60.0
#: The budget reported (and enforced) when no limit is configured.
UNLIMITED_BUDGET: Final = 100_000


class RetryAfterFormat(StrEnum):
    """How a 429 answer spells its Retry-After header."""

    SECONDS = "seconds"
    HTTP_DATE = "http-date"


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The outcome of counting one request against a budget.

    ``reset`` is the whole number of seconds until a slot frees up: 0 while
    ``remaining`` is above 0, else until the oldest counted request leaves the
    window (at least 1).
    """

    allowed: bool
    limit: int
    remaining: int
    reset: int
    now: float

    def headers(self) -> dict[str, str]:
        """Return the RateLimit-* headers every authenticated answer carries."""
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }

    def retry_after(self, style: RetryAfterFormat) -> str:
        """Return the Retry-After value of a 429 in the given style."""
        seconds = max(1, self.reset)
        if style is RetryAfterFormat.HTTP_DATE:
            when = datetime.fromtimestamp(math.ceil(self.now) + seconds, UTC)
            return format_datetime(when, usegmt=True)
        return str(seconds)


class SlidingWindowLimiter:
    """Count requests per budget key over the last :data:`WINDOW_SECONDS`.

    A rejected request is not counted, so a client that waits for
    ``Retry-After`` always gets through.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        limit: int | None = None,
        window: float = WINDOW_SECONDS,
    ) -> None:
        """Start with empty windows."""
        self._clock = clock
        self._window = window
        self._hits: dict[str, deque[float]] = {}
        self.limit = limit
        self.retry_after_format = RetryAfterFormat.SECONDS

    @property
    def limit(self) -> int | None:
        """Return the configured budget per window, or None for unlimited."""
        return self._limit

    @limit.setter
    def limit(self, value: int | None) -> None:
        if value is not None and value < 1:
            raise ValueError("the rate limit must be at least 1")
        self._limit = value

    @property
    def budget(self) -> int:
        """Return the budget that is enforced and reported."""
        return self._limit if self._limit is not None else UNLIMITED_BUDGET

    def hit(self, key: str) -> RateDecision:
        """Count one request for ``key`` if the budget allows it."""
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self._window:
            hits.popleft()
        budget = self.budget
        allowed = len(hits) < budget
        if allowed:
            hits.append(now)
        remaining = max(0, budget - len(hits))
        reset = 0
        if remaining == 0 and hits:
            reset = max(1, math.ceil(hits[0] + self._window - now))
        return RateDecision(allowed, budget, remaining, reset, now)

    def reset(self) -> None:
        """Forget every counted request."""
        self._hits.clear()
