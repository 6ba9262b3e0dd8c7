"""The dashboard's order path: every fold an order's events feed, over one shared batch.

The events delivered together (service/group_commit.py) are folded in one transaction, kind by
kind in a fixed order: the order rows first (attempts mapped, then every row the batch touches
locked at once in order-id order; routing decisions fold before execution events, so an
attempt routed in the same batch as its fills needs no parking), then routes, fills, positions,
balances and the bot. Each fold keeps its own rules (a status only moves forward, a fill counts
once, the newest balance or status wins) and queues its pushes for after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from modules.dashboard.service.account import AccountFolds
from modules.dashboard.service.orders import DashboardService
from modules.dashboard.service.trade_alerts import TradeAlerts
from modules.dashboard.service.trades import TradeFolds
from modules.execution.contracts import (
    BalanceChanged,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    PositionChanged,
)
from modules.kernel.events import IntegrationEvent
from modules.kernel.outbox import UnitOfWork
from modules.routing.contracts import OrderRouted
from modules.strategy.contracts import BotPositionChanged, BotStatusChanged, SignalRecorded

E = TypeVar("E", bound=IntegrationEvent)
_EXECUTION = (OrderAccepted, OrderFilled, OrderRejected, OrderExpired, OrderCancelled)


def _of(events: Sequence[IntegrationEvent], kind: type[E]) -> list[E]:
    return [event for event in events if isinstance(event, kind)]


class OrderPath:
    def __init__(
        self,
        orders: DashboardService,
        trades: TradeFolds,
        account: AccountFolds,
        alerts: TradeAlerts,
    ) -> None:
        self._orders = orders
        self._trades = trades
        self._account = account
        self._alerts = alerts

    async def fold(self, events: list[IntegrationEvent], uow: UnitOfWork) -> None:
        routed = _of(events, OrderRouted)
        order_events: list[Any] = [*routed, *(e for e in events if isinstance(e, _EXECUTION))]
        if order_events:
            await self._orders.fold_orders(order_events, uow)
        if routed:
            await self._account.fold_routes(routed, uow)
        positions = _of(events, PositionChanged)
        if positions:
            await self._alerts.fold_positions(positions, uow)
        await self._trades.fold(_of(events, OrderFilled), positions, uow)
        await self._bot_and_balances(events, uow)

    async def _bot_and_balances(self, events: list[IntegrationEvent], uow: UnitOfWork) -> None:
        balances = _of(events, BalanceChanged)
        if balances:
            await self._account.fold_balances(balances, uow)
        for status in sorted(_of(events, BotStatusChanged), key=lambda e: e.occurred_at):
            await self._account.on_bot_status(status, uow)
            await self._alerts.on_bot_status(status, uow)
        for position in _of(events, BotPositionChanged):
            await self._account.on_bot_position(position, uow)
            await self._alerts.on_bot_position(position, uow)
        for signal in _of(events, SignalRecorded):
            await self._account.on_signal(signal, uow)
