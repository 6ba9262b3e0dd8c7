"""Statistics over days (win rate, profit factor, Sharpe, drawdown) and days in a time zone."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from modules.dashboard.domain import stats
from modules.dashboard.domain.days import day_start, days, first_day, local_day
from modules.dashboard.domain.stats import DayFigures


def test_win_rate_counts_closed_positions_and_profit_factor_needs_a_loser() -> None:
    assert stats.win_rate(2, 3) == D("66.67")
    assert stats.win_rate(0, 0) is None
    assert stats.profit_factor(D(30), D(12)) == D("2.5000")
    assert stats.profit_factor(D(30), D(0)) is None


def test_sharpe_is_the_annualised_mean_over_the_sample_deviation_of_daily_returns() -> None:
    pnls = [D(100), D(-50), D(0), D(200)]
    result = stats.sharpe(D(10_000), pnls)
    equity, returns = 10_000.0, []
    for pnl in (100.0, -50.0, 0.0, 200.0):
        returns.append(pnl / equity)
        equity += pnl
    expected = statistics.mean(returns) / statistics.stdev(returns) * math.sqrt(365)
    assert result is not None and float(result) == round(expected, 4)


def test_sharpe_needs_two_days_some_variation_and_positive_equity() -> None:
    assert stats.sharpe(D(100), [D(5)]) is None
    assert stats.sharpe(D(100), [D(0), D(0), D(0)]) is None
    assert stats.sharpe(D(0), [D(1), D(2)]) is None
    assert stats.sharpe(D(10), [D(-10), D(5)]) is None  # the second day began at zero


def test_max_drawdown_is_the_largest_fall_from_a_peak_the_start_included() -> None:
    # 1000 -> 1100 -> 900 -> 1200 -> 1000: the fall from 1100 to 900 is the largest.
    curve = stats.equity_curve(D(1000), [D(100), D(-200), D(300), D(-200)])
    assert curve == [D(1100), D(900), D(1200), D(1000)]
    assert stats.max_drawdown(D(1000), curve) == (D(200), D("18.18"))
    assert stats.max_drawdown(D(1000), [D(990)]) == (D(10), D("1.00"))
    assert stats.max_drawdown(D(0), [D(-5), D(-3)]) == (D(5), None)
    assert stats.max_drawdown(D(10), [D(11), D(12)]) == (D(0), None)


def test_a_curve_without_a_starting_equity_is_the_cumulative_pnl() -> None:
    curve = stats.curve(None, [D(5), D(-10), D(2)])
    assert curve.equity == [D(5), D(-5), D(-3)]
    assert (curve.max_drawdown, curve.max_drawdown_pct, curve.sharpe) == (D(10), D("200.00"), None)


def test_days_without_rows_are_zeros_and_totals_add_up() -> None:
    rows = [
        DayFigures(day=date(2026, 1, 2), trades=3, pnl=D(5), closed=1, wins=1, won=D(7)),
        DayFigures(day=date(2026, 1, 4), trades=1, pnl=D(-2), fees=D("0.5"), closed=1, losses=1),
    ]
    filled = stats.zero_filled(rows, date(2026, 1, 1), date(2026, 1, 4))
    assert [d.day.day for d in filled] == [1, 2, 3, 4]
    assert [d.trades for d in filled] == [0, 3, 0, 1]
    total = stats.totals(filled)
    assert (total.trades, total.pnl, total.fees, total.closed, total.wins, total.won) == (
        4,
        D(3),
        D("0.5"),
        2,
        1,
        D(7),
    )


def test_a_day_is_cut_where_the_trader_lives() -> None:
    tokyo, la = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")
    instant = datetime(2026, 3, 1, 20, 30, tzinfo=UTC)
    assert local_day(instant, tokyo) == date(2026, 3, 2)
    assert local_day(instant, la) == date(2026, 3, 1)
    assert day_start(date(2026, 3, 2), tokyo) == datetime(2026, 3, 1, 15, tzinfo=UTC)
    # Half-hour zones and the day the clocks change have their own midnights.
    assert day_start(date(2026, 3, 2), ZoneInfo("Asia/Kolkata")) == datetime(
        2026, 3, 1, 18, 30, tzinfo=UTC
    )
    assert day_start(date(2026, 3, 8), la) == datetime(2026, 3, 8, 8, tzinfo=UTC)
    assert day_start(date(2026, 3, 9), la) == datetime(2026, 3, 9, 7, tzinfo=UTC)


def test_a_period_counts_back_from_today_and_all_starts_at_the_first_data() -> None:
    today = date(2026, 3, 10)
    assert first_day("today", today, None) == today
    assert first_day("7d", today, None) == date(2026, 3, 4)
    assert first_day("30d", today, None) == date(2026, 2, 9)
    assert first_day("all", today, date(2025, 12, 31)) == date(2025, 12, 31)
    assert first_day("all", today, None) == today
    assert len(days(date(2026, 2, 27), date(2026, 3, 1))) == 3
    assert days(today, date(2026, 3, 9)) == []
