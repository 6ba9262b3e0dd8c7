"""Cutting execution's position steps into positions opened and closed (cycles)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from modules.dashboard.domain.positions import Cycle, Step, fold_steps, percent, unrealised
from modules.execution.domain.positions import PositionState, apply_fill

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def steps(*fills: tuple[str, str, str, str]) -> list[Step]:
    """Execution's own fold over (side, price, quantity, fee) fills, as it publishes it."""
    out, state = [], PositionState()
    for n, (side, price, quantity, fee) in enumerate(fills, start=1):
        before = state
        state = apply_fill(state, side, D(price), D(quantity), D(fee))
        out.append(
            Step(
                version=state.version,
                quantity=state.quantity,
                average_entry=state.average_entry,
                realised_total=state.realised_pnl,
                fees_total=state.fees,
                realised_delta=state.realised_pnl - before.realised_pnl,
                at=T0 + timedelta(minutes=n),
            )
        )
    return out


def test_a_round_trip_is_one_closed_position_net_of_both_fees() -> None:
    [cycle] = fold_steps(
        None, None, steps(("buy", "100", "2", "0.2"), ("sell", "110", "2", "0.22"))
    )
    assert (cycle.side, cycle.status, cycle.open_version, cycle.close_version) == (
        "long",
        "closed",
        1,
        2,
    )
    assert cycle.realised_pnl == D("19.58") and cycle.fees == D("0.42")
    assert (cycle.peak_quantity, cycle.entry_price, cycle.quantity) == (D(2), D(100), D(0))
    assert cycle.closed_at == T0 + timedelta(minutes=2)
    assert cycle.outcome() == "win"


def test_partial_exits_stay_one_position_until_it_is_flat() -> None:
    fills = [("buy", "100", "1", "0.1"), ("buy", "120", "1", "0.12"), ("sell", "130", "0.5", "0")]
    [open_] = fold_steps(None, None, steps(*fills))
    assert (open_.status, open_.quantity, open_.peak_quantity) == ("open", D("1.5"), D(2))
    assert open_.entry_price == D(110)
    # 0.5 sold 20 over the entry, less both buys' fees.
    assert open_.realised_pnl == D("9.78") and open_.fees == D("0.22")


def test_reopening_after_a_close_starts_a_new_position_with_its_own_figures() -> None:
    all_steps = steps(("buy", "100", "1", "1"), ("sell", "90", "1", "1"), ("buy", "50", "3", "0.5"))
    first, second = fold_steps(None, None, all_steps)
    assert (first.realised_pnl, first.fees, first.outcome()) == (D(-12), D(2), "loss")
    assert (second.open_version, second.status, second.realised_pnl, second.fees) == (
        3,
        "open",
        D("-0.5"),
        D("0.5"),
    )


def test_a_flip_closes_the_long_with_the_whole_fill_and_opens_a_short_at_its_price() -> None:
    long_, short = fold_steps(
        None, None, steps(("buy", "100", "1", "0.1"), ("sell", "105", "3", "0.3"))
    )
    assert (long_.status, long_.close_version, long_.realised_pnl, long_.fees) == (
        "closed",
        2,
        D("4.6"),
        D("0.4"),
    )
    assert (short.side, short.open_version, short.quantity, short.entry_price) == (
        "short",
        2,
        D(-2),
        D(105),
    )
    assert (short.realised_pnl, short.fees) == (D(0), D(0))


def test_folding_on_from_the_open_position_gives_what_folding_everything_gives() -> None:
    everything = steps(
        ("sell", "100", "2", "0.2"),
        ("sell", "94", "1", "0.1"),
        ("buy", "80", "3", "0.3"),
        ("buy", "85", "1", "0"),
    )
    whole = fold_steps(None, None, everything)
    [head] = fold_steps(None, None, everything[:2])
    assert fold_steps(head, None, everything[2:]) == whole
    assert whole[0].side == "short" and whole[0].realised_pnl == D(54) - D("0.6")


def test_a_step_whose_predecessor_is_unknown_opens_as_it_looks() -> None:
    later = steps(("buy", "100", "1", "0.1"), ("buy", "100", "1", "0.1"))[1]
    [cycle] = fold_steps(None, None, [later])
    assert (cycle.open_version, cycle.realised_pnl, cycle.fees) == (2, D("-0.1"), D("0.1"))
    # Known to follow the other side, the same step is a flip whose close lies outside.
    [flipped] = fold_steps(None, D(-1), [later])
    assert (flipped.realised_pnl, flipped.fees) == (D(0), D(0))


def test_unrealised_and_percentages() -> None:
    assert unrealised(D(-2), D(100), D(90)) == D(20)
    assert unrealised(D(1), D(100), None) == 0 and unrealised(D(0), D(100), D(1)) == 0
    assert unrealised(D("0.123"), D("100.1"), D("100.2")) == D("0.0123")
    assert percent(D(1), D(3)) == D("33.33") and percent(D(1), D(0)) is None


@pytest.mark.parametrize("pnl,expected", [(D(1), "win"), (D(-1), "loss"), (D(0), None)])
def test_only_a_closed_position_has_an_outcome(pnl: D, expected: str | None) -> None:
    base = fold_steps(None, None, steps(("buy", "1", "1", "0")))[0]
    closed = Cycle(**{**_fields(base), "status": "closed", "realised_pnl": pnl})
    assert closed.outcome() == expected
    assert Cycle(**{**_fields(base), "realised_pnl": D(5)}).outcome() is None


def _fields(cycle: Cycle) -> dict[str, object]:
    return {name: getattr(cycle, name) for name in cycle.__struct_fields__}
