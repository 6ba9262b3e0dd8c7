"""Dashboard subscriptions: order events feed the read models; security events notify; trading,
bot and account events feed notifications, phone pushes and the admin overview."""

from __future__ import annotations

from modules.dashboard.service.account import AccountFolds
from modules.dashboard.service.accounts import Accounts
from modules.dashboard.service.orders import DashboardService
from modules.dashboard.service.price_alerts import PriceAlerts
from modules.dashboard.service.trade_alerts import TradeAlerts
from modules.dashboard.service.trades import TradeFolds
from modules.dashboard.service.venues import VenueReports
from modules.execution.contracts import (
    BalanceChanged,
    BarClosed,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    PositionChanged,
    VenueBookUpdated,
    VenueHealthChanged,
)
from modules.identity.contracts import (
    SecurityEventRaised,
    UserProfileChanged,
    UserRegistered,
    UserReinstated,
    UserSuspended,
    UserTierChanged,
)
from modules.kernel.module import Subscription
from modules.routing.contracts import OrderRouted
from modules.strategy.contracts import BotPositionChanged, BotStatusChanged, SignalRecorded


def subscriptions(service: DashboardService) -> list[Subscription]:
    """Durable (inbox-deduped, transactional) handlers; order events are group-committed."""
    return [
        Subscription(OrderRouted, service.fold_routed, "order-routed", batched=True),
        Subscription(OrderAccepted, service.fold_execution, "order-accepted", batched=True),
        Subscription(OrderFilled, service.fold_execution, "order-filled", batched=True),
        Subscription(OrderRejected, service.fold_execution, "order-rejected", batched=True),
        Subscription(OrderExpired, service.fold_execution, "order-expired", batched=True),
        Subscription(OrderCancelled, service.fold_execution, "order-cancelled", batched=True),
        Subscription(SecurityEventRaised, service.notify_security_event, "security-event"),
    ]


def push_subscriptions(
    trades: TradeAlerts, accounts: Accounts, alerts: PriceAlerts, venues: VenueReports
) -> list[Subscription]:
    """Notifications and pushes from trading, bots and accounts; prices and venue health are
    superseding data (a newer one replaces a lost one), so those are not durable."""
    account = accounts.on_account_event
    return [
        Subscription(PositionChanged, trades.fold_positions, "alerts-position", batched=True),
        Subscription(BotPositionChanged, trades.on_bot_position, "alerts-bot-position"),
        Subscription(BotStatusChanged, trades.on_bot_status, "alerts-bot-status"),
        Subscription(UserRegistered, account, "accounts-registered"),
        Subscription(UserSuspended, account, "accounts-suspended"),
        Subscription(UserReinstated, account, "accounts-reinstated"),
        Subscription(UserTierChanged, account, "accounts-tier"),
        Subscription(UserProfileChanged, account, "accounts-profile"),
        Subscription(BarClosed, alerts.on_bar, "price-alerts-bar", durable=False),
        Subscription(VenueBookUpdated, alerts.on_book, "price-alerts-book", durable=False),
        Subscription(VenueHealthChanged, venues.on_health, "admin-venue-health", durable=False),
    ]


def screen_subscriptions(trades: TradeFolds, account: AccountFolds) -> list[Subscription]:
    """The screens' read side (overview, positions, activity, statistics, savings)."""
    return [
        Subscription(OrderFilled, trades.fold_fills, "screen-fills", batched=True),
        Subscription(PositionChanged, trades.fold_steps, "screen-positions", batched=True),
        Subscription(OrderRouted, account.fold_routes, "screen-routes", batched=True),
        Subscription(BarClosed, account.fold_bars, "screen-bars", batched=True),
        Subscription(BalanceChanged, account.on_balance, "screen-balances"),
        Subscription(BotStatusChanged, account.on_bot_status, "screen-bot-status"),
        Subscription(BotPositionChanged, account.on_bot_position, "screen-bot-positions"),
        Subscription(SignalRecorded, account.on_signal, "screen-signals"),
        Subscription(SecurityEventRaised, account.on_security_event, "screen-security"),
        Subscription(UserProfileChanged, account.on_profile, "screen-profiles"),
    ]
