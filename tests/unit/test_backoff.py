"""Unit tests of Backoff: the pause after each failure in a row."""

from __future__ import annotations

import random

import pytest

from custom_components.hearth.backoff import Backoff


class Jitter(random.Random):
    """A random source that always picks ``low`` or ``high``, and records the ranges."""

    def __init__(self, pick: str) -> None:
        """Answer with the lower bound (``"low"``) or the upper one (``"high"``)."""
        super().__init__()
        self.pick = pick
        self.bounds: list[tuple[float, float]] = []

    def uniform(self, low: float, high: float) -> float:
        """Return the chosen bound of the range asked for."""
        self.bounds.append((low, high))
        return low if self.pick == "low" else high


def steady(first: float = 5.0, longest: float = 60.0) -> Backoff:
    """Return a backoff without jitter: every factor is 1."""
    return Backoff(first, longest, (1.0, 1.0))


def test_no_pause_before_the_first_failure() -> None:
    assert steady().delay() == 0.0


def test_first_failure_waits_first() -> None:
    backoff = steady(first=5.0)
    assert backoff.fail() == 5.0
    assert backoff.failures == 1
    assert backoff.delay() == 5.0


def test_each_failure_in_a_row_doubles_the_pause() -> None:
    backoff = steady(first=5.0, longest=1_000.0)
    assert [backoff.fail() for _ in range(5)] == [5.0, 10.0, 20.0, 40.0, 80.0]


def test_the_pause_stops_growing_at_longest() -> None:
    backoff = steady(first=5.0, longest=60.0)
    pauses = [backoff.fail() for _ in range(8)]
    assert pauses == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0, 60.0, 60.0]


def test_a_long_outage_stays_at_longest() -> None:
    backoff = steady(first=1.0, longest=60.0)
    pauses = {backoff.fail() for _ in range(2_000)}
    assert max(pauses) == 60.0


@pytest.mark.parametrize(("pick", "factor"), [("low", 0.8), ("high", 1.2)])
def test_jitter_scales_the_pause_within_its_bounds(pick: str, factor: float) -> None:
    jitter = Jitter(pick)
    backoff = Backoff(5.0, 60.0, (0.8, 1.2), random=jitter)
    pauses = [backoff.fail() for _ in range(6)]
    assert pauses == pytest.approx([factor * base for base in (5, 10, 20, 40, 60, 60)])
    assert set(jitter.bounds) == {(0.8, 1.2)}


def test_jittered_pauses_stay_within_bounds_and_vary() -> None:
    pauses: list[float] = []
    for seed in range(200):
        backoff = Backoff(5.0, 60.0, (0.8, 1.2), random=random.Random(seed))  # noqa: S311
        backoff.fail()
        pause = backoff.fail()
        assert 8.0 <= pause <= 12.0
        pauses.append(pause)
    # Clients that failed together do not come back together.
    assert len(set(pauses)) > 150
    assert min(pauses) < 8.5
    assert max(pauses) > 11.5


def test_reset_starts_over_from_first() -> None:
    backoff = steady(first=5.0)
    for _ in range(4):
        backoff.fail()
    backoff.reset()
    assert backoff.failures == 0
    assert backoff.delay() == 0.0
    assert backoff.fail() == 5.0
