"""Per venue executor knobs and this replica's recent outcomes and latencies."""

from __future__ import annotations

from collections import deque

import msgspec


class VenueLimits(msgspec.Struct, kw_only=True):
    """Per venue knobs (admin-settable): account token bucket and in-flight orders."""

    orders_per_second: float = 200.0
    burst: float = 400.0
    place_timeout_seconds: float = 5.0
    # Orders in flight per venue and replica: most of a placement is waiting on the venue (its
    # answer, then the account's balances and their report), about 0.3 s on the simulated
    # venues, so 64 capped one venue near 115 fills a second on 2 cores; 128 gives 150-160.
    max_in_flight: int = 128


class VenueStats:
    """This replica's recent outcomes and latencies on one venue (last 100 placements)."""

    def __init__(self) -> None:
        self.outcomes: deque[bool] = deque(maxlen=100)
        self.latencies: deque[float] = deque(maxlen=100)

    def add(self, ok: bool, latency_ms: float) -> None:
        self.outcomes.append(ok)
        self.latencies.append(latency_ms)

    def success_rate(self) -> float:
        return sum(self.outcomes) / len(self.outcomes) if self.outcomes else 1.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
