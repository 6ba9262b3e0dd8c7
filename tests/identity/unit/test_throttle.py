"""Lock-out arithmetic: failures inside the window, limits, and the Retry-After it answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from modules.identity.domain.throttle import (
    ACCOUNT_FAILURE_LIMIT,
    IP_FAILURE_LIMIT,
    LOCKOUT_WINDOW,
    lockout,
    locks_account,
    retry_after_seconds,
)
from modules.kernel.refusal import Kind

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _failures(count: int, every: timedelta = timedelta(seconds=10)) -> list[datetime]:
    """`count` failures, newest first, the newest just now."""
    return [NOW - i * every for i in range(count)]


def test_below_the_limit_nothing_is_refused() -> None:
    assert lockout(_failures(ACCOUNT_FAILURE_LIMIT - 1), ACCOUNT_FAILURE_LIMIT, NOW) is None
    assert lockout([], ACCOUNT_FAILURE_LIMIT, NOW) is None


def test_at_the_limit_the_refusal_is_429_with_retry_after() -> None:
    failures = _failures(ACCOUNT_FAILURE_LIMIT)
    refusal = lockout(failures, ACCOUNT_FAILURE_LIMIT, NOW)
    assert refusal is not None
    assert (refusal.kind, refusal.kind.value, refusal.code) == (
        Kind.TOO_MANY,
        429,
        "too_many_attempts",
    )
    assert refusal.reason == "Too many failed sign-in attempts; try again later"
    # The 5th newest failure (40 s ago) leaves the 15-minute window in 14 min 20 s.
    assert refusal.retry_after == 15 * 60 - 40


def test_retry_after_counts_from_the_failure_that_completes_the_limit() -> None:
    failures = _failures(ACCOUNT_FAILURE_LIMIT + 3)  # more than the limit: the 5th newest counts
    refusal = lockout(failures, ACCOUNT_FAILURE_LIMIT, NOW)
    assert refusal is not None and refusal.retry_after == retry_after_seconds(failures[4], NOW)


def test_retry_after_rounds_up_and_is_never_below_one_second() -> None:
    assert retry_after_seconds(NOW - LOCKOUT_WINDOW + timedelta(seconds=0.2), NOW) == 1
    assert retry_after_seconds(NOW - LOCKOUT_WINDOW + timedelta(seconds=1.2), NOW) == 2
    assert retry_after_seconds(NOW - LOCKOUT_WINDOW, NOW) == 1
    assert retry_after_seconds(NOW - LOCKOUT_WINDOW - timedelta(minutes=5), NOW) == 1
    assert retry_after_seconds(NOW, NOW) == 15 * 60


def test_the_ip_limit_is_higher_than_the_account_limit() -> None:
    failures = _failures(IP_FAILURE_LIMIT - 1)
    assert lockout(failures, IP_FAILURE_LIMIT, NOW) is None
    assert lockout(failures, ACCOUNT_FAILURE_LIMIT, NOW) is not None


def test_the_owner_is_told_once_on_the_failure_that_locks() -> None:
    told = [n for n in range(1, 12) if locks_account(n)]
    assert told == [ACCOUNT_FAILURE_LIMIT]
