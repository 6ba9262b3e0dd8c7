"""Folding fills into a position: average entry, realised P&L net of fees, flips."""

from __future__ import annotations

from decimal import Decimal

from modules.routing.domain.positions import Folded, PositionState, fold_fill

D = Decimal
FLAT = PositionState(quantity=D(0), average_price=D(0), realized_pnl=D(0), fees=D(0))


def fold(state: PositionState, side: str, quantity: str, price: str, fee: str = "0") -> Folded:
    return fold_fill(state, side, D(quantity), D(price), D(fee))


def test_a_buy_from_flat_opens_a_long_at_the_fill_price_and_the_fee_is_a_loss() -> None:
    folded = fold(FLAT, "buy", "2", "100", "0.2")
    assert folded.state == PositionState(
        quantity=D(2), average_price=D(100), realized_pnl=D("-0.2"), fees=D("0.2")
    )
    assert folded.realized_delta == D("-0.2")


def test_a_sell_from_flat_opens_a_short() -> None:
    folded = fold(FLAT, "sell", "1", "50")
    assert (folded.state.quantity, folded.state.average_price) == (D(-1), D(50))


def test_adding_to_a_position_averages_the_entry() -> None:
    long = fold(FLAT, "buy", "1", "100").state
    folded = fold(long, "buy", "3", "120")
    assert (folded.state.quantity, folded.state.average_price) == (D(4), D(115))
    assert folded.realized_delta == 0


def test_a_partial_close_realises_on_the_closed_part_and_keeps_the_entry() -> None:
    long = fold(FLAT, "buy", "4", "100").state
    folded = fold(long, "sell", "1", "110", "0.5")
    assert folded.state.quantity == D(3)
    assert folded.state.average_price == D(100)
    assert folded.realized_delta == D("9.5")  # 1 x (110 - 100) - 0.5
    assert (folded.state.realized_pnl, folded.state.fees) == (D("9.5"), D("0.5"))


def test_a_full_close_leaves_a_flat_position_with_no_entry() -> None:
    short = fold(FLAT, "sell", "2", "100").state
    folded = fold(short, "buy", "2", "90")
    assert (folded.state.quantity, folded.state.average_price) == (D(0), D(0))
    assert folded.realized_delta == D(20)  # a short gains when the price falls


def test_a_fill_beyond_the_position_flips_it_at_the_fill_price() -> None:
    long = fold(FLAT, "buy", "1", "100").state
    folded = fold(long, "sell", "3", "80", "0.3")
    assert (folded.state.quantity, folded.state.average_price) == (D(-2), D(80))
    assert folded.realized_delta == D("-20.3")  # only the closed unit realises


def test_realised_pnl_and_fees_accumulate_over_fills() -> None:
    state = FLAT
    for side, quantity, price, fee in [
        ("buy", "2", "100", "0.1"),
        ("sell", "1", "105", "0.1"),
        ("sell", "1", "95", "0.1"),
    ]:
        state = fold(state, side, quantity, price, fee).state
    assert state.quantity == 0
    assert state.fees == D("0.3")
    assert state.realized_pnl == D(5) - D(5) - D("0.3")
