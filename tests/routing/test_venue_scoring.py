"""The venue scorer on its own: eligibility rules and the cost model, on hand-made books."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from modules.routing.adapters.venue_scoring import Intent, Quote, VenueScorer

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
) -> Quote:
    half = D(spread) / 2
    bids = tuple((D(mid) - half - D(step) * i, D(size)) for i in range(levels))
    asks = tuple((D(mid) + half + D(step) * i, D(size)) for i in range(levels))
    return Quote(
        venue=venue,
        symbol="BTC/USD",
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


def market(side: str, quantity: str) -> Intent:
    return Intent(symbol="BTC/USD", side=side, order_type="market", quantity=D(quantity))  # type: ignore[arg-type]


SCORER = VenueScorer(max_book_age=timedelta(seconds=5))


def test_cost_factors_match_the_book_walk() -> None:
    # 15 units: 10 at 100.01 and 5 at 100.02, against a mid of 100.
    decision = SCORER.score(market("buy", "15"), [quote("a")], {"a"}, NOW)
    chosen = decision.chosen
    assert chosen is not None and chosen.venue == "a"
    notional = D("10") * D("100.01") + D("5") * D("100.02")
    assert chosen.fee == (notional * D("0.001")).quantize(D("1e-8"))
    assert chosen.slippage == notional - D("100") * 15
    risk = 100 * 15 * 1e-4 * math.sqrt(0.1)
    assert float(chosen.latency_risk or 0) == pytest.approx(risk, abs=1e-8)
    assert chosen.expected_cost == chosen.fee + chosen.slippage + chosen.latency_risk
    assert chosen.expected_price == (notional / 15).quantize(D("1e-8"))


def test_sell_walks_the_bids() -> None:
    chosen = SCORER.score(market("sell", "15"), [quote("a")], {"a"}, NOW).chosen
    assert chosen is not None
    notional = D("10") * D("99.99") + D("5") * D("99.98")
    assert chosen.slippage == D("100") * 15 - notional
    assert chosen.expected_price is not None and chosen.expected_price < D("100")


def test_lowest_fee_wins_on_equal_books() -> None:
    quotes = [
        quote("dear", taker="0.006"),
        quote("cheap", taker="0.001"),
        quote("mid", taker="0.0026"),
    ]
    decision = SCORER.score(market("buy", "1"), quotes, {"dear", "cheap", "mid"}, NOW)
    assert decision.chosen is not None and decision.chosen.venue == "cheap"
    assert [c.venue for c in decision.candidates] == ["cheap", "mid", "dear"]


def test_slippage_on_a_thin_book_can_outweigh_a_lower_fee() -> None:
    thin = quote("thin", taker="0.001", size="2.5", step="0.5", levels=10)
    deep = quote("deep", taker="0.002", size="50")
    decision = SCORER.score(market("buy", "10"), [thin, deep], {"thin", "deep"}, NOW)
    costs = {c.venue: c for c in decision.candidates}
    assert (costs["thin"].fee or 0) < (costs["deep"].fee or 0)
    assert decision.chosen is not None and decision.chosen.venue == "deep"


def test_lower_latency_wins_when_everything_else_is_equal() -> None:
    quotes = [quote("far", latency_ms=300), quote("near", latency_ms=20)]
    decision = SCORER.score(market("buy", "1"), quotes, {"far", "near"}, NOW)
    assert decision.chosen is not None and decision.chosen.venue == "near"


def test_ineligible_venues_carry_their_reason() -> None:
    quotes = [
        quote("nocreds", taker="0"),
        quote("stale", taker="0", age=6),
        quote("shallow", taker="0", size="1"),  # 5 units deep: under 2x an order of 3
        quote("ok", taker="0.01"),
    ]
    credentialed = {"stale", "shallow", "ok", "unlisted"}
    decision = SCORER.score(market("buy", "3"), quotes, credentialed, NOW)
    reasons = {c.venue: (c.eligible, c.reason) for c in decision.candidates}
    assert reasons == {
        "ok": (True, None),
        "nocreds": (False, "no_credentials"),
        "stale": (False, "stale_market_data"),
        "shallow": (False, "insufficient_liquidity"),
        "unlisted": (False, "not_listed"),
    }
    assert decision.chosen is not None and decision.chosen.venue == "ok"
    # Costs are still shown where the book could have taken the order, to explain the choice.
    by_venue = {c.venue: c for c in decision.candidates}
    assert by_venue["nocreds"].expected_cost is not None
    assert by_venue["unlisted"].expected_cost is None


def test_exactly_twice_the_order_is_enough_liquidity() -> None:
    decision = SCORER.score(market("buy", "25"), [quote("a")], {"a"}, NOW)
    assert decision.chosen is not None
    decision = SCORER.score(market("buy", "25.00000001"), [quote("a")], {"a"}, NOW)
    assert decision.chosen is None


def test_limit_order_pays_taker_on_what_crosses_and_maker_on_the_rest() -> None:
    intent = Intent(
        symbol="BTC/USD", side="buy", order_type="limit", quantity=D("15"), limit_price=D("100.01")
    )
    chosen = SCORER.score(intent, [quote("a")], {"a"}, NOW).chosen
    assert chosen is not None
    # 10 cross at 100.01; 5 rest at the limit.
    assert chosen.fee == (
        D("10") * D("100.01") * D("0.001") + D("5") * D("100.01") * D("0.0005")
    ).quantize(D("1e-8"))
    assert chosen.slippage == D("10") * D("0.01")
    assert chosen.expected_price == D("100.01")


def test_limit_far_from_the_market_has_no_slippage() -> None:
    intent = Intent(
        symbol="BTC/USD", side="sell", order_type="limit", quantity=D("1"), limit_price=D("150")
    )
    chosen = SCORER.score(intent, [quote("a")], {"a"}, NOW).chosen
    assert chosen is not None
    assert chosen.slippage == 0
    assert chosen.fee == D("150") * D("0.0005")
