"""Dashboard subscriptions: order events feed the read models; security events notify."""

from __future__ import annotations

from modules.dashboard.service.orders import DashboardService
from modules.execution.contracts import (
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from modules.identity.contracts import SecurityEventRaised
from modules.kernel.module import Subscription
from modules.routing.contracts import OrderRouted


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
