"""Venue scoring: which venue executes an order at the lowest expected total cost.

Pure and synchronous (no I/O, no clock of its own) so it can be unit-tested and benchmarked on
its own; its budget is p99 ≤ 50 µs (`bench/routing.py`). All amounts are in the quote currency.

Eligibility comes first: the user holds a credential for the venue, the venue lists the pair,
its book is fresh, and the book side the order takes holds at least `liquidity_cover` times the
order. Among eligible venues the expected cost is

    fee          taker rate * notional of the part that crosses (maker rate on a resting rest)
    slippage     (walked average price - mid) * crossing quantity, signed against the trader
    latency risk mid * quantity * vol * sqrt(latency)   (how far the price may move in transit)

Each eligible venue's expected cost is then blended with how well the venue has been doing and
how busy it is, into the `score` that picks the winner (ties: the lower latency, then the name):

    score = expected cost + (1 - success rate) * failure cost + queue load * queue cost

where success rate is measured over the venue's last executions of the pair (the book's own
figure until enough are measured), and failure/queue costs are bps of the order's notional.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal, NamedTuple, TypeVar

import msgspec

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit"]
AMOUNT_STEP = Decimal("0.00000001")
# Mid-price volatility per √second; 1e-4 is ≈ 56 % a year, a calm day for BTC.
LATENCY_VOLATILITY = 1e-4
_ZERO = Decimal(0)


class Quote(msgspec.Struct, frozen=True, kw_only=True):
    """A venue's latest book for one symbol, as routing received it."""

    venue: str
    symbol: str
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]
    bid_depth: Decimal
    ask_depth: Decimal
    taker_fee: Decimal
    maker_fee: Decimal
    latency_ms: float
    success_rate: float
    at: datetime

    @property
    def mid(self) -> Decimal | None:
        if not self.bids or not self.asks:
            return None
        return (self.bids[0][0] + self.asks[0][0]) / 2


