"""Venue health for routing and admins: breakers, stats, books, and injected faults.

Health (`VenueHealthChanged`) and books (`VenueBookUpdated`) go straight to the bus: each
report supersedes the last, so at-most-once is the right guarantee.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal

import msgspec

from modules.execution.adapters.resilience import BreakerState, CircuitBreaker
from modules.execution.adapters.sim_venue import SimFaults
from modules.execution.adapters.venue import Venue
from modules.execution.adapters.venue_stats import VenueLimits, VenueStats
from modules.execution.contracts import BookLevel, VenueBookUpdated, VenueHealthChanged
from modules.execution.schemas import (
    VenueFaultsBody,
    VenueFaultsView,
    VenueHealthView,
    VenueView,
)
from modules.kernel.errors import ProblemError
from modules.kernel.events import IntegrationEvent, envelope_for
from modules.kernel.metrics import Metrics
from modules.kernel.ports import PubSub

log = logging.getLogger("nija.execution")
EVENT_SOURCE = "nija/execution"


class VenueMonitor:
    def __init__(
        self,
        venues: Mapping[str, Venue],
        breakers: Mapping[str, CircuitBreaker],
        limits: Mapping[str, VenueLimits],
        pubsub: PubSub,
        metrics: Metrics,
        queue_depths: Callable[[], Awaitable[dict[str, int]]],
        in_flight: Callable[[str], int],
    ) -> None:
        self.venues = dict(venues)
        self.breakers = breakers
        self.limits = limits
        self.stats = {name: VenueStats() for name in self.venues}
        self._pubsub = pubsub
        self._queue_depths = queue_depths
        self._in_flight = in_flight
        self._depths: dict[str, int] = {}
        self._mids: dict[tuple[str, str], Decimal] = {}
        self._m_depth = metrics.gauge("nija_executor_queue_depth", "Queued orders", ["venue"])
        self._m_breaker = metrics.gauge(
            "nija_venue_breaker_state", "0 closed, 1 half-open, 2 open", ["venue"]
        )

    def mid(self, venue: str, symbol: str) -> Decimal | None:
        return self._mids.get((venue, symbol))

    async def breaker_moved(self, venue: str, before: BreakerState) -> None:
        after = self.breakers[venue].last_state
        self._m_breaker.labels(venue).set({"closed": 0, "half_open": 1, "open": 2}[after])
        if after != before:
            log.warning("breaker moved", extra={"venue": venue, "from": before, "to": after})
            await self.publish(self.health(venue))

    def health(self, venue: str) -> VenueHealthChanged:
        stats = self.stats[venue]
        return VenueHealthChanged(
            venue=venue,
            breaker_state=self.breakers[venue].last_state,
            success_rate=stats.success_rate(),
            queue_depth=self._depths.get(venue, 0),
            latency_p50_ms=stats.percentile(0.5),
            latency_p99_ms=stats.percentile(0.99),
        )

    async def publish_health(self) -> None:
        self._depths = await self._queue_depths()
        for name in self.venues:
            await self.breakers[name].read()
            self._m_depth.labels(name).set(self._depths.get(name, 0))
            await self.publish(self.health(name))

    async def venue_health(self) -> list[VenueHealthView]:
        await self.publish_health()
        return [
            VenueHealthView(
                venue=h.venue,
                breaker_state=h.breaker_state,
                success_rate=h.success_rate,
                queue_depth=h.queue_depth,
                in_flight=self._in_flight(h.venue),
                latency_p50_ms=h.latency_p50_ms,
                latency_p99_ms=h.latency_p99_ms,
            )
            for h in (self.health(name) for name in self.venues)
        ]

    async def publish(self, event: IntegrationEvent) -> None:
        await self._pubsub.publish(envelope_for(event, EVENT_SOURCE))

    async def publish_books(self) -> int:
        """Publish one book snapshot per venue and symbol straight to the bus."""
        pairs = [(v, s) for v in self.venues.values() for s in sorted(v.symbols)]
        events = await asyncio.gather(*(self._book_event(v, s) for v, s in pairs))
        for book_event in events:
            if book_event.bids and book_event.asks:
                mid = (book_event.bids[0].price + book_event.asks[0].price) / 2
                self._mids[(book_event.venue, book_event.symbol)] = mid
            await self.publish(book_event)
        return len(events)

    async def _book_event(self, venue: Venue, symbol: str) -> VenueBookUpdated:
        book = await venue.book(symbol)
        return VenueBookUpdated(
            occurred_at=book.at,
            venue=venue.name,
            symbol=symbol,
            bids=[BookLevel(level.price, level.size) for level in book.bids],
            asks=[BookLevel(level.price, level.size) for level in book.asks],
            taker_fee=venue.fees.taker,
            maker_fee=venue.fees.maker,
            latency_ms=venue.latency_ms,
            success_rate=self.stats[venue.name].success_rate(),
        )

    def _known(self, venue: str) -> Venue:
        if venue not in self.venues:
            raise ProblemError(404, "unknown_venue", f"no venue named {venue}")
        return self.venues[venue]

    def set_faults(self, venue: str, body: VenueFaultsBody) -> VenueFaultsView:
        target = self._known(venue)
        if not hasattr(target, "faults"):
            raise ProblemError(409, "not_simulated", f"{venue} does not take injected faults")
        target.faults = SimFaults(
            error_rate=body.error_rate,
            timeout_rate=body.timeout_rate,
            rate_limit_rate=body.rate_limit_rate,
            lookup_error_rate=body.lookup_error_rate,
        )
        limits = self.limits[venue]
        if body.orders_per_second is not None:
            limits.orders_per_second = body.orders_per_second
        if body.burst is not None:
            limits.burst = body.burst
        if body.place_timeout_seconds is not None:
            limits.place_timeout_seconds = body.place_timeout_seconds
        if body.max_in_flight is not None:
            limits.max_in_flight = body.max_in_flight
        if body.breaker_cooldown_seconds is not None:
            self.breakers[venue].policy.cooldown_seconds = body.breaker_cooldown_seconds
        log.warning("venue faults set", extra={"venue": venue, "faults": msgspec.to_builtins(body)})
        return VenueFaultsView(
            venue=venue,
            error_rate=body.error_rate,
            timeout_rate=body.timeout_rate,
            rate_limit_rate=body.rate_limit_rate,
            lookup_error_rate=body.lookup_error_rate,
            orders_per_second=limits.orders_per_second,
            burst=limits.burst,
            breaker_cooldown_seconds=self.breakers[venue].policy.cooldown_seconds,
            place_timeout_seconds=limits.place_timeout_seconds,
            max_in_flight=limits.max_in_flight,
        )

    async def reset_breaker(self, venue: str) -> VenueHealthView:
        self._known(venue)
        before = self.breakers[venue].last_state
        await self.breakers[venue].reset()
        await self.breaker_moved(venue, before)
        return next(v for v in await self.venue_health() if v.venue == venue)

    def overview(self) -> list[VenueView]:
        return [
            VenueView(
                name=venue.name,
                symbols=sorted(venue.symbols),
                taker_fee=venue.fees.taker,
                maker_fee=venue.fees.maker,
                latency_ms=venue.latency_ms,
            )
            for venue in self.venues.values()
        ]
