"""Hand-made venue books for the pure routing rules' tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from modules.routing.domain.venue_scoring import Intent, Quote, Side

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
D = Decimal


def quote(
    venue: str,
    *,
    mid: str = "100",
    spread: str = "0.02",
    step: str = "0.01",
    size: str = "10",
    levels: int = 5,
    taker: str = "0.001",
    maker: str = "0.0005",
    latency_ms: float = 100.0,
    age: float = 0.0,
    symbol: str = "BTC/USD",
) -> Quote:
    """`levels` levels of `size` a side, `step` apart, around `mid`."""
    half = D(spread) / 2
    bids = tuple((D(mid) - half - D(step) * i, D(size)) for i in range(levels))
    asks = tuple((D(mid) + half + D(step) * i, D(size)) for i in range(levels))
    return Quote(
        venue=venue,
        symbol=symbol,
        bids=bids,
        asks=asks,
        bid_depth=D(size) * levels,
        ask_depth=D(size) * levels,
        taker_fee=D(taker),
        maker_fee=D(maker),
        latency_ms=latency_ms,
        success_rate=1.0,
        at=NOW - timedelta(seconds=age),
    )


def market(side: Side, quantity: str) -> Intent:
    return Intent(symbol="BTC/USD", side=side, order_type="market", quantity=D(quantity))
