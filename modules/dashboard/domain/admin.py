"""The admin overview's pure parts: the venues' health board and the figures' arithmetic."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import msgspec

STATES = ("closed", "half_open", "open")


class VenueHealth(msgspec.Struct, frozen=True, kw_only=True):
    """A venue's latest health report (execution's `VenueHealthChanged`)."""

    venue: str
    breaker_state: str
    success_rate: float
    queue_depth: int
    latency_p50_ms: float
    latency_p99_ms: float
    as_of: datetime


class VenueBoard:
    """The newest report of each venue, as this replica has heard them."""

    def __init__(self) -> None:
        self._venues: dict[str, VenueHealth] = {}

    def update(self, report: VenueHealth) -> None:
        current = self._venues.get(report.venue)
        if current is None or report.as_of >= current.as_of:
            self._venues[report.venue] = report

    def reports(self) -> list[VenueHealth]:
        return [self._venues[name] for name in sorted(self._venues)]


def breaker_summary(
    reports: list[VenueHealth], now: datetime, stale_after: timedelta
) -> dict[str, int]:
    """How many venues are in each breaker state; `stale` for those silent for too long."""
    summary = dict.fromkeys((*STATES, "stale"), 0)
    for report in reports:
        state = "stale" if now - report.as_of > stale_after else report.breaker_state
        summary[state] = summary.get(state, 0) + 1
    return summary


def per_minute(count: int, window: timedelta) -> Decimal:
    """A count over a window as a rate per minute, to 0.01."""
    minutes = Decimal(window.total_seconds()) / 60
    return (Decimal(count) / minutes).quantize(Decimal("0.01"))


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
