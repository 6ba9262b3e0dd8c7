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
from modules.kernel.outbox import in_key_order
from modules.routing.service.intents import Intents
from modules.routing.service.market import MarketFeed
from modules.routing.service.positions import Positions
from modules.routing.service.reports import Reports
from modules.routing.service.standing import Standing
from modules.strategy.contracts import IntentSubmitted
from modules.vault.contracts import CredentialRevoked, CredentialStored


def _order_id(event: OrderAccepted) -> str:
    return event.order_id


def _position_id(event: PositionChanged) -> str:
    return event.position_id


def _credential_id(event: BalanceChanged) -> str:
    return event.credential_id


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
        Subscription(
            PositionChanged,
            in_key_order(positions.position_changed, _position_id),
            "position-changed",
            batched=True,
        ),
        Subscription(
            BalanceChanged,
            in_key_order(positions.balance_changed, _credential_id),
            "balance-changed",
            batched=True,
        ),
        Subscription(UserTradingResumed, standing.trading_resumed, "user-trading-resumed"),
        Subscription(
            OrderAccepted,
            in_key_order(reports.order_accepted, _order_id),
            "order-accepted",
            batched=True,
        ),
        Subscription(
            OrderFilled, in_key_order(reports.order_filled, _order_id), "order-filled", batched=True
        ),
        Subscription(
            OrderExpired,
            in_key_order(reports.order_expired, _order_id),
            "order-expired",
            batched=True,
        ),
        Subscription(
            OrderRejected,
            in_key_order(reports.order_rejected, _order_id),
            "order-rejected",
            batched=True,
        ),
        Subscription(
            OrderCancelled,
            in_key_order(reports.order_cancelled, _order_id),
            "order-cancelled",
            batched=True,
        ),
        Subscription(UserSuspended, standing.user_suspended, "user-suspended"),
        Subscription(UserReinstated, standing.user_reinstated, "user-reinstated"),
        Subscription(UserTierChanged, standing.user_tier_changed, "user-tier-changed"),
        # Not behind the inbox: intake opens its own transaction, and the intent id as the
        # idempotency key already makes a redelivered intent one order.
        Subscription(IntentSubmitted, intents.intent_submitted, "intent-submitted", durable=False),
    ]
