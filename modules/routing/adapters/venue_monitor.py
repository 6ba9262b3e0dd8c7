"""What routing measures of each venue: recent outcomes per pair and orders in flight.

Kept in memory for the scorer's microsecond budget; outcomes are also persisted (the
repository) and reloaded on start so a restart does not forget a failing venue. Orders in
flight are routing's own view of a venue's queue: handed off, not yet acknowledged.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import msgspec

from modules.routing.adapters.venue_scoring import VenueStats

# An order handed off this long ago without news no longer counts as queued.
_IN_FLIGHT_HORIZON_SECONDS = 30.0


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
        self._in_flight: dict[str, tuple[str, float]] = {}

    def record(self, venue: str, symbol: str, ok: bool) -> None:
        key = (venue, symbol)
        if key not in self._outcomes:
            self._outcomes[key] = deque(maxlen=self._window)
        self._outcomes[key].append(ok)

    def load(self, rows: Iterable[tuple[str, str, bool]]) -> None:
        """Oldest first."""
        for venue, symbol, ok in rows:
            self.record(venue, symbol, ok)

    def routed(self, attempt_id: str, venue: str, now: float) -> None:
        self._in_flight[attempt_id] = (venue, now)

    def settled(self, attempt_id: str) -> None:
        self._in_flight.pop(attempt_id, None)

    def _queue(self, now: float) -> dict[str, int]:
        horizon = now - _IN_FLIGHT_HORIZON_SECONDS
        stale = [key for key, (_, at) in self._in_flight.items() if at < horizon]
        for key in stale:
            del self._in_flight[key]
        counts: dict[str, int] = {}
        for venue, _ in self._in_flight.values():
            counts[venue] = counts.get(venue, 0) + 1
        return counts

    def success_rate(self, venue: str, symbol: str) -> float | None:
        outcomes = self._outcomes.get((venue, symbol))
        if not outcomes or len(outcomes) < self._min:
            return None
        return sum(outcomes) / len(outcomes)

    def stats(self, symbol: str, venues: Iterable[str], now: float) -> dict[str, VenueStats]:
        queue = self._queue(now)
        return {
            venue: VenueStats(
                success_rate=self.success_rate(venue, symbol), queue_load=queue.get(venue, 0)
            )
            for venue in venues
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
