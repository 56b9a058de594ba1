"""Lockout: the fifth failure in a row locks the account for fifteen minutes; expiry starts afresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mentalspace_desktop.domain.lockout import LOCK_DURATION, MAX_FAILED_ATTEMPTS, AttemptState

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def fail(state: AttemptState, times: int, at: datetime = T0) -> AttemptState:
    for _ in range(times):
        state = state.after_failure(at)
    return state


def test_four_failures_do_not_lock() -> None:
    state = fail(AttemptState(), 4)
    assert not state.is_locked(T0)
    assert state.attempts_left() == 1
    assert state.locked_until is None


def test_fifth_failure_locks_for_fifteen_minutes() -> None:
    assert MAX_FAILED_ATTEMPTS == 5 and timedelta(minutes=15) == LOCK_DURATION
    state = fail(AttemptState(), 5)
    assert state.locked_until == T0 + timedelta(minutes=15)
    assert state.is_locked(T0)
    assert state.is_locked(T0 + timedelta(minutes=14, seconds=59))
    assert not state.is_locked(T0 + timedelta(minutes=15))
    assert state.attempts_left() == 0


def test_attempts_left_counts_down() -> None:
    state = AttemptState()
    lefts = []
    for _ in range(5):
        state = state.after_failure(T0)
        lefts.append(state.attempts_left())
    assert lefts == [4, 3, 2, 1, 0]


def test_expired_lock_resets_the_count() -> None:
    locked = fail(AttemptState(), 5)
    later = T0 + timedelta(minutes=16)
    after = locked.after_failure(later)
    assert after.failed == 1
    assert not after.is_locked(later)
    assert after.attempts_left() == 4


def test_success_resets_everything() -> None:
    state = fail(AttemptState(), 3).after_success()
    assert state == AttemptState()
    assert fail(state, 4).locked_until is None


def test_failures_spread_over_time_still_count_until_a_success() -> None:
    state = AttemptState()
    for minutes in (0, 30, 60, 90, 120):
        state = state.after_failure(T0 + timedelta(minutes=minutes))
    assert state.is_locked(T0 + timedelta(minutes=121))
