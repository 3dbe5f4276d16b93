"""Request statistics, for tests that count what the client sent."""

from __future__ import annotations

from collections import Counter

from .home import JSONDict


class Stats:
    """Counts of requests by route and of answers by status.

    Admin requests are not counted.
    """

    def __init__(self) -> None:
        """Start from zero."""
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.dropped = 0

    @property
    def total(self) -> int:
        """Return the number of requests received."""
        return sum(self.by_route.values())

    @property
    def rate_limited(self) -> int:
        """Return the number of 429 answers."""
        return self.by_status[429]

    def count(self, method: str, route: str) -> int:
        """Return how many ``method route`` requests were received."""
        return self.by_route[f"{method} {route}"]

    def record_request(self, method: str, route: str) -> None:
        """Count a request to a route template such as ``/api/v1/devices/{device_id}``."""
        self.by_route[f"{method} {route}"] += 1

    def record_status(self, status: int) -> None:
        """Count an answer."""
        self.by_status[status] += 1

    def record_drop(self) -> None:
        """Count a connection closed without an answer."""
        self.dropped += 1

    def reset(self) -> None:
        """Start again from zero."""
        self.by_route.clear()
        self.by_status.clear()
        self.dropped = 0

    def to_json(self) -> JSONDict:
        """Return the ``GET /admin/stats`` document."""
        return {
            "total": self.total,
            "by_route": dict(sorted(self.by_route.items())),
            "by_status": {
                str(status): n for status, n in sorted(self.by_status.items())
            },
            "rate_limited": self.rate_limited,
            "dropped": self.dropped,
        }
