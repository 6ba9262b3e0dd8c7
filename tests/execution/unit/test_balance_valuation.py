"""A balance report's equity: dollars at par, other assets at the venue's mid."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D
from typing import Any, cast

from modules.execution.domain.venue import Book, Level
from modules.execution.ports import Venue
from modules.execution.service.balances import valued


class BookOnly:
    """A venue that only shows its book, and counts how often it was asked."""

    name = "kraken"
    symbols = frozenset({"BTC/USD", "ETH/USD"})

    def __init__(self) -> None:
        self.reads = 0

    async def book(self, symbol: str) -> Book:
        self.reads += 1
        return Book(
            venue=self.name,
            symbol=symbol,
            bids=(Level(D("99"), D(1)),),
            asks=(Level(D("101"), D(1)),),
            at=datetime.now(UTC),
        )


def venue(fake: BookOnly) -> Venue:
    return cast(Any, fake)


async def test_assets_are_valued_at_the_mid_the_market_reports_keep_without_a_book_read() -> None:
    fake = BookOnly()
    kept = {("kraken", "BTC/USD"): D("200")}
    balances = {"USD": D("10.25"), "BTC": D("0.5")}
    equity = await valued(venue(fake), balances, lambda v, s: kept.get((v, s)))
    assert equity == D("110.25") and fake.reads == 0


async def test_an_asset_without_a_kept_mid_is_valued_at_the_book_read_now() -> None:
    fake = BookOnly()
    kept = {("kraken", "BTC/USD"): D("200")}
    balances = {"USD": D(0), "BTC": D(1), "ETH": D(2), "DOGE": D(5)}
    # ETH at the book's mid, 100; DOGE has no market on the venue and is left out.
    equity = await valued(venue(fake), balances, lambda v, s: kept.get((v, s)))
    assert equity == D("400.00") and fake.reads == 1
