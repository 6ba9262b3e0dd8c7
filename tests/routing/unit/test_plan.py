"""An intent's worth, the refusals when no venue can take it, and the plan's one-line why."""

from __future__ import annotations

from datetime import timedelta

import pytest

from modules.kernel.refusal import Kind, Refused
from modules.routing.domain.plan import (
    Benchmark,
    Plan,
    best_single_venue,
    market_data_unavailable,
    notional,
    shares,
    unroutable,
    why,
)
from modules.routing.domain.split import Child
from modules.routing.domain.venue_scoring import Intent, VenueScorer
from tests.routing.unit.books import NOW, D, market, quote

SCORER = VenueScorer(max_book_age=timedelta(seconds=5))


def test_a_limit_order_is_worth_its_limit_price_a_market_order_the_mean_mid() -> None:
    limit = Intent(
        symbol="BTC/USD", side="buy", order_type="limit", quantity=D(2), limit_price=D(90)
    )
    assert notional(limit, []) == D(180)
    assert notional(market("buy", "2"), [quote("a", mid="100"), quote("b", mid="110")]) == 210


def test_a_market_order_with_no_priced_book_is_refused_for_now() -> None:
    with pytest.raises(Refused) as refused:
        notional(market("buy", "1"), [quote("a", levels=0)])
    assert (refused.value.kind, refused.value.code) == (Kind.UNAVAILABLE, "market_data_unavailable")
    assert refused.value.retry_after == 1


def test_market_data_unavailable_asks_for_a_retry_in_a_second() -> None:
    refused = market_data_unavailable()
    assert (refused.kind.value, refused.code, refused.retry_after) == (
        503,
        "market_data_unavailable",
        1,
    )
    assert refused.reason == "No fresh market data from the venues; retry shortly"


def test_stale_books_everywhere_usable_is_unavailable_market_data() -> None:
    quotes = [quote("a", age=60), quote("b", age=60), quote("nocreds")]
    decision = SCORER.score(market("buy", "1"), quotes, {"a", "b"}, NOW)
    assert unroutable(decision).code == "market_data_unavailable"


def test_otherwise_no_eligible_venue_lists_every_venue_and_why() -> None:
    quotes = [quote("stale", age=60), quote("shallow", size="0.1")]
    decision = SCORER.score(market("buy", "1"), quotes, {"stale", "shallow"}, NOW)
    refused = unroutable(decision)
    assert (refused.kind, refused.code) == (Kind.INVALID, "no_eligible_venue")
    assert refused.reason == "No venue you hold credentials for can take this order now"
    assert refused.errors == [
        {"venue": "stale", "reason": "stale_market_data"},
        {"venue": "shallow", "reason": "insufficient_liquidity"},
    ]
    # Without any credential, nothing usable is stale: not a market data problem.
    assert unroutable(SCORER.score(market("buy", "1"), quotes, set(), NOW)).code == (
        "no_eligible_venue"
    )


def test_why_a_plan_was_chosen() -> None:
    decision = SCORER.score(market("buy", "1"), [quote("a")], {"a"}, NOW)
    assert why(Plan(kind="single", decision=decision)).startswith("a had the lowest score")
    assert why(Plan(kind="twap", decision=decision)) == (
        "twap: above the TWAP notional threshold; sent as equal slices over time"
    )
    children = [Child(intent=market("buy", "1"), decision=decision)] * 2
    assert why(Plan(kind="split", decision=decision, children=children)) == (
        "split: larger than any one venue holds within the slippage limit; 1 on a, 1 on a"
    )


def test_the_best_single_venue_is_the_cheapest_that_could_fill_it_all_alone() -> None:
    held = {"cheap", "dear", "unheld"}
    quotes = [
        quote("dear", taker="0.003"),
        quote("cheap", taker="0.001", latency_ms=100),
        quote("unheld", taker="0"),
    ]
    decision = SCORER.score(market("buy", "2"), quotes, held - {"unheld"}, NOW)
    best = best_single_venue(decision)
    assert best is not None and best.venue == "cheap"
    cheap = next(c for c in decision.candidates if c.venue == "cheap")
    assert best.cost == cheap.expected_cost
    # 30 a side: 40 lacks the 2x cover everywhere but each book could still fill it alone.
    thin = SCORER.score(market("buy", "40"), quotes[:2], {"cheap", "dear"}, NOW)
    assert thin.chosen is None
    best_thin = best_single_venue(thin)
    assert best_thin is not None and best_thin.venue == "cheap"
    # No book holds 60: no single venue could have taken it.
    assert best_single_venue(SCORER.score(market("buy", "60"), quotes, held, NOW)) is None


def test_a_benchmark_shared_among_children_adds_up_to_the_whole() -> None:
    whole = Benchmark(venue="a", cost=D("10.00000001"))
    parts = shares(whole, [D(1), D(1), D(1)])
    assert [p.cost for p in parts] == [D("3.33333334"), D("3.33333334"), D("3.33333333")]
    assert sum(p.cost for p in parts) == whole.cost and {p.venue for p in parts} == {"a"}
    assert [p.cost for p in shares(whole, [D(3)])] == [whole.cost]
