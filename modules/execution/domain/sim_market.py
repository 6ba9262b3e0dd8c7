"""The simulated market: venue profiles, a seeded price model, order-book generation, matching,
and the rules a simulated exchange applies to a request (validation, key permissions, faults).

Everything here is a pure function of (seed, venue, symbol, time), so every replica and every
process computes the same mid price and the same book at the same instant without talking to
each other. The venue itself (its state, its fee rates from ccxt) is adapters/sim_venue/.
Trends, ranges and volatility bursts (the regimes) are domain/sim_regimes.py; OHLCV bars built
from this model are domain/sim_bars.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from typing import Literal

import msgspec

from modules.execution.domain.sim_regimes import noise_scale, trend_offset
from modules.execution.domain.sim_regimes import unit as _unit
from modules.execution.domain.venue import (
    Level,
    OrderRequest,
    OrderType,
    Side,
    VenueOrderStatus,
    VenueRejected,
)

QTY_STEP = Decimal("0.00000001")
FEE_STEP = Decimal("0.00000001")


class SymbolSpec(msgspec.Struct, frozen=True, kw_only=True):
    base_price: float
    price_tick: Decimal
    # Base-currency size of the best level of a venue with depth factor 1.
    level_size: float
    min_quantity: Decimal


class VenueProfile(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    spread_bps: float
    level_step_bps: float
    levels: int
    depth: float
    latency_ms: float
    symbols: tuple[str, ...]


SYMBOLS: dict[str, SymbolSpec] = {
    "BTC/USD": SymbolSpec(
        base_price=65000.0,
        price_tick=Decimal("0.01"),
        level_size=0.5,
        min_quantity=Decimal("0.00001"),
    ),
    "ETH/USD": SymbolSpec(
        base_price=3200.0,
        price_tick=Decimal("0.01"),
        level_size=8.0,
        min_quantity=Decimal("0.0001"),
    ),
    "SOL/USD": SymbolSpec(
        base_price=150.0,
        price_tick=Decimal("0.001"),
        level_size=150.0,
        min_quantity=Decimal("0.01"),
    ),
    "XRP/USD": SymbolSpec(
        base_price=0.6,
        price_tick=Decimal("0.00001"),
        level_size=40000.0,
        min_quantity=Decimal("1"),
    ),
}

# Shapes chosen to resemble each venue's public books for a US retail account: Coinbase tight
# and close but shallow, Kraken in between, Binance deepest but furthest away.
PROFILES: dict[str, VenueProfile] = {
    "coinbase": VenueProfile(
        name="coinbase",
        spread_bps=4.0,
        level_step_bps=1.5,
        levels=10,
        depth=0.5,
        latency_ms=70.0,
        symbols=("BTC/USD", "ETH/USD", "SOL/USD"),
    ),
    "kraken": VenueProfile(
        name="kraken",
        spread_bps=3.0,
        level_step_bps=1.2,
        levels=12,
        depth=0.8,
        latency_ms=110.0,
        symbols=("BTC/USD", "ETH/USD", "SOL/USD", "XRP/USD"),
    ),
    "binance": VenueProfile(
        name="binance",
        spread_bps=2.0,
        level_step_bps=1.0,
        levels=15,
        depth=1.2,
        latency_ms=160.0,
        symbols=("BTC/USD", "ETH/USD", "SOL/USD", "XRP/USD"),
    ),
}

# (period in seconds, amplitude in log-price): summed value noise at several time scales, an
# O(1)-in-time stand-in for a random walk that any process can evaluate for any instant.
_OCTAVES: tuple[tuple[float, float], ...] = (
    (4.0, 0.0002),
    (45.0, 0.0008),
    (600.0, 0.003),
    (7200.0, 0.01),
    (86400.0, 0.03),
)
# Octaves up to this period are the short-term noise a regime amplifies (bursts) or damps.
_SHORT_PERIOD = 600.0
# Venues quote slightly different mids (a few bps), drifting on this period.
_VENUE_DRIFT = (30.0, 0.0002)
# Where a simulated market running faster than real time starts (2024-01-01T00:00:00Z).
SIM_EPOCH = 1_704_067_200.0


def _smooth_noise(seed: int, key: str, period: float, t: float) -> float:
    position = t / period
    index = math.floor(position)
    frac = position - index
    weight = frac * frac * (3.0 - 2.0 * frac)
    start = _unit(seed, key, period, index)
    end = _unit(seed, key, period, index + 1)
    return start + (end - start) * weight


def mid_price(seed: int, venue: str, symbol: str, t: float) -> float:
    """The venue's mid for `symbol` at unix time `t` (deterministic in all arguments)."""
    spec = SYMBOLS[symbol]
    short = noise_scale(seed, symbol, t)
    log_move = trend_offset(seed, symbol, t)
    for period, amp in _OCTAVES:
        scale = short if period <= _SHORT_PERIOD else 1.0
        log_move += scale * amp * _smooth_noise(seed, symbol, period, t)
    period, amp = _VENUE_DRIFT
    log_move += amp * _smooth_noise(seed, f"{venue}:{symbol}", period, t)
    return spec.base_price * math.exp(log_move)