class Intent(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None = None


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    venue: str
    eligible: bool
    reason: str | None
    fee: Decimal | None = None
    slippage: Decimal | None = None
    latency_risk: Decimal | None = None
    expected_cost: Decimal | None = None
    expected_price: Decimal | None = None
    mid: Decimal | None = None
    liquidity: Decimal | None = None
    taker_fee: Decimal | None = None
    latency_ms: float | None = None
    success_rate: float | None = None
    book_at: datetime | None = None
    liquidity_at_limit: Decimal | None = None
    queue_load: int | None = None
    score: Decimal | None = None


class VenueStats(msgspec.Struct, frozen=True, kw_only=True):
    """What routing measured of a venue for one pair: recent success rate and orders in flight."""

    success_rate: float | None = None
    queue_load: int = 0
    breaker_open: bool = False


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    chosen: Candidate | None
    candidates: tuple[Candidate, ...]


class _BookFacts(NamedTuple):
    mid: Decimal | None
    bid_within: Decimal | None  # size within the slippage limit, for a sell
    ask_within: Decimal | None  # the same for a buy


class _Walk(msgspec.Struct, frozen=True):
    crossing: Decimal
    notional: Decimal


def _walk(levels: Sequence[tuple[Decimal, Decimal]], intent: Intent) -> _Walk:
    limit = intent.limit_price if intent.order_type == "limit" else None
    buy = intent.side == "buy"
    remaining = intent.quantity
    notional = _ZERO
    for price, size in levels:
        if limit is not None and (price > limit if buy else price < limit):
            break
        take = size if size < remaining else remaining
        notional += price * take
        remaining -= take
        if remaining <= 0:
            break
    return _Walk(intent.quantity - remaining, notional)


class _Costs(NamedTuple):
    fee: Decimal
    slippage: Decimal
    latency_risk: Decimal
    expected_cost: Decimal
    expected_price: Decimal
    score: Decimal


_NO_COSTS = _Costs(*(None,) * 6)  # type: ignore[arg-type]
# What the scorer works out once per book (or latency, or success rate) and keeps: an order is
# scored against the same few books as many others until they change.
_MEMO_LIMIT = 4096
K = TypeVar("K")
V = TypeVar("V")


class VenueScorer:
    def __init__(
        self,
        *,
        max_book_age: timedelta,
        liquidity_cover: Decimal = Decimal(2),
        latency_volatility: float = LATENCY_VOLATILITY,
        slippage_limit_bps: Decimal = Decimal(100),
        failure_cost_bps: Decimal = Decimal(50),
        queue_cost_bps: Decimal = Decimal("0.5"),
    ) -> None:
        self._max_age = max_book_age
        self._cover = liquidity_cover
        self._volatility = latency_volatility
        self._slip = slippage_limit_bps / Decimal(10_000)
        self._failure = failure_cost_bps / Decimal(10_000)
        self._queue = queue_cost_bps / Decimal(10_000)
        # Keyed by the quote's id, with the quote kept beside its figures so that id cannot
        # name another quote while the entry lives.
        self._books: dict[int, tuple[Quote, _BookFacts]] = {}
        self._risk_factors: dict[float, Decimal] = {}
        self._decimals: dict[float, Decimal] = {}

    @property
    def liquidity_cover(self) -> Decimal:
        return self._cover

    def score(
        self,
        intent: Intent,
        quotes: Sequence[Quote],
        credentialed: Collection[str],
        now: datetime,
        stats: Mapping[str, VenueStats] | None = None,
        exclude: Collection[str] = (),
    ) -> Decision:
        """Every venue's candidacy for `intent`; `exclude` holds venues that already failed it."""
        stats = stats or {}
        candidates = [
            self._candidate(intent, q, q.venue in credentialed, now, stats.get(q.venue), exclude)
            for q in quotes
        ]
        listed = {q.venue for q in quotes}
        candidates.extend(
            Candidate(venue=venue, eligible=False, reason="not_listed")
            for venue in sorted(set(credentialed) - listed)
        )
        eligible = [c for c in candidates if c.eligible]
        chosen = min(eligible, key=_rank) if eligible else None
        return Decision(chosen=chosen, candidates=tuple(sorted(candidates, key=_display_rank)))

    def _candidate(
        self,
        intent: Intent,
        quote: Quote,
        credentialed: bool,
        now: datetime,
        stats: VenueStats | None,
        exclude: Collection[str],
    ) -> Candidate:
        buy = intent.side == "buy"
        liquidity = quote.ask_depth if buy else quote.bid_depth
        book = self._book(quote)
        mid = book.mid
        reason: str | None = None
        if not credentialed:
            reason = "no_credentials"
        elif quote.venue in exclude:
            reason = "failed_over"
        elif stats is not None and stats.breaker_open:
            reason = "breaker_open"
        elif now - quote.at > self._max_age:
            reason = "stale_market_data"
        elif mid is None or liquidity < intent.quantity * self._cover:
            reason = "insufficient_liquidity"
        success = (
            stats.success_rate
            if stats is not None and stats.success_rate is not None
            else quote.success_rate
        )
        queue_load = stats.queue_load if stats is not None else 0
        costs = _NO_COSTS
        if mid is not None and liquidity >= intent.quantity:
            costs = self._costs(intent, quote, mid, success, queue_load)
        return Candidate(
            venue=quote.venue,
            eligible=reason is None,
            reason=reason,
            fee=costs.fee,
            slippage=costs.slippage,
            latency_risk=costs.latency_risk,
            expected_cost=costs.expected_cost,
            expected_price=costs.expected_price,
            mid=mid,
            liquidity=liquidity,
            taker_fee=quote.taker_fee,
            latency_ms=quote.latency_ms,
            success_rate=success,
            book_at=quote.at,
            liquidity_at_limit=book.ask_within if buy else book.bid_within,
            queue_load=queue_load,
            score=costs.score,
        )

    def _book(self, quote: Quote) -> _BookFacts:
        """The quote's mid and, on each side, the size within the slippage limit of it."""
        kept = self._books.get(id(quote))
        if kept is not None and kept[0] is quote:
            return kept[1]
        mid = quote.mid
        facts = (
            _BookFacts(None, None, None)
            if mid is None
            else _BookFacts(
                mid, self._within_limit(quote, False, mid), self._within_limit(quote, True, mid)
            )
        )
        _keep(self._books, id(quote), (quote, facts))
        return facts

    def _within_limit(self, quote: Quote, buy: bool, mid: Decimal) -> Decimal:
        """Size on the side the order takes, priced within the slippage limit of the mid."""
        bound = mid * (1 + self._slip) if buy else mid * (1 - self._slip)
        total = _ZERO
        for price, size in quote.asks if buy else quote.bids:
            if price > bound if buy else price < bound:
                break
            total += size
        return total

    def _risk_factor(self, latency_ms: float) -> Decimal:
        """How far the price may move, as a share of it, while an order is in transit."""
        factor = self._risk_factors.get(latency_ms)
        if factor is None:
            factor = Decimal(repr(self._volatility * math.sqrt(latency_ms / 1000.0)))
            _keep(self._risk_factors, latency_ms, factor)
        return factor

    def _decimal(self, value: float) -> Decimal:
        exact = self._decimals.get(value)
        if exact is None:
            exact = Decimal(repr(value))
            _keep(self._decimals, value, exact)
        return exact

    def _costs(
        self, intent: Intent, quote: Quote, mid: Decimal, success_rate: float, queue_load: int
    ) -> _Costs:
        buy = intent.side == "buy"
        walk = _walk(quote.asks if buy else quote.bids, intent)
        resting = intent.quantity - walk.crossing
        rest_price = intent.limit_price if intent.limit_price is not None else mid
        fee = walk.notional * quote.taker_fee + rest_price * resting * quote.maker_fee
        moved = walk.notional - mid * walk.crossing
        slippage = moved if buy else -moved
        notional = mid * intent.quantity
        risk = notional * self._risk_factor(quote.latency_ms)
        expected_price = (walk.notional + rest_price * resting) / intent.quantity
        expected_cost = fee + slippage + risk
        score = (
            expected_cost
            + (1 - self._decimal(success_rate)) * notional * self._failure
            + queue_load * notional * self._queue
        )
        return _Costs(
            fee=fee.quantize(AMOUNT_STEP),
            slippage=slippage.quantize(AMOUNT_STEP),
            latency_risk=risk.quantize(AMOUNT_STEP),
            expected_cost=expected_cost.quantize(AMOUNT_STEP),
            expected_price=expected_price.quantize(AMOUNT_STEP),
            score=score.quantize(AMOUNT_STEP),
        )


def _keep(memo: dict[K, V], key: K, value: V) -> None:
    """Remember `value`; a memo that grew past its limit starts again (it only saves work)."""
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value


def _rank(candidate: Candidate) -> tuple[Decimal, float, str]:
    assert candidate.score is not None
    return (candidate.score, candidate.latency_ms or 0.0, candidate.venue)


def explain(decision: Decision) -> str:
    """One sentence on why the winner won, for the route view."""
    chosen = decision.chosen
    if chosen is None:
        return "no venue was eligible"
    others = [c for c in decision.candidates if c.eligible and c.venue != chosen.venue]
    why = (
        f"{chosen.venue} had the lowest score {chosen.score} (expected cost {chosen.expected_cost}"
        f" = fee {chosen.fee} + slippage {chosen.slippage} + latency risk {chosen.latency_risk},"
        f" success rate {chosen.success_rate}, queue {chosen.queue_load})"
    )
    if others:
        why += "; runners-up: " + ", ".join(f"{c.venue} {c.score}" for c in others)
    ineligible = [c for c in decision.candidates if not c.eligible]
    if ineligible:
        why += "; not eligible: " + ", ".join(f"{c.venue} ({c.reason})" for c in ineligible)
    return why


def _display_rank(candidate: Candidate) -> tuple[int, Decimal, str]:
    cost = candidate.score if candidate.score is not None else Decimal("Infinity")
    return (0 if candidate.eligible else 1, cost, candidate.venue)
