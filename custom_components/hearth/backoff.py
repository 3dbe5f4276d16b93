"""Exponential backoff with jitter, for polls and for the event stream alike."""

from __future__ import annotations

from dataclasses import dataclass, field
import random


@dataclass(slots=True)
class Backoff:
    """The pause after each failure in a row: ``first``, doubling up to ``longest``.

    Every pause is scaled by a random factor in ``jitter``, so that many
    clients that failed together do not come back together.
    """

    first: float
    longest: float
    jitter: tuple[float, float]
    failures: int = 0
    random: random.Random = field(default_factory=random.Random)

    def delay(self) -> float:
        """Return the pause after the failures so far (none before the first)."""
        if not self.failures:
            return 0.0
        # Past 64 doublings every pause is the longest (and 2.0 ** 1024 overflows).
        base = min(self.longest, self.first * 2.0 ** min(self.failures - 1, 64))
        factor: float = self.random.uniform(*self.jitter)
        return base * factor

    def fail(self) -> float:
        """Count one more failure; return the pause before the next attempt."""
        self.failures += 1
        return self.delay()

    def reset(self) -> None:
        """Start over from the first step after a success."""
        self.failures = 0