def market_time(wall: float, started: float, speed: float) -> float:
    """The simulated market's clock at wall time `wall` for a process started at `started`.

    At speed 1 it is the wall clock itself, so every replica quotes the same market. Faster (or
    slower) markets start at `SIM_EPOCH` when the process starts: reproducible from run to run,
    but each process then runs its own market.
    """
    if speed == 1.0:
        return wall
    return SIM_EPOCH + (wall - started) * speed


def _level_size(seed: int, profile: VenueProfile, symbol: str, side: Side, index: int) -> Decimal:
    spec = SYMBOLS[symbol]
    jitter = 0.75 + 0.25 * (_unit(seed, profile.name, symbol, side, index) + 1.0)
    size = spec.level_size * profile.depth * (1.0 + 0.35 * index) * jitter
    return Decimal(repr(size)).quantize(QTY_STEP, rounding=ROUND_DOWN)


def build_levels(
    seed: int, profile: VenueProfile, symbol: str, t: float
) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
    """Undisturbed (bids, asks) at time `t`, best first; sizes are fixed per level."""
    spec = SYMBOLS[symbol]
    mid = mid_price(seed, profile.name, symbol, t)
    half = profile.spread_bps / 2e4
    step = profile.level_step_bps / 1e4
    bids: list[Level] = []
    asks: list[Level] = []
    for i in range(profile.levels):
        offset = half + step * i
        bid = Decimal(repr(mid * (1.0 - offset))).quantize(spec.price_tick, rounding=ROUND_FLOOR)
        ask = Decimal(repr(mid * (1.0 + offset))).quantize(spec.price_tick, rounding=ROUND_CEILING)
        bids.append(Level(bid, _level_size(seed, profile, symbol, "sell", i)))
        asks.append(Level(ask, _level_size(seed, profile, symbol, "buy", i)))
    return tuple(bids), tuple(asks)


def deplete(levels: Sequence[Level], consumed: Decimal) -> tuple[Level, ...]:
    """Remove `consumed` size from the best levels (recent trades not yet replenished)."""
    out: list[Level] = []
    left = consumed
    for level in levels:
        if left >= level.size:
            left -= level.size
            continue
        out.append(Level(level.price, level.size - left) if left > 0 else level)
        left = Decimal(0)
    return tuple(out)


def crossing_fills(
    levels: Sequence[Level], side: Side, quantity: Decimal, limit_price: Decimal | None
) -> list[tuple[Decimal, Decimal]]:
    """(price, size) taken from the opposite side's `levels` by an incoming order."""
    fills: list[tuple[Decimal, Decimal]] = []
    remaining = quantity
    for level in levels:
        if remaining <= 0:
            break
        if limit_price is not None and (
            (side == "buy" and level.price > limit_price)
            or (side == "sell" and level.price < limit_price)
        ):
            break
        take = min(level.size, remaining)
        fills.append((level.price, take))
        remaining -= take
    return fills


