"""Planning requests against the server's rate budget.

The hub (or the cloud, per account) grants each credential a budget of
requests per window and reports what is left in the ``RateLimit-*`` headers.
:class:`RateGovernor` turns those numbers into two decisions: how long a poll
must wait, and how long a command must wait. Polls stop while only a reserve
is left, so that commands keep room; nothing is sent while a 429's
Retry-After lasts or while the budget is known to be empty. Requests still in
flight are counted, so concurrent polls and commands cannot overdraw it.

Times are plain seconds (POSIX timestamps) supplied by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from .api import RateLimitInfo


@dataclass(slots=True)
class RateGovernor:
    """Tracks one rate budget and says when the next request may go out."""

    reserve_fraction: float
    limit: int | None = None
    remaining: int | None = None
    reset_at: float = 0.0
    blocked_until: float = 0.0
    in_flight: int = 0

    @property
    def reserve(self) -> int:
        """Return the requests kept for commands (none while unknown)."""
        if self.limit is None:
            return 0
        return max(1, math.ceil(self.limit * self.reserve_fraction))

    def _budget_wait(self, now: float, needed: int) -> float:
        if self.remaining is None or self.remaining >= needed:
            return 0.0
        return max(0.0, self.reset_at - now)

    def poll_wait(self, now: float, cost: int = 1) -> float:
        """Return the seconds until a poll of ``cost`` requests may start."""
        blocked = max(0.0, self.blocked_until - now)
        return max(blocked, self._budget_wait(now, cost + self.reserve))

    def command_wait(self, now: float) -> float:
        """Return the seconds until a command may be sent."""
        return max(0.0, self.blocked_until - now, self._budget_wait(now, 1))

    def begin(self, count: int = 1) -> None:
        """Count requests that are about to be sent."""
        self.in_flight += count
        if self.remaining is not None:
            self.remaining -= count

    def end(self, now: float, info: RateLimitInfo | None, count: int = 1) -> None:
        """Take in what the last answer said about the budget."""
        self.in_flight = max(0, self.in_flight - count)
        if info is None:
            return
        self.limit = info.limit
        self.remaining = info.remaining - self.in_flight
        self.reset_at = now + info.reset

    def rate_limited(self, now: float, retry_after: float) -> None:
        """Record a 429: no request of any kind before Retry-After has passed."""
        self.blocked_until = max(self.blocked_until, now + retry_after)
        self.remaining = 0
        self.reset_at = max(self.reset_at, self.blocked_until)
