"""A venue's circuit breaker as a state machine over one record, with `now` passed in.

Closed, it counts failures within a sliding window and opens at `failures_to_open`. Open, it
rejects until the cooldown has passed, then lets exactly one probe through (half-open); the
probe's success closes it, its failure opens it again. A probe that never reports back (its
replica died) frees the half-open slot after `probe_timeout_seconds`.

Each transition returns the record to write, or None when nothing changed, so the caller can
keep the record in a shared store with compare-and-swap (service/circuit_breaker.py).
"""

from __future__ import annotations

from typing import Literal

import msgspec

BreakerState = Literal["closed", "open", "half_open"]
Admission = Literal["pass", "probe", "reject"]


class BreakerRecord(msgspec.Struct, frozen=True, kw_only=True):
    state: BreakerState = "closed"
    failures: tuple[float, ...] = ()
    opened_at: float = 0.0
    probe_until: float = 0.0


class BreakerPolicy(msgspec.Struct, kw_only=True):
    failures_to_open: int = 5
    window_seconds: float = 60.0
    cooldown_seconds: float = 30.0
    probe_timeout_seconds: float = 30.0


def admit(
    record: BreakerRecord, policy: BreakerPolicy, now: float
) -> tuple[Admission, BreakerRecord | None]:
    """May an order go to the venue now? A probe takes the half-open slot (a write)."""
    if record.state == "closed":
        return "pass", None
    if record.state == "open" and now < record.opened_at + policy.cooldown_seconds:
        return "reject", None
    if record.state == "half_open" and now < record.probe_until:
        return "reject", None
    probing = msgspec.structs.replace(
        record, state="half_open", probe_until=now + policy.probe_timeout_seconds
    )
    return "probe", probing


def succeeded(record: BreakerRecord, *, probe: bool) -> BreakerRecord | None:
    """Only a probe's success changes anything: it closes the breaker and forgets failures."""
    if record.state == "half_open" and probe:
        return msgspec.structs.replace(record, state="closed", failures=())
    return None


def failed(
    record: BreakerRecord, policy: BreakerPolicy, now: float, *, probe: bool
) -> BreakerRecord | None:
    """A failure: reopens a half-open breaker, counts towards opening a closed one."""
    if probe or record.state == "half_open":
        return msgspec.structs.replace(record, state="open", opened_at=now, failures=())
    if record.state == "open":
        return None
    horizon = now - policy.window_seconds
    failures = (*(t for t in record.failures if t > horizon), now)
    if len(failures) >= policy.failures_to_open:
        return msgspec.structs.replace(record, state="open", opened_at=now, failures=())
    return msgspec.structs.replace(record, failures=failures)