def trade_fee(price: Decimal, size: Decimal, rate: Decimal) -> Decimal:
    return (price * size * rate).quantize(FEE_STEP)


def match_status(order_type: OrderType, quantity: Decimal, filled: Decimal) -> VenueOrderStatus:
    """A market order's unfilled rest is cancelled; a limit order's rests on the book."""
    if filled >= quantity:
        return "filled"
    return "expired" if order_type == "market" else "open"


def check_order(venue: str, symbols: frozenset[str], request: OrderRequest) -> None:
    """The venue's filters: a listed symbol, 8 decimals, its minimum size, a positive limit."""
    check_symbol(venue, symbols, request.symbol)
    spec = SYMBOLS[request.symbol]
    if request.quantity != request.quantity.quantize(QTY_STEP):
        raise VenueRejected("invalid_quantity", "quantity has more than 8 decimal places")
    if request.quantity < spec.min_quantity:
        raise VenueRejected(
            "order_too_small", f"minimum order size on {venue} is {spec.min_quantity}"
        )
    if request.order_type == "limit" and (request.limit_price or 0) <= 0:
        raise VenueRejected("invalid_price", "a limit order needs a positive limit price")


def check_symbol(venue: str, symbols: frozenset[str], symbol: str) -> None:
    if symbol not in symbols:
        raise VenueRejected("unknown_symbol", f"{venue} does not list {symbol}")


# -- API keys and injected faults --------------------------------------------------------------
Fault = Literal["rate_limited", "unavailable", "timeout_placed", "timeout_lost"]


class SimFaults(msgspec.Struct, frozen=True, kw_only=True):
    """Probabilities (0..1) that a request fails in each way; they are drawn in this order."""

    error_rate: float = 0.0
    timeout_rate: float = 0.0
    rate_limit_rate: float = 0.0
    # Lookups by client order id that fail (503), so an ambiguous order stays unresolved.
    lookup_error_rate: float = 0.0


def fault_for(draw: float, faults: SimFaults) -> Fault | None:
    """Which fault a uniform `draw` in [0, 1) picks: 429, then 503, then a timeout.

    Half of the timeouts happen after the order was placed: the caller hears nothing back
    although the venue acted, the case exactly-once placement has to resolve by a lookup.
    """
    if draw < faults.rate_limit_rate:
        return "rate_limited"
    draw -= faults.rate_limit_rate
    if draw < faults.error_rate:
        return "unavailable"
    draw -= faults.error_rate
    if draw < faults.timeout_rate:
        return "timeout_placed" if draw < faults.timeout_rate / 2 else "timeout_lost"
    return None


def refuses_key(api_key: str, api_secret: str) -> bool:
    """Keys the venue refuses: empty ones, and by convention any `bad-...` key."""
    key = api_key.strip()
    return not key or not api_secret.strip() or key.startswith("bad-")


def permissions(api_key: str) -> list[str]:
    """By convention `ro-...` may only read, `wd-...` may also withdraw, others read and trade."""
    if api_key.startswith("wd-"):
        return ["read", "trade", "withdraw"]
    if api_key.startswith("ro-"):
        return ["read"]
    return ["read", "trade"]


def book_shape(
    seed: int, profile: VenueProfile, symbol: str
) -> tuple[tuple[tuple[Decimal, Decimal], ...], tuple[tuple[Decimal, Decimal], ...]]:
    """(bids, asks) of `build_levels` as (distance from the mid, size), best first: the same
    at every instant, so a backtest can rebuild the book around any mid (to within a tick)."""
    half = profile.spread_bps / 2e4
    step = profile.level_step_bps / 1e4
    offsets = [Decimal(repr(half + step * i)) for i in range(profile.levels)]
    bids = tuple(
        (off, _level_size(seed, profile, symbol, "sell", i)) for i, off in enumerate(offsets)
    )
    asks = tuple(
        (off, _level_size(seed, profile, symbol, "buy", i)) for i, off in enumerate(offsets)
    )
    return bids, asks
