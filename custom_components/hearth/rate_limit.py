"""Planning requests against the server's rate budget.

The hub (or the cloud, per account) grants each credential a budget of
requests per window and reports what is left in the ``RateLimit-*`` headers.
:class:`RateGovernor` turns those numbers into two decisions: how long a poll
must wait, and how long a command must wait. Polls stop while only a reserve
is left, so that commands keep room; nothing is sent while a 429's
Retry-After lasts or while the budget is known to be empty. Requests still in
flight are counted, so concurrent polls and commands cannot overdraw it.

``RateLimit-Reset`` only says when *one* request fits again (0 while any
room is left), so it cannot tell when a reserve that was dipped into comes
back. The budget is a sliding window: each counted request frees its slot
one window after it was counted. The governor therefore remembers when its
own counted requests were answered, and waits for enough of them to leave
the window; requests it cannot account for (another client of the same
credential, or its own from before a reload) have all left one window after
the last answer.

Times are plain seconds (POSIX timestamps) supplied by the caller.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
import math
from typing import Final

from .api import HearthRateLimitError, RateLimitInfo

#: The Hearth API counts every budget over a sliding window of 60 seconds.
BUDGET_WINDOW: Final = 60.0


@dataclass(slots=True)
class RateGovernor:
    """Tracks one rate budget and says when the next request may go out."""

    reserve_fraction: float
    limit: int | None = None
    remaining: int | None = None
    reset_at: float = 0.0
    blocked_until: float = 0.0
    in_flight: int = 0
    window: float = BUDGET_WINDOW
    #: When the last answer with rate-limit headers arrived.
    answered_at: float = 0.0
    #: When each counted request still in the window was answered, oldest first.
    counted: deque[float] = field(default_factory=deque)

    @property
    def reserve(self) -> int:
        """Return the requests kept for commands (none while unknown)."""
        if self.limit is None:
            return 0
        return max(1, math.ceil(self.limit * self.reserve_fraction))

    def _budget_wait(self, now: float, needed: int) -> float:
        if self.remaining is None or self.remaining >= needed:
            return 0.0
        missing = needed - self.remaining
        ready = self.reset_at
        if missing > 1 or ready <= self.answered_at:
            # The server's reset is for one request only; more room comes
            # as counted requests leave the window.
            oldest = (
                self.counted[missing - 1]
                if missing <= len(self.counted)
                else self.answered_at
            )
            ready = max(ready, oldest + self.window)
        return max(0.0, ready - now)

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

    def end(
        self,
        now: float,
        info: RateLimitInfo | None,
        count: int = 1,
        *,
        counted: bool = True,
    ) -> None:
        """Take in what the answer to ``count`` requests said about the budget.

        ``info`` is None when the answer carried no rate-limit headers (or
        there was no answer); ``counted`` is False when the server refused the
        requests (429), which then used no budget.
        """
        self.in_flight = max(0, self.in_flight - count)
        if info is None:
            return
        if counted:
            self.counted.extend([now] * count)
        while self.counted and self.counted[0] <= now - self.window:
            self.counted.popleft()
        self.limit = info.limit
        self.remaining = info.remaining - self.in_flight
        self.reset_at = now + info.reset
        self.answered_at = now

    def rate_limited(self, now: float, retry_after: float) -> None:
        """Record a 429: no request of any kind before Retry-After has passed.

        Retry-After is the server's word on when the next request fits; how
        much room there is then is unknown until that request is answered.
        """
        self.blocked_until = max(self.blocked_until, now + retry_after)
        self.remaining = None

    @contextmanager
    def request(
        self,
        clock: Callable[[], float],
        info: Callable[[], RateLimitInfo | None],
        cost: int = 1,
    ) -> Iterator[Request]:
        """Count ``cost`` requests as in flight until they are answered.

        Polls, commands and the event stream's handshake all go through
        here. The answer is taken when the block ends, or earlier through
        :meth:`Request.answered` (an event stream is answered once it opens,
        long before it ends). The governor learns from an answer only when
        it carried rate-limit headers: ``info`` still returns the headers of
        an earlier answer after a failure without them. A 429 used no budget.
        """
        request = Request(self, clock, info, cost, info())
        self.begin(cost)
        try:
            yield request
        except HearthRateLimitError:
            request.answered(refused=True)
            raise
        finally:
            request.answered()


@dataclass(slots=True)
class Request:
    """Requests in flight, counted by a governor until they are answered."""

    governor: RateGovernor
    clock: Callable[[], float]
    info: Callable[[], RateLimitInfo | None]
    cost: int
    before: RateLimitInfo | None
    pending: bool = True

    def answered(self, *, refused: bool = False) -> None:
        """Tell the governor what the answer said; only the first call counts."""
        if not self.pending:
            return
        self.pending = False
        info = self.info()
        self.governor.end(
            self.clock(),
            None if info is self.before else info,
            self.cost,
            counted=not refused,
        )
