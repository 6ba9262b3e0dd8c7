"""Strategy's published language: the bots' order intents and their status changes, and the
backtests' requests for market history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Literal

from modules.kernel.events import IntegrationEvent

BotStatus = Literal["off", "running", "paused"]


class IntentSubmitted(IntegrationEvent, frozen=True, kw_only=True):
    """A bot wants an order: routing gates and routes it like any other, or answers
    `IntentRefused`. Routing uses `intent_id` as the order id and idempotency key."""

    TOPIC: ClassVar[str] = "strategy.intent-submitted.v1"
    intent_id: str  # uuid; routing uses it as the order id (so the bot knows its order ids)
    user_id: str
    symbol: str
    side: Literal["buy", "sell"]
    quantity: Decimal
    order_type: Literal["market", "limit"] = "market"
    limit_price: Decimal | None = None
    signal: Literal["entry", "exit", "stop_loss", "profit_take"]
    source: Literal["bot", "tradingview"] = "bot"
    venue: str | None = None  # exits go where the position is held


class BotStatusChanged(IntegrationEvent, frozen=True, kw_only=True):
    """A user's bot was started, paused (by the user, a kill switch, a suspension, execution's
    pause or repeated venue rejections) or switched off; `reason` says why."""

    TOPIC: ClassVar[str] = "strategy.bot-status-changed.v1"
    user_id: str
    status: BotStatus
    previous: BotStatus
    reason: str | None = None


class MarketHistoryRequested(IntegrationEvent, frozen=True, kw_only=True):
    """A backtest wants a venue's history: the `bars` closed bars of `timeframe` that end at
    `end` (the venue's market clock when null), answered by execution's
    `MarketHistoryServed` under the same `request_id`."""

    TOPIC: ClassVar[str] = "strategy.market-history-requested.v1"
    request_id: str
    venue: str
    symbol: str
    timeframe: Literal["1m", "5m", "15m", "1h"]
    bars: int
    end: datetime | None = None


class SignalRecorded(IntegrationEvent, frozen=True, kw_only=True):
    """A bot acted on a bar: why (conditions, score, stop, targets) and the orders it led to,
    so read models can show the strategy block of the position it opened."""

    TOPIC: ClassVar[str] = "strategy.signal-recorded.v1"
    signal_id: str
    user_id: str
    venue: str
    symbol: str
    timeframe: str
    bar_start: datetime
    action: Literal["entry", "exit", "stop_loss", "profit_take"]
    side: Literal["buy", "sell"]
    score: int | None = None  # entry conditions that held, of 5
    conditions: list[str] = []  # the names of the conditions and filters that held
    stop: Decimal | None = None
    targets: list[Decimal] = []
    intent_ids: list[str] = []


class BotPositionChanged(IntegrationEvent, frozen=True, kw_only=True):
    """A bot's position moved: opened (entry filled), its stop raised (break-even, trailing),
    a target taken, or closed, and why. `version` grows with every change: keep the highest."""

    TOPIC: ClassVar[str] = "strategy.bot-position-changed.v1"
    bot_position_id: str
    user_id: str
    venue: str
    symbol: str
    status: Literal["pending", "open", "closed"]
    entry_intent_id: str
    entry_price: Decimal | None = None
    quantity: Decimal
    stop: Decimal
    targets: list[Decimal] = []
    targets_hit: int = 0
    trailing: bool = False
    close_reason: str | None = None  # stop_loss, take_profit, exit_signal, manual, kill_switch
    version: int
