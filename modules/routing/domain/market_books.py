"""The latest book of every (venue, symbol), kept in memory from execution's book updates.

Books are superseding data: a lost snapshot is replaced by the next tick, so they are neither
persisted nor deduplicated. An older snapshot arriving late never replaces a newer one.
"""

from __future__ import annotations

from modules.routing.domain.venue_scoring import Quote


class MarketBooks:
    def __init__(self) -> None:
        self._by_symbol: dict[str, dict[str, Quote]] = {}

    def update(self, quote: Quote) -> None:
        venues = self._by_symbol.setdefault(quote.symbol, {})
        current = venues.get(quote.venue)
        if current is not None and current.at > quote.at:
            return
        venues[quote.venue] = quote

    def for_symbol(self, symbol: str) -> list[Quote]:
        return list(self._by_symbol.get(symbol, {}).values())

    @property
    def empty(self) -> bool:
        return not self._by_symbol
