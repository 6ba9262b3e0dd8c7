"""`CcxtVenue.history`: closed candles through ccxt's `fetch_ohlcv`, paged, against the loopback
Binance simulator's `GET /api/v3/klines` (the same simulator process as test_ccxt_venue.py)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest

from modules.execution.adapters.ccxt_venue.venue import CcxtVenue
from modules.execution.domain.bars import align, utc
from modules.execution.domain.venue import VenueFault, VenueRejected
from modules.execution.ports import ProvidesHistory
from tests.execution.test_ccxt_venue import Sim, make_venue, no_faults, sim
from tests.fakes.binance_engine import MARKETS
from tests.fakes.binance_klines import candle

__all__ = ["no_faults", "sim"]  # the simulator process and its fault reset, shared


@pytest.fixture
async def venue(sim: Sim) -> AsyncIterator[CcxtVenue]:
    venue = make_venue(sim)
    yield venue
    await venue.close()


def _klines_requests(sim: Sim) -> int:
    requests = sim.http.get("/_sim/requests").raise_for_status().json()
    return sum(1 for r in requests if r == "GET /api/v3/klines")


async def test_history_pages_through_fetch_ohlcv_and_keeps_binances_numbers(
    sim: Sim, venue: CcxtVenue
) -> None:
    assert isinstance(venue, ProvidesHistory)
    end = align(time.time(), "1h") - 3600
    start = end - 1500 * 60
    before = _klines_requests(sim)
    bars = await venue.history("BTC/USD", "1m", utc(start), utc(end))
    assert _klines_requests(sim) - before == 2  # 1000 candles a page
    assert [int(b.start.timestamp()) for b in bars] == list(range(start, end, 60))
    for bar in (bars[0], bars[999], bars[1000], bars[-1]):
        raw = candle(MARKETS["BTCUSDT"], "1m", int(bar.start.timestamp()) * 1000)
        assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == tuple(
            Decimal(v) for v in raw[1:6]
        )
        assert bar.symbol == "BTC/USD" and bar.timeframe == "1m"
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high


async def test_the_candle_under_way_is_not_history_yet(venue: CcxtVenue) -> None:
    now = venue.market_now()
    bars = await venue.history("ETH/USD", "5m", now - timedelta(hours=1), now + timedelta(hours=1))
    assert 11 <= len(bars) <= 12
    assert bars[-1].start + timedelta(minutes=5) <= venue.market_now()
    assert all(b.start.timestamp() % 300 == 0 for b in bars)


async def test_an_unlisted_market_is_refused_and_an_outage_is_a_venue_fault(
    sim: Sim, venue: CcxtVenue
) -> None:
    now = venue.market_now()
    with pytest.raises(VenueRejected) as refused:
        await venue.history("SOL/USD", "1h", now - timedelta(days=1), now)
    assert refused.value.code == "unknown_symbol"
    sim.faults(paths=["/api/v3/klines"], next=["5xx"])
    with pytest.raises(VenueFault):
        await venue.history("BTC/USD", "1h", now - timedelta(days=1), now)
