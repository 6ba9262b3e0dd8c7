"""Brute-force limits on sign-in: how many recent failures lock an address or a client out.

Failures are counted per typed address (known or not, so a lock-out says nothing about whether
the account exists) and per client IP, over a sliding window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from modules.kernel.refusal import Kind, Refused

LOCKOUT_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURE_LIMIT = 5
IP_FAILURE_LIMIT = 20
# Failures older than this can no longer count towards any lock-out and are forgotten.
FAILURE_RETENTION = 4 * LOCKOUT_WINDOW
LOCKOUT_NOTICE = "sign-in locked for 15 minutes"


def retry_after_seconds(oldest_counted: datetime, now: datetime) -> int:
    """Whole seconds until the failure that completes the limit leaves the window (at least 1)."""
    seconds = (oldest_counted + LOCKOUT_WINDOW - now).total_seconds()
    return max(1, math.ceil(seconds))


def lockout(failures: Sequence[datetime], limit: int, now: datetime) -> Refused | None:
    """The refusal while `failures` (inside the window, newest first) reach `limit`, else None."""
    if len(failures) < limit:
        return None
    return Refused(
        Kind.TOO_MANY,
        "too_many_attempts",
        "Too many failed sign-in attempts; try again later",
        retry_after=retry_after_seconds(failures[limit - 1], now),
    )


def locks_account(recent_failures: int) -> bool:
    """True for the one failure that locks the account, so the owner is told exactly once."""
    return recent_failures == ACCOUNT_FAILURE_LIMIT
