"""What routing knows of the venues right now: their books and execution's word on their health.

Both are kept in memory (domain/market_books.py, domain/venue_monitor.py) for the scorer's
microsecond budget. Venue outcomes measured before a restart are reloaded on start.
"""

from __future__ import annotations

import time
from decimal import Decimal

from modules.execution.contracts import BookLevel, VenueBookUpdated, VenueHealthChanged
from modules.routing.config import RoutingConfig
from modules.routing.domain.market_books import MarketBooks
from modules.routing.domain.venue_monitor import VenueHealth, VenueMonitor
from modules.routing.domain.venue_scoring import Quote
from modules.routing.repository.outcomes import OutcomeRepository


class MarketFeed:
    def __init__(
        self,
        books: MarketBooks,
        monitor: VenueMonitor,
        outcomes: OutcomeRepository,
        config: RoutingConfig,
    ) -> None:
        self._books = books
        self._monitor = monitor
        self._outcomes = outcomes
        self._config = config

    async def load_outcomes(self) -> None:
        self._monitor.load(await self._outcomes.recent_outcomes(self._config.success_window))

    async def book_updated(self, event: VenueBookUpdated) -> None:
        self._books.update(quote_of(event))

    async def venue_health(self, event: VenueHealthChanged) -> None:
        self._monitor.health(
            event.venue,
            VenueHealth(
                breaker_state=event.breaker_state,
                success_rate=event.success_rate,
                queue_depth=event.queue_depth,
                at=time.monotonic(),
            ),
        )


def _levels(levels: list[BookLevel]) -> tuple[tuple[Decimal, Decimal], ...]:
    return tuple((level.price, level.size) for level in levels if level.size > 0)


def quote_of(event: VenueBookUpdated) -> Quote:
    bids = _levels(event.bids)
    asks = _levels(event.asks)
    return Quote(
        venue=event.venue,
        symbol=event.symbol,
        bids=bids,
        asks=asks,
        bid_depth=sum((size for _, size in bids), Decimal(0)),
        ask_depth=sum((size for _, size in asks), Decimal(0)),
        taker_fee=event.taker_fee,
        maker_fee=event.maker_fee,
        latency_ms=event.latency_ms,
        success_rate=event.success_rate,
        at=event.occurred_at,
    )
