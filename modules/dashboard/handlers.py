"""Dashboard subscriptions: order events feed the read models; security events notify."""

from __future__ import annotations

from modules.dashboard.service import DashboardService
from modules.execution.contracts import OrderAccepted, OrderExpired, OrderFilled, OrderRejected
from modules.identity.contracts import SecurityEventRaised
from modules.kernel.module import Subscription
from modules.routing.contracts import OrderRouted


def subscriptions(service: DashboardService) -> list[Subscription]:
    """Durable (inbox-deduped, transactional) handlers, one per order event."""
    return [
        Subscription(OrderRouted, service.on_routed, "order-routed"),
        Subscription(OrderAccepted, service.on_execution, "order-accepted"),
        Subscription(OrderFilled, service.on_execution, "order-filled"),
        Subscription(OrderRejected, service.on_execution, "order-rejected"),
        Subscription(OrderExpired, service.on_execution, "order-expired"),
        Subscription(SecurityEventRaised, service.on_security_event, "security-event"),
    ]
