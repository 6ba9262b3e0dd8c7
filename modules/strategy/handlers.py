"""Strategy's subscriptions, each straight into the service that handles it."""

from __future__ import annotations

from modules.execution.contracts import (
    BalanceChanged,
    BarClosed,
    MarketHistoryServed,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    PositionChanged,
    UserTradingPaused,
    UserTradingResumed,
)
from modules.identity.contracts import UserReinstated, UserSuspended
from modules.kernel.inbox import in_key_order
from modules.kernel.module import Subscription
from modules.routing.contracts import IntentRefused, KillSwitchChanged, OrderRouted
from modules.strategy.domain.bot import may_be_the_bots
from modules.strategy.service.backtests import Backtests
from modules.strategy.service.balances import Balances
from modules.strategy.service.evaluation import Evaluator
from modules.strategy.service.reports import Reports
from modules.strategy.service.standing import Standing
from modules.strategy.service.tradingview_alerts import TradingViewAlerts


def _bots(event: OrderRouted | OrderFilled | OrderRejected | OrderExpired) -> bool:
    """Reports of orders the bot never placed are passed over without a transaction."""
    return may_be_the_bots(event.source)


def _order_id(event: OrderFilled) -> str:
    return event.order_id


def subscriptions(
    evaluator: Evaluator,
    reports: Reports,
    standing: Standing,
    backtests: Backtests,
    balances: Balances,
) -> list[Subscription]:
    return [
        Subscription(BarClosed, evaluator.bar_closed, "bar-closed"),
        Subscription(
            OrderRouted, reports.orders_routed, "order-routed", batched=True, concerns=_bots
        ),
        Subscription(
            OrderFilled,
            in_key_order(reports.order_filled, _order_id),
            "order-filled",
            batched=True,
            concerns=_bots,
        ),
        Subscription(OrderRejected, reports.order_rejected, "order-rejected", concerns=_bots),
        Subscription(OrderExpired, reports.order_expired, "order-expired", concerns=_bots),
        Subscription(PositionChanged, reports.positions_changed, "position-changed", batched=True),
        Subscription(IntentRefused, reports.intent_refused, "intent-refused"),
        Subscription(KillSwitchChanged, standing.kill_switch_changed, "kill-switch-changed"),
        Subscription(UserSuspended, standing.user_suspended, "user-suspended"),
        Subscription(UserReinstated, standing.user_reinstated, "user-reinstated"),
        Subscription(UserTradingPaused, standing.trading_paused, "user-trading-paused"),
        Subscription(UserTradingResumed, standing.trading_resumed, "user-trading-resumed"),
        Subscription(MarketHistoryServed, backtests.history_served, "market-history-served"),
        Subscription(BalanceChanged, balances.balances_changed, "balance-changed", batched=True),
    ]


def tradingview_subscriptions(alerts: TradingViewAlerts) -> list[Subscription]:
    """Routing's refusal of an alert's order is written on the alert, for its owner to read."""
    return [Subscription(IntentRefused, alerts.intent_refused, "tradingview-intent-refused")]
