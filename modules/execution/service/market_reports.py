"""Venue reports for routing: books, health (breaker, success rate, queue depth, latency).

Health (`VenueHealthChanged`) and books (`VenueBookUpdated`) go straight to the bus: each
report supersedes the last, so at-most-once is the right guarantee. The book mids are kept to
mark positions to market.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from decimal import Decimal

from modules.execution.contracts import BookLevel, VenueBookUpdated, VenueHealthChanged
from modules.execution.domain.breaker import BreakerState
from modules.execution.domain.venue_stats import VenueStats
from modules.execution.ports import Venue
from modules.execution.repository.orders import OrderRepository
from modules.execution.service.circuit_breaker import CircuitBreaker
from modules.kernel.events import IntegrationEvent, envelope_for
from modules.kernel.module import Runtime

log = logging.getLogger("nija.execution")
EVENT_SOURCE = "nija/execution"
_BREAKER_GAUGE = {"closed": 0, "half_open": 1, "open": 2}


class MarketReports:
    def __init__(
        self,
        runtime: Runtime,
        venues: Mapping[str, Venue],
        breakers: Mapping[str, CircuitBreaker],
        orders: OrderRepository,
    ) -> None:
        self._runtime = runtime
        self.venues = dict(venues)
        self.breakers = breakers
        self._orders = orders
        self.stats = {name: VenueStats() for name in self.venues}
        self._depths: dict[str, int] = {}
        self._mids: dict[tuple[str, str], Decimal] = {}
        metrics = runtime.metrics
        self._m_depth = metrics.gauge("nija_executor_queue_depth", "Queued orders", ["venue"])
        self._m_breaker = metrics.gauge(
            "nija_venue_breaker_state", "0 closed, 1 half-open, 2 open", ["venue"]
        )

    def mid(self, venue: str, symbol: str) -> Decimal | None:
        return self._mids.get((venue, symbol))

    async def breaker_moved(self, venue: str, before: BreakerState) -> None:
        after = self.breakers[venue].last_state
        self._m_breaker.labels(venue).set(_BREAKER_GAUGE[after])
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
        async with self._runtime.db.connection() as conn:
            self._depths = await self._orders.queue_depths(conn)
        for name in self.venues:
            await self.breakers[name].read()
            # From the shared state: a breaker another replica opened shows here too.
            self._m_breaker.labels(name).set(_BREAKER_GAUGE[self.breakers[name].last_state])
            self._m_depth.labels(name).set(self._depths.get(name, 0))
            await self.publish(self.health(name))

    async def publish(self, event: IntegrationEvent) -> None:
        await self._runtime.pubsub.publish(envelope_for(event, EVENT_SOURCE))

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
