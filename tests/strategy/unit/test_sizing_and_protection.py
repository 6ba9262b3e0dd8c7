"""Sizing by ADX and score, and a position's stop, targets and trailing stop."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from modules.strategy.domain import protection
from modules.strategy.domain.bot import Settings, may_be_the_bots, needs_step_up
from modules.strategy.domain.protection import Guard, after_entry_fill
from modules.strategy.domain.sizing import entry_notional, quantity_for, share_of_equity
from tests.strategy.series import bar


@pytest.mark.parametrize(
    ("adx", "share"),
    [
        (20, 0),
        (21, 2),
        (24.9, 2),
        (25, 4),
        (29.9, 4),
        (30, 6),
        (39, 6),
        (40, 8),
        (49, 8),
        (50, 10),
        (80, 10),
    ],
)
def test_share_of_equity_by_adx_band(adx: float, share: int) -> None:
    assert share_of_equity(D(str(adx))) == share


@pytest.mark.parametrize(("score", "notional"), [(3, 480), (4, 540), (5, 600), (2, 0)])
def test_the_score_scales_the_size(score: int, notional: int) -> None:
    # ADX 35: 6 % of 10,000 = 600.
    got = entry_notional(
        equity=D(10000), adx=D(35), score=score, risk_level="high", max_position=D(10**6)
    )
    assert got == notional


def test_the_maximum_position_and_the_risk_level_cap_the_size() -> None:
    strong = {"equity": D(10000), "adx": D(60), "score": 5}
    assert entry_notional(**strong, risk_level="high", max_position=D(500)) == 500
    assert entry_notional(**strong, risk_level="low", max_position=D(10**6)) == 400
    assert entry_notional(**strong, risk_level="medium", max_position=D(10**6)) == 600


def test_quantity_is_notional_over_close_rounded_down_to_8_decimals() -> None:
    assert quantity_for(D(1000), D(3)) == D("333.33333333")
    assert quantity_for(D(100), D(65000)) == D("0.00153846")
    assert quantity_for(D(0), D(10)) == 0


def guard(**changes: object) -> Guard:
    values: dict[str, object] = {
        "entry_price": D(100),
        "quantity": D(4),
        "exited": D(0),
        "stop": D(96),
        "targets": [D(104), D(108), D(112)],
    }
    values.update(changes)
    return Guard(**values)  # type: ignore[arg-type]


def test_a_low_at_the_stop_sells_everything_left() -> None:
    step = protection.on_bar(
        guard(exited=D(1)), bar(0, 99, 100, 96, 97), D(2), exit_in_flight=False
    )
    assert step.exit == protection.Exit(kind="stop_loss", quantity=D(3), price=D(96))


def test_the_first_target_sells_half_moves_the_stop_to_break_even_and_starts_trailing() -> None:
    step = protection.on_bar(guard(), bar(0, 102, 104, 101, 103), D(2), exit_in_flight=False)
    assert step.exit == protection.Exit(kind="profit_take", quantity=D(2), price=D(104))
    assert step.guard.targets_hit == 1 and step.guard.trailing
    assert step.guard.stop == D(101)  # max(break-even 100, high 104 - 1.5 * 2)


def test_the_second_target_sells_a_quarter_and_the_third_the_rest() -> None:
    second = guard(targets_hit=1, exited=D(2), trailing=True, stop=D(100))
    step = protection.on_bar(second, bar(0, 106, 108, 105, 107), D(2), exit_in_flight=False)
    assert step.exit is not None and step.exit.quantity == D(1)
    third = guard(targets_hit=2, exited=D("2.9"), trailing=True, stop=D(105))
    step = protection.on_bar(third, bar(0, 110, 112, 109, 111), D(2), exit_in_flight=False)
    assert step.exit is not None and step.exit.quantity == D("1.1")  # all that is left


def test_a_bar_reaching_two_targets_sells_both_shares() -> None:
    step = protection.on_bar(guard(), bar(0, 102, 109, 101, 108), D(2), exit_in_flight=False)
    assert step.exit is not None and step.exit.quantity == D(3)
    assert step.guard.targets_hit == 2


def test_the_stop_wins_a_bar_that_reaches_both() -> None:
    step = protection.on_bar(guard(), bar(0, 100, 105, 95, 100), D(2), exit_in_flight=False)
    assert step.exit is not None and step.exit.kind == "stop_loss"


def test_the_trailing_stop_follows_highs_at_1_5_atr_and_never_falls() -> None:
    trailing = guard(targets_hit=1, exited=D(2), trailing=True, stop=D(100))
    up = protection.on_bar(trailing, bar(0, 104, 107, 103, 106), D(2), exit_in_flight=False)
    assert up.exit is None and up.guard.stop == D(104)
    down = protection.on_bar(up.guard, bar(1, 106, 106, 104.5, 105), D(2), exit_in_flight=False)
    assert down.guard.stop == D(104)


def test_nothing_new_is_sold_while_an_exit_is_in_flight() -> None:
    step = protection.on_bar(guard(), bar(0, 99, 100, 90, 91), D(2), exit_in_flight=True)
    assert step.exit is None


def test_targets_are_measured_from_the_fill() -> None:
    assert after_entry_fill(D(96), D(4), D(101)) == [D(106), D(111), D(116)]
    # Filled under the stop: the planned risk keeps the targets above the entry.
    assert after_entry_fill(D(96), D(4), D(95)) == [D(99), D(103), D(107)]


def test_going_live_or_raising_risk_needs_step_up_and_lowering_does_not() -> None:
    base = Settings(
        mode="paper",
        strategy="apex_v71",
        pairs=["BTC/USD"],
        venue="binance",
        timeframe="5m",
        risk_level="medium",
        max_position_usd=D(1000),
        equity_usd=D(10000),
    )
    import msgspec

    def changed(**values: object) -> Settings:
        return msgspec.structs.replace(base, **values)

    assert needs_step_up(base, changed(mode="live"))
    assert needs_step_up(base, changed(max_position_usd=D(1001)))
    assert needs_step_up(base, changed(equity_usd=D(20000)))
    assert needs_step_up(base, changed(risk_level="high"))
    assert not needs_step_up(base, changed(max_position_usd=D(10), risk_level="low"))
    assert not needs_step_up(base, changed(pairs=["ETH/USD"], timeframe="1h"))
    assert not needs_step_up(changed(mode="live"), changed(mode="paper"))


@pytest.mark.parametrize(
    ("source", "may_be"),
    [
        ("bot", True),
        ("tradingview", True),
        (None, True),  # a report from before sources were carried
        ("strategy", True),
        ("trader", False),
        ("kill_switch", False),
    ],
)
def test_only_orders_a_trader_or_a_halt_placed_are_never_the_bots(
    source: str | None, may_be: bool
) -> None:
    assert may_be_the_bots(source) is may_be
