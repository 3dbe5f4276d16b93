"""A clock for the emulator that moves only when a test says so."""

from __future__ import annotations

from dataclasses import dataclass

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@dataclass(slots=True)
class FakeClock:
    """A clock that moves only when a test says so."""

    now: float = START

    def __call__(self) -> float:
        """Return the current time."""
        return self.now

    def tick(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds
