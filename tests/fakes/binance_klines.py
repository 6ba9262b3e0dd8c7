"""`GET /api/v3/klines` of the Binance simulator: candles from a deterministic price model.

Binance's format: one array per candle, `[openTime, open, high, low, close, volume, closeTime,
quoteVolume, trades, takerBuyBase, takerBuyQuote, "0"]`, prices and sizes as strings. Candles
start at multiples of the interval; the one under way is included (as Binance does), later
ones are not. `startTime`/`endTime` bound the open times; at most `limit` (default 500, at most
1000) are returned, the earliest first from `startTime`, else the latest.
"""

from __future__ import annotations

import hashlib
import math
from decimal import Decimal
from typing import Any

from tests.fakes.binance_engine import BinanceError, Market, fmt, now_ms

INTERVAL_MS = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000}


def _wave(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**63 - 1.0


def _price(market: Market, at_ms: int, part: str) -> Decimal:
    # A slow swing plus a per-candle jitter: a pure function of the market and the time.
    move = 0.01 * math.sin(at_ms / 3_600_000) + 0.001 * _wave(market.symbol, at_ms, part)
    return (market.mid * Decimal(repr(math.exp(move)))).quantize(market.tick)


def candle(market: Market, interval: str, open_ms: int) -> list[Any]:
    step = INTERVAL_MS[interval]
    prices = [_price(market, open_ms, p) for p in ("open", "a", "b", "close")]
    open_, close = prices[0], prices[-1]
    high, low = max(prices), min(prices)
    volume = (market.level_size * Decimal(repr(2 + _wave(market.symbol, open_ms, "v")))).quantize(
        market.step
    )
    quote = (volume * close).quantize(Decimal("0.00000001"))
    return [
        open_ms,
        fmt(open_),
        fmt(high),
        fmt(low),
        fmt(close),
        fmt(volume),
        open_ms + step - 1,
        fmt(quote),
        10,
        fmt(volume / 2),
        fmt(quote / 2),
        "0",
    ]


def klines(market: Market, params: dict[str, str]) -> list[list[Any]]:
    interval = params.get("interval", "")
    if interval not in INTERVAL_MS:
        raise BinanceError(400, -1120, "Invalid interval.")
    step = INTERVAL_MS[interval]
    limit = min(int(params.get("limit", "500")), 1000)
    current = now_ms() // step * step
    last = min(current, int(params["endTime"]) // step * step) if "endTime" in params else current
    if "startTime" in params:
        first = -(-int(params["startTime"]) // step) * step
        opens = range(first, min(last, first + (limit - 1) * step) + 1, step)
    else:
        opens = range(last - (limit - 1) * step, last + 1, step)
    return [candle(market, interval, open_ms) for open_ms in opens]
