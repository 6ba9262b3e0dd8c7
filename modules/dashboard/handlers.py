"""Dashboard subscriptions: order events feed the read models; security events notify; trading,
bot and account events feed notifications, phone pushes and the admin overview.

The order path's events (an order's routing, execution, fills, positions and balances, and the
bot's) all go to one shared group commit (service/group_commit.py), which keeps them durable
itself: its own inbox in its batch's transaction, each delivery answered after the commit. The
kernel therefore hands them over undecorated (`durable=False`: no second inbox, no transaction).
"""

from __future__ import annotations

from modules.dashboard.service.account import AccountFolds
from modules.dashboard.service.accounts import Accounts
from modules.dashboard.service.group_commit import SharedGroupCommit
from modules.dashboard.service.orders import DashboardService
from modules.dashboard.service.price_alerts import PriceAlerts
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
    """Durable (inbox-deduped, transactional) handlers outside the order path."""
    return [
        Subscription(SecurityEventRaised, service.notify_security_event, "security-event"),
    ]


def order_path_subscriptions(batch: SharedGroupCommit) -> list[Subscription]:
    """Every order-path event into the one shared batch (durable there, see above)."""
    fold = batch.deliver
    return [
        Subscription(OrderRouted, fold, "path-order-routed", durable=False),
        Subscription(OrderAccepted, fold, "path-order-accepted", durable=False),
        Subscription(OrderFilled, fold, "path-order-filled", durable=False),
        Subscription(OrderRejected, fold, "path-order-rejected", durable=False),
        Subscription(OrderExpired, fold, "path-order-expired", durable=False),
        Subscription(OrderCancelled, fold, "path-order-cancelled", durable=False),
        Subscription(PositionChanged, fold, "path-position", durable=False),
        Subscription(BalanceChanged, fold, "path-balance", durable=False),
        Subscription(BotStatusChanged, fold, "path-bot-status", durable=False),
        Subscription(BotPositionChanged, fold, "path-bot-position", durable=False),
        Subscription(SignalRecorded, fold, "path-signal", durable=False),
    ]


def push_subscriptions(
    accounts: Accounts, alerts: PriceAlerts, venues: VenueReports
) -> list[Subscription]:
    """Notifications and pushes from accounts; prices and venue health are superseding data (a
    newer one replaces a lost one), so those are not durable."""
    account = accounts.on_account_event
    return [
        Subscription(UserRegistered, account, "accounts-registered"),
        Subscription(UserSuspended, account, "accounts-suspended"),
        Subscription(UserReinstated, account, "accounts-reinstated"),
        Subscription(UserTierChanged, account, "accounts-tier"),
        Subscription(UserProfileChanged, account, "accounts-profile"),
        Subscription(BarClosed, alerts.on_bar, "price-alerts-bar", durable=False),
        Subscription(VenueBookUpdated, alerts.on_book, "price-alerts-book", durable=False),
        Subscription(VenueHealthChanged, venues.on_health, "admin-venue-health", durable=False),
    ]


def screen_subscriptions(account: AccountFolds) -> list[Subscription]:
    """The screens' read side beside the order path (bars, account activity, time zones)."""
    return [
        Subscription(BarClosed, account.fold_bars, "screen-bars", batched=True),
        Subscription(SecurityEventRaised, account.on_security_event, "screen-security"),
        Subscription(UserProfileChanged, account.on_profile, "screen-profiles"),
    ]
