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
from modules.routing.service.order_path import OrderPath
from modules.routing.service.standing import Standing
from modules.strategy.contracts import IntentSubmitted
from modules.vault.contracts import CredentialRevoked, CredentialStored

# The inbox name of the order path's shared batch: `routing.order-path`.
PATH = "order-path"


def subscriptions(
    standing: Standing, market: MarketFeed, path: OrderPath, intents: Intents
) -> list[Subscription]:
    return [
        Subscription(CredentialStored, standing.credential_stored, "credential-stored"),
        Subscription(CredentialRevoked, standing.credential_revoked, "credential-revoked"),
        Subscription(VenueBookUpdated, market.book_updated, "venue-book", durable=False),
        Subscription(VenueHealthChanged, market.venue_health, "venue-health", durable=False),
        Subscription(UserTradingPaused, standing.trading_paused, "user-trading-paused"),
        Subscription(UserTradingResumed, standing.trading_resumed, "user-trading-resumed"),
        # Execution's reports of an order, and the position and balance they moved, arrive
        # together: one batch for all of them (service/order_path.py).
        Subscription(OrderAccepted, path.fold, "order-accepted", batched=True, group=PATH),
        Subscription(OrderFilled, path.fold, "order-filled", batched=True, group=PATH),
        Subscription(OrderExpired, path.fold, "order-expired", batched=True, group=PATH),
        Subscription(OrderRejected, path.fold, "order-rejected", batched=True, group=PATH),
        Subscription(OrderCancelled, path.fold, "order-cancelled", batched=True, group=PATH),
        Subscription(PositionChanged, path.fold, "position-changed", batched=True, group=PATH),
        Subscription(BalanceChanged, path.fold, "balance-changed", batched=True, group=PATH),
        Subscription(UserSuspended, standing.user_suspended, "user-suspended"),
        Subscription(UserReinstated, standing.user_reinstated, "user-reinstated"),
        Subscription(UserTierChanged, standing.user_tier_changed, "user-tier-changed"),
        # Not behind the inbox: intake opens its own transaction, and the intent id as the
        # idempotency key already makes a redelivered intent one order.
        Subscription(IntentSubmitted, intents.intent_submitted, "intent-submitted", durable=False),
    ]
