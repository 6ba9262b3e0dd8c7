"""Dashboard subscriptions: order events feed the read models; security events notify."""

from __future__ import annotations

from modules.dashboard.service import DashboardService
from modules.execution.contracts import OrderAccepted, OrderExpired, OrderFilled, OrderRejected
from modules.identity.contracts import SecurityEventRaised
from modules.kernel.module import Subscription
from modules.kernel.outbox import BatchHandler, EventHandler, in_key_order
from modules.routing.contracts import OrderRouted


def subscriptions(service: DashboardService) -> list[Subscription]:
    """Durable (inbox-deduped, transactional) handlers, one per order event.

    Order events come several per order placed, so they are group-committed: the deliveries
    that arrive together share one transaction, taking their order-row locks in order-id order.
    """

    def batched(handler: EventHandler) -> BatchHandler:
        return in_key_order(handler, key=lambda event: event.order_id)

    return [
        Subscription(OrderRouted, batched(service.on_routed), "order-routed", batched=True),
        Subscription(OrderAccepted, batched(service.on_execution), "order-accepted", batched=True),
        Subscription(OrderFilled, batched(service.on_execution), "order-filled", batched=True),
        Subscription(OrderRejected, batched(service.on_execution), "order-rejected", batched=True),
        Subscription(OrderExpired, batched(service.on_execution), "order-expired", batched=True),
        Subscription(SecurityEventRaised, service.on_security_event, "security-event"),
    ]
