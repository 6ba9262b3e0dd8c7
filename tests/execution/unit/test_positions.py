"""The position fold: average cost, realised P&L, fees apart; no database."""

from __future__ import annotations

from decimal import Decimal

from modules.execution.domain.ids import position_id
from modules.execution.domain.positions import PositionState, apply_fill, status, unrealised

D = Decimal
FLAT = PositionState()


def test_a_buy_from_flat_opens_a_long_at_the_fill_price() -> None:
    state = apply_fill(FLAT, "buy", D(100), D(2), D("0.2"))
    assert state == PositionState(
        quantity=D(2), average_entry=D(100), realised_pnl=D(0), fees=D("0.2")
    )
    assert status(state) == "open"


def test_adding_to_a_long_averages_the_entry() -> None:
    state = apply_fill(apply_fill(FLAT, "buy", D(100), D(1), D(0)), "buy", D(130), D(2), D(0))
    assert state.quantity == D(3)
    assert state.average_entry == D(120)
    assert state.realised_pnl == D(0)


def test_a_partial_close_realises_only_the_closed_part_and_keeps_the_entry() -> None:
    long = apply_fill(FLAT, "buy", D(100), D(4), D(0))
    state = apply_fill(long, "sell", D(110), D(1), D(0))
    assert state.quantity == D(3)
    assert state.average_entry == D(100)
    assert state.realised_pnl == D(10)


def test_closing_exactly_goes_flat_with_no_entry() -> None:
    long = apply_fill(FLAT, "buy", D(100), D(2), D("0.1"))
    state = apply_fill(long, "sell", D(90), D(2), D("0.1"))
    assert state.quantity == D(0)
    assert state.average_entry == D(0)
    assert state.realised_pnl == D(-20)
    assert status(state) == "closed"


def test_crossing_zero_realises_the_long_and_opens_a_short_at_the_fill_price() -> None:
    long = apply_fill(FLAT, "buy", D(100), D(1), D(0))
    state = apply_fill(long, "sell", D(120), D(3), D(0))
    assert state.quantity == D(-2)
    assert state.average_entry == D(120)
    assert state.realised_pnl == D(20)


def test_a_short_profits_when_covered_lower_and_can_cross_back_to_long() -> None:
    short = apply_fill(FLAT, "sell", D(50), D(2), D(0))
    assert short.quantity == D(-2) and short.average_entry == D(50)
    covered = apply_fill(short, "buy", D(40), D(1), D(0))
    assert covered.quantity == D(-1)
    assert covered.average_entry == D(50)
    assert covered.realised_pnl == D(10)
    crossed = apply_fill(covered, "buy", D(45), D(3), D(0))
    assert crossed.quantity == D(2)
    assert crossed.average_entry == D(45)
    assert crossed.realised_pnl == D(15)


def test_adding_to_a_short_averages_the_entry() -> None:
    state = apply_fill(apply_fill(FLAT, "sell", D(10), D(1), D(0)), "sell", D(20), D(1), D(0))
    assert state.quantity == D(-2)
    assert state.average_entry == D(15)


def test_fees_accumulate_apart_from_realised_pnl() -> None:
    state = FLAT
    for side, price in (("buy", D(100)), ("sell", D(100)), ("buy", D(100))):
        state = apply_fill(state, side, price, D(1), D("0.15"))
    assert state.fees == D("0.45")
    assert state.realised_pnl == D(0)  # a round trip at one price realises nothing, fees or not


def test_entry_and_realised_pnl_are_kept_to_eight_decimals() -> None:
    state = apply_fill(apply_fill(FLAT, "buy", D(1), D(1), D(0)), "buy", D(2), D(2), D(0))
    assert state.average_entry == D("1.66666667")
    closed = apply_fill(state, "sell", D(2), D(1), D(0))
    assert closed.realised_pnl == D("0.33333333")


def test_unrealised_marks_what_is_held_at_the_mid() -> None:
    long = PositionState(quantity=D(2), average_entry=D(100))
    short = PositionState(quantity=D(-2), average_entry=D(100))
    assert unrealised(long, D(105)) == D(10)
    assert unrealised(short, D(105)) == D(-10)
    assert unrealised(long, None) == D(0)
    assert unrealised(FLAT, D(105)) == D(0)


def test_a_position_id_is_the_same_for_the_same_user_venue_and_symbol() -> None:
    assert position_id("u1", "kraken", "BTC/USD") == position_id("u1", "kraken", "BTC/USD")
    assert position_id("u1", "kraken", "BTC/USD") != position_id("u1", "binance", "BTC/USD")
    assert position_id("u1", "kraken", "BTC/USD") != position_id("u2", "kraken", "BTC/USD")
