"""The screens' WebSocket pushes (`WS /v1/ws`, api/stream.py). Each carries the `revision` of
what it shows: a client keeps, per thing shown, the push with the highest revision."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from modules.dashboard.schemas.screens import (
    ActivityItem,
    BalanceView,
    BotStatusView,
    Periods,
    PositionCard,
)


class PositionUpdated(msgspec.Struct, tag_field="type", tag="position.updated"):
    """Keyed by (`position.id`, `position.cycle`); revisions count per `position.id`."""

    position: PositionCard
    revision: int


class PnlUpdated(msgspec.Struct, tag_field="type", tag="pnl.updated"):
    """The overview's P&L periods after a fill or a time-zone change; one revision per user."""

    pnl: Periods
    unrealised_pnl: Decimal
    revision: int


class BalanceUpdated(msgspec.Struct, tag_field="type", tag="balance.updated"):
    """Keyed by `balance.venue`."""

    balance: BalanceView
    revision: int


class BotStatusPushed(msgspec.Struct, tag_field="type", tag="bot.status"):
    bot: BotStatusView
    revision: int


class TradeExecuted(msgspec.Struct, tag_field="type", tag="trade.executed"):
    """A fill as an activity item, keyed by `trade.id`; it comes again (a higher revision)
    when the position's side of it arrives, with its P&L, or it turns out to close one."""

    trade: ActivityItem
    revision: int
