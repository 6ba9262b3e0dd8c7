"""Valuing an account's balances after a fill: the last published mid when there is one."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from modules.execution.domain.venue import Book, Level
from modules.execution.service.balances import valued
from modules.execution.service.market_reports import MarketReports


class BookVenue:
    """A venue that only quotes books, counting the reads."""

    def __init__(self, name: str, bid: str, ask: str) -> None:
        self.name = name
        self.symbols = frozenset({"BTC/USD", "ETH/USD"})
        self.reads: list[str] = []
        self._bid, self._ask = Decimal(bid), Decimal(ask)

    async def book(self, symbol: str) -> Book:
        self.reads.append(symbol)
        return Book(
            venue=self.name,
            symbol=symbol,
            bids=(Level(self._bid, Decimal(1)),),
            asks=(Level(self._ask, Decimal(1)),),
            at=datetime.now(UTC),
        )


BALANCES = {"USD": Decimal("100.50"), "BTC": Decimal("0.5"), "ETH": Decimal("0")}


async def test_a_known_mid_values_the_balance_without_reading_the_book() -> None:
    venue = BookVenue("kraken", "60000", "60010")
    mids = {"BTC/USD": Decimal("50000")}
    equity = await valued(venue, BALANCES, lambda _venue, symbol: mids.get(symbol))  # type: ignore[arg-type]
    assert equity == Decimal("25100.50")
    assert venue.reads == [], "the published mid was enough"


async def test_without_a_known_mid_the_book_is_read_once_per_held_asset() -> None:
    venue = BookVenue("kraken", "60000", "60010")
    equity = await valued(venue, BALANCES)  # type: ignore[arg-type]
    assert equity == Decimal("30103.00")  # 0.5 BTC at the mid 60,005, plus the dollars
    assert venue.reads == ["BTC/USD"], "an asset with nothing held is not valued"


def test_only_the_published_venues_own_mids_are_known() -> None:
    published = BookVenue("kraken", "1", "2")
    reports: Any = MarketReports.__new__(MarketReports)
    reports.venues = {"kraken": published}
    reports._mids = {("kraken", "BTC/USD"): Decimal("50000")}
    assert reports.published_mid(published, "BTC/USD") == Decimal("50000")
    # A real exchange account under the same venue name quotes the exchange's prices, not these.
    assert reports.published_mid(BookVenue("kraken", "1", "2"), "BTC/USD") is None
