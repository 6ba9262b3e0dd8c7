"""The latest book of every (venue, symbol), kept in memory from `VenueBookUpdated`.

Books are superseding data: a lost snapshot is replaced by the next tick, so they are neither
persisted nor deduplicated. An older snapshot arriving late never replaces a newer one.
"""

from __future__ import annotations

from decimal import Decimal

from modules.execution.contracts import BookLevel, VenueBookUpdated
from modules.routing.adapters.venue_scoring import Quote


def _levels(levels: list[BookLevel]) -> tuple[tuple[Decimal, Decimal], ...]:
    return tuple((level.price, level.size) for level in levels if level.size > 0)


class MarketBooks:
    def __init__(self) -> None:
        self._by_symbol: dict[str, dict[str, Quote]] = {}

    def update(self, event: VenueBookUpdated) -> None:
        venues = self._by_symbol.setdefault(event.symbol, {})
        current = venues.get(event.venue)
        if current is not None and current.at > event.occurred_at:
            return
        bids = _levels(event.bids)
        asks = _levels(event.asks)
        venues[event.venue] = Quote(
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

    def for_symbol(self, symbol: str) -> list[Quote]:
        return list(self._by_symbol.get(symbol, {}).values())

    @property
    def empty(self) -> bool:
        return not self._by_symbol
