"""The backtest engine on crafted series: fills walked from the book, a known trade's P&L to the
cent with both fees, and the report's metrics (drawdown, profit factor, Sharpe, exposure)."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from modules.strategy.domain.backtest import Params, run
from modules.strategy.domain.backtest_report import Point, TradeRecord, report_of
from modules.strategy.domain.fills import FillModel, market_fill
from tests.strategy.series import bar, entry_series

# One level of 1,000 units each side, 10 bps from the mid; a 0.1 % taker fee.
BOOK = FillModel(
    taker_fee=D("0.001"),
    price_tick=D("0.01"),
    min_quantity=D("0.0001"),
    bids=[(D("0.001"), D(1000))],
    asks=[(D("0.001"), D(1000))],
)


def test_a_market_order_walks_the_book_and_pays_the_fee_per_level() -> None:
    book = FillModel(
        taker_fee=D("0.001"),
        price_tick=D("0.01"),
        min_quantity=D("0.001"),
        bids=[(D("0.0001"), D(1)), (D("0.0002"), D(2))],
        asks=[(D("0.0001"), D(1)), (D("0.0002"), D(2))],
    )
    fill = market_fill(book, "buy", D(100), D("1.5"))
    assert fill is not None
    # Asks at 100.01 and 100.02 (rounded up to the tick): 1 + 0.5.
    assert fill.notional == D("100.01") + D("100.02") * D("0.5")
    assert fill.fee == D("0.10001") + D("0.05001")
    assert fill.price == D("100.01333333")  # the average, to 8 decimals like execution
    sold = market_fill(book, "sell", D(100), D(5))
    assert sold is not None and sold.quantity == 3  # the rest of a market order expires
    assert market_fill(book, "buy", D(100), D("0.0001")) is None  # under the venue's minimum


def test_a_stopped_out_trade_costs_the_spread_the_slide_and_both_fees_to_the_cent() -> None:
    bars = entry_series()  # the last bar (06:35, close 112.3) is an APEX entry
    bars += [
        bar(80, 112.4, 112.45, 112.35, 112.42),  # the entry fills at this bar's open
        bar(81, 112.42, 112.5, 50, 60),  # falls through the stop
        bar(82, 95, 96, 94, 95),  # the stop's sell fills at this open
    ]
    params = Params(
        timeframe="5m", start=bars[79].start, equity_usd=D(10000), max_position_usd=D(100)
    )
    report = run(bars, BOOK, params)
    [trade] = report.trades
    quantity = D("0.89047195")  # 100 USD at the signal's close of 112.3, 8 decimals down
    assert trade.quantity == quantity
    assert trade.entry_price == D("112.52")  # ask: 112.4 * 1.001 rounded up to the tick
    assert trade.exit_price == D("94.90")  # bid: 95 * 0.999 rounded down
    assert trade.exit_reason == "stop_loss"
    assert trade.entry_time == bars[80].start and trade.exit_time == bars[82].start
    fees = (D("112.52") * quantity * D("0.001")).quantize(D("1e-8")) + (
        D("94.90") * quantity * D("0.001")
    ).quantize(D("1e-8"))
    assert trade.fees == fees == D("0.18470169")
    assert trade.pnl.quantize(D("0.01")) == D("-15.87")
    assert trade.pnl == ((D("94.90") - D("112.52")) * quantity - fees).quantize(D("1e-8"))
    assert report.net_pnl == trade.pnl
    assert report.final_equity == D(10000) + trade.pnl
    assert report.exposure == D("0.5")  # two bars of the four traded ended holding it
    assert report.win_rate == 0 and report.profit_factor == 0


def test_a_position_still_open_after_the_last_bar_is_sold_at_its_close() -> None:
    bars = [*entry_series(), bar(80, 112.4, 112.45, 112.35, 112.42)]
    params = Params(
        timeframe="5m", start=bars[79].start, equity_usd=D(10000), max_position_usd=D(100)
    )
    report = run(bars, BOOK, params)
    [trade] = report.trades
    assert trade.exit_reason == "end_of_test"
    assert trade.exit_price == D("112.30")  # bid at the last close 112.42: 112.30758 down


def test_nothing_is_traded_during_the_warm_up() -> None:
    bars = entry_series()
    params = Params(timeframe="5m", start=bars[-1].start + timedelta(minutes=5), equity_usd=D(1))
    report = run(bars, BOOK, params)
    assert report.trades == [] and report.bars == 0 and report.net_pnl == 0


T = datetime(2030, 1, 1, tzinfo=UTC)


def _trade(pnl: int) -> TradeRecord:
    return TradeRecord(
        entry_time=T,
        entry_price=D(1),
        quantity=D(1),
        exit_time=T,
        exit_price=D(1),
        exit_reason="ema_cross",
        fees=D(0),
        pnl=D(pnl),
        exits=[],
    )


def test_drawdown_profit_factor_win_rate_exposure_and_sharpe() -> None:
    equities = [110, 99, 120, 108, 108]
    curve = [Point(T + timedelta(minutes=5 * i), D(e)) for i, e in enumerate(equities)]
    report = report_of(
        trades=[_trade(30), _trade(-10), _trade(-5)],
        curve=curve,
        starting_equity=D(100),
        bars_held=2,
        bar_seconds=300,
    )
    assert report.max_drawdown == 12  # 120 -> 108 beats 110 -> 99 in USD
    assert report.max_drawdown_pct == D("0.1000")  # 110 -> 99 is the deeper fall: 10 %
    assert report.profit_factor == D(2)  # 30 / 15
    assert report.win_rate == D("0.3333")
    assert report.exposure == D("0.4")
    assert report.net_pnl == 8 and report.periods_per_year == 105_120
    returns = [b / a - 1 for a, b in zip([100, *equities], equities, strict=False)]
    expected = statistics.mean(returns) / statistics.stdev(returns) * math.sqrt(105_120)
    assert report.sharpe is not None and abs(float(report.sharpe) - expected) < 1e-3


def test_flat_equity_has_no_sharpe_and_no_losers_no_profit_factor() -> None:
    curve = [Point(T, D(100)), Point(T + timedelta(minutes=5), D(100))]
    report = report_of(
        trades=[_trade(5)], curve=curve, starting_equity=D(100), bars_held=0, bar_seconds=300
    )
    assert report.sharpe is None and report.profit_factor is None and report.win_rate == 1
