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
