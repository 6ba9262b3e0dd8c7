"""Routing's subscriptions, each straight into the service that handles it."""

from __future__ import annotations

from modules.execution.contracts import (
    BalanceChanged,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    PositionChanged,
    UserTradingPaused,
    UserTradingResumed,
    VenueBookUpdated,
    VenueHealthChanged,
)
from modules.identity.contracts import UserReinstated, UserSuspended, UserTierChanged
from modules.kernel.module import Subscription
from modules.routing.service.intents import Intents
from modules.routing.service.market import MarketFeed
from modules.routing.service.positions import Positions
from modules.routing.service.reports import Reports
from modules.routing.service.standing import Standing
from modules.strategy.contracts import IntentSubmitted
from modules.vault.contracts import CredentialRevoked, CredentialStored


def subscriptions(
    standing: Standing,
    market: MarketFeed,
    reports: Reports,
    positions: Positions,
    intents: Intents,
) -> list[Subscription]:
    return [
        Subscription(CredentialStored, standing.credential_stored, "credential-stored"),
        Subscription(CredentialRevoked, standing.credential_revoked, "credential-revoked"),
        Subscription(VenueBookUpdated, market.book_updated, "venue-book", durable=False),
        Subscription(VenueHealthChanged, market.venue_health, "venue-health", durable=False),
        Subscription(UserTradingPaused, standing.trading_paused, "user-trading-paused"),
        Subscription(PositionChanged, positions.position_changed, "position-changed"),
        Subscription(BalanceChanged, positions.balance_changed, "balance-changed"),
        Subscription(UserTradingResumed, standing.trading_resumed, "user-trading-resumed"),
        Subscription(OrderAccepted, reports.order_accepted, "order-accepted"),
        Subscription(OrderFilled, reports.order_filled, "order-filled"),
        Subscription(OrderExpired, reports.order_expired, "order-expired"),
        Subscription(OrderRejected, reports.order_rejected, "order-rejected"),
        Subscription(OrderCancelled, reports.order_cancelled, "order-cancelled"),
        Subscription(UserSuspended, standing.user_suspended, "user-suspended"),
        Subscription(UserReinstated, standing.user_reinstated, "user-reinstated"),
        Subscription(UserTierChanged, standing.user_tier_changed, "user-tier-changed"),
        # Not behind the inbox: intake opens its own transaction, and the intent id as the
        # idempotency key already makes a redelivered intent one order.
        Subscription(IntentSubmitted, intents.intent_submitted, "intent-submitted", durable=False),
    ]
