"""The venue scorer on its own: eligibility rules and the cost model, on hand-made books."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from modules.routing.domain.venue_scoring import Intent, VenueScorer, VenueStats, explain
from tests.routing.unit.books import NOW, D, market, quote

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


def test_a_book_exactly_at_the_maximum_age_is_still_fresh() -> None:
    assert SCORER.score(market("buy", "1"), [quote("a", age=5)], {"a"}, NOW).chosen is not None
    stale = SCORER.score(market("buy", "1"), [quote("a", age=5.001)], {"a"}, NOW)
    assert stale.chosen is None and stale.candidates[0].reason == "stale_market_data"


def test_excluded_and_open_breaker_venues_are_not_eligible() -> None:
    quotes = [quote("failed", taker="0"), quote("broken", taker="0"), quote("ok", taker="0.01")]
    stats = {"broken": VenueStats(breaker_open=True)}
    decision = SCORER.score(
        market("buy", "1"), quotes, {"failed", "broken", "ok"}, NOW, stats, exclude={"failed"}
    )
    reasons = {c.venue: c.reason for c in decision.candidates}
    assert reasons == {"ok": None, "failed": "failed_over", "broken": "breaker_open"}
    assert decision.chosen is not None and decision.chosen.venue == "ok"


def test_measured_failures_and_queue_load_add_to_the_score() -> None:
    intent = market("buy", "1")  # notional 100 at the mid
    plain = SCORER.score(intent, [quote("a")], {"a"}, NOW).chosen
    assert plain is not None and plain.score == plain.expected_cost
    stats = {"a": VenueStats(success_rate=0.9, queue_load=3)}
    measured = SCORER.score(intent, [quote("a")], {"a"}, NOW, stats).chosen
    assert measured is not None and plain.expected_cost is not None
    # 10 % failures x 50 bps + 3 queued x 0.5 bps, of a notional of 100.
    assert measured.score == plain.expected_cost + D("0.05") + D("0.015")
    assert (measured.success_rate, measured.queue_load) == (0.9, 3)


def test_a_reliable_venue_can_beat_a_cheaper_failing_one() -> None:
    quotes = [quote("cheap", taker="0.001"), quote("steady", taker="0.002")]
    stats = {"cheap": VenueStats(success_rate=0.5)}
    decision = SCORER.score(market("buy", "1"), quotes, {"cheap", "steady"}, NOW, stats)
    assert decision.chosen is not None and decision.chosen.venue == "steady"


def test_the_book_success_rate_stands_in_until_routing_measured_one() -> None:
    chosen = SCORER.score(market("buy", "1"), [quote("a")], {"a"}, NOW, {}).chosen
    assert chosen is not None and chosen.success_rate == 1.0


def test_explain_names_the_winner_runners_up_and_the_ineligible() -> None:
    quotes = [quote("cheap", taker="0"), quote("dear", taker="0.01"), quote("old", age=60)]
    decision = SCORER.score(market("buy", "1"), quotes, {"cheap", "dear", "old"}, NOW)
    text = explain(decision)
    assert text.startswith("cheap had the lowest score")
    assert "runners-up: dear " in text
    assert text.endswith("not eligible: old (stale_market_data)")
    nothing = SCORER.score(market("buy", "1"), quotes, set(), NOW)
    assert explain(nothing) == "no venue was eligible"
