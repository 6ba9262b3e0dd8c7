"""What routing measures of each venue: recent outcomes per pair and orders in flight.

Kept in memory for the scorer's microsecond budget; outcomes are also persisted (the
repository) and reloaded on start so a restart does not forget a failing venue. Orders in
flight are routing's own view of a venue's queue: handed off, not yet acknowledged. Times are
seconds on a monotonic clock the caller reads and passes in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import msgspec

from modules.routing.domain.venue_scoring import VenueStats

# An order handed off this long ago without news no longer counts as queued; a health report
# this old no longer describes the venue.
_IN_FLIGHT_HORIZON_SECONDS = 30.0
_HEALTH_HORIZON_SECONDS = 30.0


class VenueHealth(msgspec.Struct, frozen=True, kw_only=True):
    """Execution's latest word on a venue (`VenueHealthChanged`)."""

    breaker_state: str
    success_rate: float
    queue_depth: int
    at: float


class VenueFigures(msgspec.Struct, frozen=True, kw_only=True):
    venue: str
    symbol: str
    samples: int
    success_rate: float | None


class VenueMonitor:
    def __init__(self, *, window: int = 100, min_samples: int = 5) -> None:
        self._window = window
        self._min = min_samples
        self._outcomes: dict[tuple[str, str], deque[bool]] = {}
        # Successes among each window's outcomes, kept as they change: scoring reads the rate of
        # every venue on every order and must not count a window each time.
        self._successes: dict[tuple[str, str], int] = {}
        # Insertion order is hand-off order (`routed` is called with a monotonic clock), so the
        # stale entries are always at the front and per-venue counts can be kept as they change:
        # scoring reads them on every order and must not walk every order in flight.
        self._in_flight: dict[str, tuple[str, float]] = {}
        self._in_flight_counts: dict[str, int] = {}
        self._health: dict[str, VenueHealth] = {}

    def health(self, venue: str, health: VenueHealth) -> None:
        self._health[venue] = health

    def _fresh_health(self, venue: str, now: float) -> VenueHealth | None:
        health = self._health.get(venue)
        if health is None or now - health.at > _HEALTH_HORIZON_SECONDS:
            return None
        return health

    def record(self, venue: str, symbol: str, ok: bool) -> None:
        key = (venue, symbol)
        outcomes = self._outcomes.get(key)
        if outcomes is None:
            outcomes = self._outcomes[key] = deque(maxlen=self._window)
        successes = self._successes.get(key, 0)
        if len(outcomes) == outcomes.maxlen and outcomes[0]:
            successes -= 1  # the oldest outcome leaves the window
        outcomes.append(ok)
        self._successes[key] = successes + ok

    def load(self, rows: Iterable[tuple[str, str, bool]]) -> None:
        """Oldest first."""
        for venue, symbol, ok in rows:
            self.record(venue, symbol, ok)

    def routed(self, attempt_id: str, venue: str, now: float) -> None:
        self.settled(attempt_id)
        self._in_flight[attempt_id] = (venue, now)
        self._in_flight_counts[venue] = self._in_flight_counts.get(venue, 0) + 1

    def settled(self, attempt_id: str) -> None:
        entry = self._in_flight.pop(attempt_id, None)
        if entry is not None:
            self._in_flight_counts[entry[0]] -= 1

    def _queue(self, now: float) -> dict[str, int]:
        horizon = now - _IN_FLIGHT_HORIZON_SECONDS
        while self._in_flight:
            oldest = next(iter(self._in_flight))
            if self._in_flight[oldest][1] >= horizon:
                break
            self.settled(oldest)
        return {venue: n for venue, n in self._in_flight_counts.items() if n}

    def success_rate(self, venue: str, symbol: str) -> float | None:
        key = (venue, symbol)
        outcomes = self._outcomes.get(key)
        if not outcomes or len(outcomes) < self._min:
            return None
        return self._successes[key] / len(outcomes)

    def stats(self, symbol: str, venues: Iterable[str], now: float) -> dict[str, VenueStats]:
        """Per venue: routing's own measurement first, then execution's report, else nothing.

        Queue load is execution's queue depth when it reported lately (it sees every replica's
        orders), else the orders this process handed off and has not heard back about.
        """
        queue = self._queue(now)
        stats = {}
        for venue in venues:
            health = self._fresh_health(venue, now)
            measured = self.success_rate(venue, symbol)
            if measured is None and health is not None:
                measured = health.success_rate
            stats[venue] = VenueStats(
                success_rate=measured,
                queue_load=health.queue_depth if health is not None else queue.get(venue, 0),
                breaker_open=health is not None and health.breaker_state == "open",
            )
        return stats

    def breakers(self, now: float) -> dict[str, str]:
        return {
            venue: health.breaker_state
            for venue in self._health
            if (health := self._fresh_health(venue, now)) is not None
        }

    def figures(self) -> list[VenueFigures]:
        return [
            VenueFigures(
                venue=venue,
                symbol=symbol,
                samples=len(outcomes),
                success_rate=sum(outcomes) / len(outcomes) if outcomes else None,
            )
            for (venue, symbol), outcomes in sorted(self._outcomes.items())
        ]

    def queue_depths(self, now: float) -> dict[str, int]:
        return self._queue(now)
