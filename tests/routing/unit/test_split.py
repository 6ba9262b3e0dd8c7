"""Splitting an order too big for one venue: capacity, cheapest first, and when not to split."""

from __future__ import annotations

from datetime import timedelta

from modules.routing.domain.split import plan_split
from modules.routing.domain.venue_scoring import Intent, Quote, VenueScorer, VenueStats
from tests.routing.unit.books import NOW, D, market, quote

SCORER = VenueScorer(max_book_age=timedelta(seconds=5))  # 100 bps slippage limit, 2x cover


def split(
    intent: Intent,
    quotes: list[Quote],
    credentialed: set[str] | None = None,
    stats: dict[str, VenueStats] | None = None,
    exclude: frozenset[str] = frozenset(),
) -> list[tuple[str, D]] | None:
    held = {q.venue for q in quotes} if credentialed is None else credentialed
    full = SCORER.score(intent, quotes, held, NOW, stats or {}, exclude)
    children = plan_split(SCORER, intent, full, quotes, held, NOW, stats or {}, exclude)
    if children is None:
        return None
    for child in children:
        assert child.decision.chosen is not None and child.decision.chosen.eligible
        assert child.intent.side == intent.side and child.intent.symbol == intent.symbol
    return [(c.decision.chosen.venue, c.intent.quantity) for c in children if c.decision.chosen]


def test_each_venue_takes_up_to_half_its_book_cheapest_first() -> None:
    # 50 units a side on each book, all within 1 % of the mid: a venue can take 25 (2x cover).
    quotes = [quote("dear", taker="0.003"), quote("cheap", taker="0.001")]
    assert split(market("buy", "40"), quotes) == [("cheap", D(25)), ("dear", D(15))]


def test_exactly_what_two_venues_can_take_is_split_and_a_unit_more_is_not() -> None:
    quotes = [quote("a"), quote("b", taker="0.002")]
    assert split(market("buy", "50"), quotes) == [("a", D(25)), ("b", D(25))]
    assert split(market("buy", "50.00000001"), quotes) is None


def test_no_split_when_one_venue_could_take_it_all() -> None:
    assert split(market("buy", "20"), [quote("a"), quote("b")]) is None


def test_only_liquidity_within_the_slippage_limit_counts() -> None:
    # Levels 0.5 apart: 100.01 and 100.51 sit within 1 % of the mid, 101.01 does not.
    # So that venue can take 20, not the 25 its whole book would allow.
    quotes = [quote("wide", step="0.5"), quote("b")]
    assert split(market("buy", "45"), quotes) == [("b", D(25)), ("wide", D(20))]
    assert split(market("buy", "45.00000001"), quotes) is None


def test_venues_without_credentials_stale_or_failed_are_never_used() -> None:
    quotes = [quote("a", taker="0"), quote("b"), quote("stale", taker="0", age=10)]
    assert split(market("buy", "40"), quotes, credentialed={"a", "stale"}) is None
    assert split(market("buy", "40"), quotes, exclude=frozenset({"a"})) is None
    assert split(market("buy", "40"), [*quotes, quote("c")], exclude=frozenset({"a"})) == [
        ("b", D(25)),
        ("c", D(15)),
    ]


def test_a_sell_splits_over_the_bids() -> None:
    quotes = [quote("a", taker="0.002"), quote("b", taker="0.001")]
    assert split(market("sell", "30"), quotes) == [("b", D(25)), ("a", D(5))]
