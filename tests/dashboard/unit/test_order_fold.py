"""How one event changes an order's row: forward-only status, attempts, and fill figures."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import product

import pytest

from modules.dashboard.domain.order_fold import (
    TERMINAL,
    fill_record,
    for_attempt,
    merge_accepted,
    merge_expired,
    merge_fill_totals,
    merge_filled,
    merge_rejected,
    merge_routed,
    next_status,
    routed_target,
)
from modules.dashboard.domain.read_model import FillTotals, OrderStatus, Target
from tests.dashboard.unit.factories import (
    T0,
    accepted,
    expired,
    filled,
    order,
    rejected,
    routed,
)

STATUSES: list[OrderStatus] = [
    "routed",
    "accepted",
    "partially_filled",
    "filled",
    "rejected",
    "expired",
]

# ---- status ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "proposed", "expected"),
    [
        ("routed", "accepted", "accepted"),
        ("routed", "filled", "filled"),
        ("accepted", "partially_filled", "partially_filled"),
        ("partially_filled", "filled", "filled"),
        ("partially_filled", "expired", "expired"),
        # A late event never moves the status back.
        ("accepted", "routed", "accepted"),
        ("partially_filled", "accepted", "partially_filled"),
        # Terminal is final, even against another terminal status of the same rank.
        ("filled", "rejected", "filled"),
        ("rejected", "filled", "rejected"),
        ("expired", "filled", "expired"),
        ("filled", "accepted", "filled"),
    ],
)
def test_status_moves_forward_only(
    current: OrderStatus, proposed: OrderStatus, expected: OrderStatus
) -> None:
    assert next_status(current, proposed) == expected


def test_no_status_leaves_a_terminal_one_and_none_goes_back() -> None:
    order_of = {s: i for i, s in enumerate(STATUSES[:4])}
    for current, proposed in product(STATUSES, STATUSES):
        result = next_status(current, proposed)
        assert result in (current, proposed)
        if current in TERMINAL:
            assert result == current
        elif current in order_of and proposed in order_of:
            assert order_of[result] == max(order_of[current], order_of[proposed])
    assert next_status("routed", "routed") == "routed"


# ---- attempts ----------------------------------------------------------------------------------


def test_a_first_decision_is_about_its_own_order() -> None:
    assert routed_target(routed(order_id="o-9")) == Target("o-9", 0)


def test_a_reroute_names_the_order_the_trader_placed() -> None:
    event = routed(order_id="o-1~r2", original_order_id="o-1", attempt=2)
    assert routed_target(event) == Target("o-1", 2)


def test_an_earlier_attempt_no_longer_owns_the_row() -> None:
    assert for_attempt(order(attempt=2), 1) is None


def test_the_current_attempt_folds_into_the_row_as_it_is() -> None:
    row = order(attempt=1, status="accepted")
    assert for_attempt(row, 1) is row


def test_a_later_attempt_resets_what_described_the_failed_one_but_keeps_the_fills() -> None:
    row = order(
        attempt=0,
        status="rejected",
        venue="kraken",
        venue_order_id="K-1",
        reason="venue down (venue_error)",
        filled_quantity=Decimal("0.2"),
        fees=Decimal("0.1"),
    )
    fresh = for_attempt(row, 1)
    assert fresh is not None
    assert (fresh.attempt, fresh.status, fresh.venue, fresh.venue_order_id, fresh.reason) == (
        1,
        "routed",
        None,
        None,
        None,
    )
    assert (fresh.filled_quantity, fresh.fees, fresh.symbol) == (
        Decimal("0.2"),
        Decimal("0.1"),
        "BTC-USD",
    )
    assert row.status == "rejected", "the row passed in is not changed"


# ---- routed, accepted --------------------------------------------------------------------------


def test_routing_fills_in_what_the_order_is_and_keeps_the_earliest_time() -> None:
    blank = order(symbol=None, side=None, order_type=None, quantity=None, venue=None)
    merged = merge_routed(blank, routed(occurred_at=T0 - timedelta(seconds=5)))
    assert (merged.symbol, merged.side, merged.order_type) == ("BTC-USD", "buy", "limit")
    assert (merged.quantity, merged.limit_price) == (Decimal("1"), Decimal("65000"))
    assert merged.venue == "kraken"
    assert merged.created_at == T0 - timedelta(seconds=5)
    later = merge_routed(blank, routed(occurred_at=T0 + timedelta(seconds=5)))
    assert later.created_at == T0


def test_routings_venue_does_not_override_where_execution_placed_it() -> None:
    assert merge_routed(order(venue="binance"), routed(venue="kraken")).venue == "binance"


def test_acceptance_records_the_venue_order_and_never_moves_back() -> None:
    merged = merge_accepted(order(status="routed", venue="kraken"), accepted())
    assert (merged.status, merged.venue, merged.venue_order_id) == ("accepted", "binance", "B-1")
    late = merge_accepted(order(status="partially_filled"), accepted())
    assert late.status == "partially_filled"


# ---- fills -------------------------------------------------------------------------------------


def test_a_fill_is_stored_under_the_id_it_was_reported_for() -> None:
    event = filled(order_id="o-1~r1")
    record = fill_record(event)
    assert (record.order_id, record.fill_id, record.price, record.quantity) == (
        "o-1~r1",
        "f-1",
        Decimal("100"),
        Decimal("0.4"),
    )
    assert (record.fee, record.fee_currency, record.liquidity) == (Decimal("0.1"), "USD", "taker")
    assert record.executed_at == event.occurred_at


def test_venue_cumulative_ahead_of_our_sum_wins() -> None:
    # Fill 2 of 2 arrived first: we have summed 0.3, the venue says 0.7 done at 101.
    event = filled(
        quantity=Decimal("0.3"),
        filled_quantity=Decimal("0.7"),
        remaining_quantity=Decimal("0.3"),
        average_price=Decimal("101"),
    )
    totals = FillTotals(Decimal("0.3"), Decimal("0.2"), Decimal("30.9"))
    merged = merge_filled(order(status="accepted"), event, totals)
    assert (merged.filled_quantity, merged.average_price) == (Decimal("0.7"), Decimal("101"))
    assert merged.fees == Decimal("0.2")
    assert merged.status == "partially_filled"


def test_equal_figures_take_the_venues_average() -> None:
    totals = FillTotals(Decimal("0.4"), Decimal("0.1"), Decimal("40.04"))
    merged = merge_filled(order(), filled(average_price=Decimal("100.1")), totals)
    assert (merged.filled_quantity, merged.average_price) == (Decimal("0.4"), Decimal("100.1"))


def test_our_sum_ahead_of_a_late_cumulative_is_averaged_from_the_notional() -> None:
    # A late fill says 0.4 done; we already summed 1.0 over three fills.
    totals = FillTotals(Decimal("1.0"), Decimal("0.3"), Decimal("100.333333333333"))
    merged = merge_filled(order(status="filled"), filled(), totals)
    assert merged.filled_quantity == Decimal("1.0")
    assert merged.average_price == Decimal("100.3333333333")  # quantized to 10 places
    assert merged.status == "filled", "a late partial fill never undoes filled"


def test_a_fill_completes_what_earlier_events_left_unknown() -> None:
    blank = order(symbol=None, side=None, quantity=None, fee_currency=None)
    totals = FillTotals(Decimal("0.4"), Decimal("0.1"), Decimal("40"))
    merged = merge_filled(blank, filled(side="sell"), totals)
    assert (merged.symbol, merged.side, merged.quantity) == ("BTC-USD", "sell", Decimal("1.0"))
    assert (merged.venue, merged.fee_currency) == ("kraken", "USD")
    known = merge_filled(order(side="buy", quantity=Decimal("2")), filled(side="sell"), totals)
    assert (known.side, known.quantity) == ("buy", Decimal("2"))


def test_the_last_fill_makes_the_order_filled() -> None:
    event = filled(filled_quantity=Decimal("1"), remaining_quantity=Decimal("0"), status="filled")
    totals = FillTotals(Decimal("1"), Decimal("0.2"), Decimal("100"))
    assert merge_filled(order(status="partially_filled"), event, totals).status == "filled"


def test_a_superseded_attempts_fill_counts_without_touching_venue_or_status() -> None:
    row = order(status="accepted", venue="binance", filled_quantity=Decimal("0.2"))
    merged = merge_fill_totals(row, FillTotals(Decimal("0.5"), Decimal("0.3"), Decimal("52")))
    assert (merged.filled_quantity, merged.average_price, merged.fees) == (
        Decimal("0.5"),
        Decimal("104"),
        Decimal("0.3"),
    )
    assert (merged.status, merged.venue) == ("accepted", "binance")


@pytest.mark.parametrize("summed", ["0", "0.1"])
def test_totals_that_lag_the_row_only_update_the_fees(summed: str) -> None:
    row = order(filled_quantity=Decimal("0.2"), average_price=Decimal("99"))
    merged = merge_fill_totals(row, FillTotals(Decimal(summed), Decimal("0.4"), Decimal("10")))
    assert (merged.filled_quantity, merged.average_price) == (Decimal("0.2"), Decimal("99"))
    assert merged.fees == Decimal("0.4")


# ---- rejected, expired -------------------------------------------------------------------------


def test_a_rejection_gives_its_reason_and_code() -> None:
    merged = merge_rejected(order(status="accepted"), rejected(venue="binance"))
    assert merged.status == "rejected"
    assert merged.reason == "Not enough USD (insufficient_funds)"
    assert merged.venue == "binance"


def test_a_late_rejection_of_a_filled_order_changes_neither_status_nor_reason() -> None:
    merged = merge_rejected(order(status="filled", reason=None), rejected())
    assert (merged.status, merged.reason) == ("filled", None)


def test_an_expiry_cancels_the_rest_and_keeps_the_larger_filled_figure() -> None:
    row = order(status="partially_filled", quantity=None, filled_quantity=Decimal("0.5"))
    merged = merge_expired(row, expired(filled_quantity=Decimal("0.3")))
    assert (merged.status, merged.reason) == ("expired", "no liquidity")
    assert merged.filled_quantity == Decimal("0.5")
    assert merged.quantity == Decimal("1.0"), "filled + remaining when the size was unknown"
    grown = merge_expired(order(filled_quantity=Decimal("0.1")), expired())
    assert (grown.filled_quantity, grown.quantity) == (Decimal("0.3"), Decimal("1"))


def test_a_late_expiry_of_a_filled_order_keeps_its_status_and_reason() -> None:
    merged = merge_expired(order(status="filled", reason=None), expired())
    assert (merged.status, merged.reason) == ("filled", None)
