"""Unit tests of RateGovernor: when may the next poll or command go out."""

from __future__ import annotations

import pytest

from custom_components.hearth.api import RateLimitInfo
from custom_components.hearth.rate_limit import BUDGET_WINDOW, RateGovernor

T0 = 1_000_000.0


def answered(
    governor: RateGovernor,
    now: float,
    *,
    limit: int = 10,
    remaining: int,
    reset: float = 0.0,
    count: int = 1,
) -> None:
    """Send ``count`` requests and take in their answer at ``now``."""
    governor.begin(count)
    governor.end(now, RateLimitInfo(limit, remaining, reset), count)


def test_unknown_budget_never_waits() -> None:
    governor = RateGovernor(0.2)
    assert governor.reserve == 0
    assert governor.poll_wait(T0) == 0.0
    assert governor.poll_wait(T0, cost=5) == 0.0
    assert governor.command_wait(T0) == 0.0


@pytest.mark.parametrize(
    ("limit", "reserve"), [(1, 1), (3, 1), (5, 1), (6, 2), (10, 2), (100, 20)]
)
def test_reserve_is_a_fifth_and_at_least_one(limit: int, reserve: int) -> None:
    governor = RateGovernor(0.2)
    answered(governor, T0, limit=limit, remaining=limit - 1)
    assert governor.reserve == reserve


def test_answer_sets_the_budget() -> None:
    governor = RateGovernor(0.2)
    answered(governor, T0, limit=6, remaining=4, reset=0)
    assert (governor.limit, governor.remaining, governor.reset_at) == (6, 4, T0)
    assert governor.in_flight == 0
    assert list(governor.counted) == [T0]


def test_requests_in_flight_are_taken_off_the_answer() -> None:
    governor = RateGovernor(0.2)
    answered(governor, T0, limit=10, remaining=9)
    governor.begin(2)
    assert governor.in_flight == 2
    assert governor.remaining == 7
    governor.begin()
    governor.end(T0 + 1, RateLimitInfo(10, 7, 0))
    # The server has counted one of them; two are still out.
    assert governor.in_flight == 2
    assert governor.remaining == 5


def test_poll_keeps_the_reserve_but_a_command_may_use_it() -> None:
    governor = RateGovernor(0.2)
    # limit 10 -> reserve 2; a poll of one request needs 3 left.
    answered(governor, T0, limit=10, remaining=3)
    assert governor.poll_wait(T0) == 0.0
    answered(governor, T0 + 10, limit=10, remaining=2)
    assert governor.poll_wait(T0 + 10) == BUDGET_WINDOW - 10
    assert governor.command_wait(T0 + 10) == 0.0


def test_dipped_reserve_comes_back_as_own_requests_leave_the_window() -> None:
    """The server reports reset 0 while room is left: it says nothing useful."""
    governor = RateGovernor(0.2)
    for second, remaining in ((0, 5), (10, 4), (20, 3), (30, 2)):
        answered(governor, T0 + second, limit=6, remaining=remaining)
    assert governor.reset_at == T0 + 30
    # Needs 1 + 2; the oldest request (T0) leaves the window at T0 + 60.
    assert governor.poll_wait(T0 + 40) == 20.0
    assert governor.poll_wait(T0 + 59.5) == 0.5
    assert governor.poll_wait(T0 + 60) == 0.0
    # Two missing: the second oldest (T0 + 10) must have left too.
    answered(governor, T0 + 60, limit=6, remaining=1)
    assert list(governor.counted) == [T0 + 10, T0 + 20, T0 + 30, T0 + 60]
    assert governor.poll_wait(T0 + 60) == 10.0 + 10.0
    assert governor.command_wait(T0 + 60) == 0.0


def test_multi_request_poll_needs_room_for_all_of_them() -> None:
    governor = RateGovernor(0.2)
    answered(governor, T0, limit=20, remaining=10, count=3)
    # reserve 4: a poll of 6 fits, one of 7 misses one slot until T0 + 60.
    assert governor.poll_wait(T0 + 1, cost=6) == 0.0
    assert governor.poll_wait(T0 + 1, cost=7) == BUDGET_WINDOW - 1


def test_empty_budget_waits_for_the_server_reset() -> None:
    governor = RateGovernor(0.2)
    answered(governor, T0, limit=6, remaining=0, reset=17)
    assert governor.command_wait(T0) == 17.0
    assert governor.command_wait(T0 + 17) == 0.0
    # A poll needs three slots: wait for the three oldest counted requests.
    assert governor.poll_wait(T0) == BUDGET_WINDOW


def test_unaccounted_requests_have_left_one_window_after_the_answer() -> None:
    """After a reload the governor has not seen the requests that used the budget."""
    governor = RateGovernor(0.2)
    answered(governor, T0, limit=10, remaining=1)
    assert governor.command_wait(T0) == 0.0
    assert governor.poll_wait(T0) == BUDGET_WINDOW
    assert governor.poll_wait(T0 + BUDGET_WINDOW) == 0.0


def test_old_requests_are_forgotten() -> None:
    governor = RateGovernor(0.2)
    answered(governor, T0, limit=10, remaining=9)
    answered(governor, T0 + 30, limit=10, remaining=8)
    answered(governor, T0 + 60, limit=10, remaining=8)
    assert list(governor.counted) == [T0 + 30, T0 + 60]


def test_answer_without_headers_teaches_nothing() -> None:
    governor = RateGovernor(0.2)
    answered(governor, T0, limit=10, remaining=3)
    governor.begin()
    governor.end(T0 + 5, None)
    assert governor.in_flight == 0
    # The failed request may have been counted: keep it off the budget.
    assert governor.remaining == 2
    assert governor.answered_at == T0
    assert list(governor.counted) == [T0]


def test_rate_limited_blocks_everything_until_retry_after() -> None:
    governor = RateGovernor(0.2)
    answered(governor, T0, limit=10, remaining=5)
    governor.begin()
    governor.end(T0 + 1, RateLimitInfo(10, 0, 29), counted=False)
    governor.rate_limited(T0 + 1, 29)
    assert list(governor.counted) == [T0]
    assert governor.blocked_until == T0 + 30
    for wait in (governor.command_wait, governor.poll_wait):
        assert wait(T0 + 1) == 29.0
        assert wait(T0 + 29.5) == 0.5
        # The room left after Retry-After is unknown until the next answer.
        assert wait(T0 + 30) == 0.0


def test_rate_limited_never_shortens_a_block() -> None:
    governor = RateGovernor(0.2)
    governor.rate_limited(T0, 60)
    governor.rate_limited(T0 + 1, 5)
    assert governor.blocked_until == T0 + 60
    assert governor.poll_wait(T0 + 10) == 50.0
    assert governor.command_wait(T0 + 10) == 50.0
