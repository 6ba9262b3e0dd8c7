"""A backtest: the live bot's rules run bar by bar over history, filled by the venue's model.

Nothing here decides anything the live bot does not: each closed bar goes through the same
window (`BarWindow`, `window_bars` long), `apex.evaluate`, `protection.on_bar` (stop, targets,
trailing), the exit on an opposite signal or an EMA cross, `sizing.entry_notional` and
`quantity_for`, and `protection.after_entry_fill`, in the order `service/trades.py` applies them.
What the live bot learns later from execution's fills a backtest learns at once: each order is a
market order filled by walking the venue's book (domain/fills.py) at the bar's end, the instant
the live bot would send it; the mid there is the next bar's open (the last bar's close for the
last bar). A position still open after the last bar is sold then (`end_of_test`).

The report and its metrics (domain/backtest_report.py) cover the test's bars, warm-up excluded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import msgspec

from modules.strategy.domain import apex, protection
from modules.strategy.domain.backtest_report import (
    MONEY,
    ExitFill,
    Point,
    Report,
    TradeRecord,
    report_of,
)
from modules.strategy.domain.bars import TIMEFRAMES, Bar, BarWindow
from modules.strategy.domain.fills import Fill, FillModel, market_fill
from modules.strategy.domain.sizing import entry_notional, quantity_for


class Params(msgspec.Struct, frozen=True, kw_only=True):
    timeframe: str
    start: datetime  # the first bar traded; earlier bars only warm the indicators up
    equity_usd: Decimal
    risk_level: str = "high"
    max_position_usd: Decimal = Decimal(1000)
    window_bars: int = 200


@dataclass
class _Position:
    guard: protection.Guard
    entered_at: datetime
    entry: Fill
    exits: list[ExitFill] = field(default_factory=list)
    proceeds: Decimal = Decimal(0)


@dataclass
class _Account:
    """Cash, the open position and the closed trades of the one simulated bot."""

    params: Params
    model: FillModel
    cash: Decimal
    position: _Position | None = None
    trades: list[TradeRecord] = field(default_factory=list)

    def equity(self, mark: Decimal) -> Decimal:
        held = self.position.guard.remaining if self.position else Decimal(0)
        return self.cash + held * mark

    def buy(self, bar: Bar, evaluation: apex.Evaluation, at: datetime, mid: Decimal) -> None:
        signal, ind = evaluation.long, evaluation.indicators
        assert ind is not None and signal.stop is not None
        notional = entry_notional(
            equity=self.params.equity_usd,
            adx=ind.adx,
            score=signal.score,
            risk_level=self.params.risk_level,
            max_position=self.params.max_position_usd,
        )
        fill = market_fill(self.model, "buy", mid, quantity_for(notional, bar.close))
        if fill is None:
            return  # refused by the venue (under its minimum): the live entry fails too
        self.cash -= fill.notional + fill.fee
        targets = protection.after_entry_fill(signal.stop, bar.close - signal.stop, fill.price)
        guard = protection.Guard(
            entry_price=fill.price,
            quantity=fill.quantity,
            exited=Decimal(0),
            stop=signal.stop,
            targets=targets,
        )
        self.position = _Position(guard=guard, entered_at=at, entry=fill)

    def sell(self, quantity: Decimal, reason: str, at: datetime, mid: Decimal) -> None:
        position = self.position
        assert position is not None
        fill = market_fill(self.model, "sell", mid, quantity)
        if fill is None:
            return  # refused: the position keeps its quantity and tries again next bar
        self.cash += fill.notional - fill.fee
        position.proceeds += fill.notional
        position.exits.append(
            ExitFill(at=at, reason=reason, quantity=fill.quantity, price=fill.price, fee=fill.fee)
        )
        exited = position.guard.exited + fill.quantity
        position.guard = msgspec.structs.replace(position.guard, exited=exited)
        if position.guard.remaining <= 0:
            self.trades.append(_closed(position))
            self.position = None

    def on_bar(self, bar: Bar, evaluation: apex.Evaluation, at: datetime, mid: Decimal) -> None:
        """One bar of the live bot's `Trades.on_bar`: protect first; exit on the verdict only
        when protection sold nothing this bar; enter only when flat."""
        position = self.position
        if position is None:
            if evaluation.long.action == "entry":
                self.buy(bar, evaluation, at, mid)
            return
        atr = None if evaluation.indicators is None else evaluation.indicators.atr
        step = protection.on_bar(position.guard, bar, atr, exit_in_flight=False)
        position.guard = step.guard
        if step.exit is not None:
            self.sell(step.exit.quantity, step.exit.kind, at, mid)
        elif evaluation.exit_long is not None:
            self.sell(position.guard.remaining, evaluation.exit_long, at, mid)


def _closed(position: _Position) -> TradeRecord:
    exits = position.exits
    sold = sum((e.quantity for e in exits), Decimal(0))
    fees = position.entry.fee + sum((e.fee for e in exits), Decimal(0))
    return TradeRecord(
        entry_time=position.entered_at,
        entry_price=position.entry.price,
        quantity=position.entry.quantity,
        exit_time=exits[-1].at,
        exit_price=(position.proceeds / sold).quantize(MONEY),
        exit_reason=exits[-1].reason,
        fees=fees,
        pnl=(position.proceeds - position.entry.notional - fees).quantize(MONEY),
        exits=list(exits),
    )


def _mid_after(bars: list[Bar], index: int, at: datetime) -> Decimal:
    """The mid at the end of bar `index`: the next bar's open when it starts right there."""
    following = bars[index + 1] if index + 1 < len(bars) else None
    if following is not None and following.start == at:
        return following.open
    return bars[index].close


def _next_window(window: BarWindow, bar: Bar, params: Params) -> BarWindow:
    """The live bot's window: extended by a following bar, rebuilt after a gap (where the
    live bot reloads its window and keeps the contiguous run ending with the new bar)."""
    if window.follows(bar):
        window.add(bar)
        return window
    return BarWindow(params.timeframe, params.window_bars, [*window.bars, bar])


def run(bars: list[Bar], model: FillModel, params: Params) -> Report:
    """The backtest of `bars` (oldest first, warm-up included) with `params`."""
    step = TIMEFRAMES[params.timeframe]
    account = _Account(params=params, model=model, cash=params.equity_usd)
    window = BarWindow(params.timeframe, params.window_bars)
    curve: list[Point] = []
    held = 0
    for index, bar in enumerate(bars):
        window = _next_window(window, bar, params)
        if bar.start < params.start:
            continue
        at = bar.start + step
        account.on_bar(bar, apex.evaluate(window.bars), at, _mid_after(bars, index, at))
        held += account.position is not None
        curve.append(Point(at, account.equity(bar.close)))
    if account.position is not None and curve:
        account.sell(account.position.guard.remaining, "end_of_test", curve[-1].at, bars[-1].close)
        curve[-1] = Point(curve[-1].at, account.equity(bars[-1].close))
    return report_of(
        trades=account.trades,
        curve=curve,
        starting_equity=params.equity_usd,
        bars_held=held,
        bar_seconds=int(step.total_seconds()),
    )
