"""Handing a routed order to execution: attempt ids, child orders and `OrderRouted`.

Each hand-off of an order (the first, then one per re-route) is a route attempt with its own id
and client order id, derived from the order's id (domain/attempts.py). The `OrderRouted` event
goes out through the outbox with the order; the order counts as in flight at its venue only once
that commits.
"""

from __future__ import annotations

import time

import msgspec

from modules.kernel.ids import time_ordered_uuid
from modules.kernel.metrics import Labelled
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.routing.contracts import OrderRouted
from modules.routing.domain.attempts import attempt_id, client_order_id
from modules.routing.domain.plan import Benchmark, best_single_venue
from modules.routing.domain.venue_monitor import VenueMonitor
from modules.routing.domain.venue_scoring import Decision, Intent, explain
from modules.routing.repository.orders import NewOrder, OrderRepository


class Handoff:
    def __init__(self, runtime: Runtime, orders: OrderRepository, monitor: VenueMonitor) -> None:
        self._runtime = runtime
        self._orders = orders
        self._monitor = monitor
        self._routed = Labelled(
            runtime.metrics.counter(
                "nija_trades_routed_total",
                "Orders handed to execution",
                ["venue", "signal", "kind"],
            )
        )

    async def insert_child(
        self,
        uow: UnitOfWork,
        parent: NewOrder,
        intent: Intent,
        decision: Decision,
        credentials: dict[str, str],
        benchmark: Benchmark | None = None,
    ) -> None:
        """One child of a split or TWAP parent: its own order, routed on its own decision.

        `benchmark` is the child's share of the best single venue for the whole order (a
        split); without it the child is compared at its own decision (a TWAP slice)."""
        chosen = decision.chosen
        assert chosen is not None
        child_id = time_ordered_uuid()
        child = msgspec.structs.replace(
            parent,
            id=child_id,
            client_order_id=client_order_id(child_id),
            intent=intent,
            venue=chosen.venue,
            credential_id=credentials[chosen.venue],
            created_at=self._runtime.clock(),
            kind="single",
            parent_order_id=parent.id,
            notional=None,
            status="routed",
        )
        await self._orders.insert_order(uow.conn, child, decision.candidates, explain(decision))
        self.publish_route(uow, child, decision, benchmark=benchmark)

    def publish_route(
        self,
        uow: UnitOfWork,
        order: NewOrder,
        decision: Decision,
        attempt: int = 0,
        benchmark: Benchmark | None = None,
    ) -> None:
        chosen = decision.chosen
        assert chosen is not None and chosen.expected_price is not None
        assert chosen.fee is not None
        aid = attempt_id(order.id, attempt)
        best = benchmark or best_single_venue(decision)
        uow.publish(
            OrderRouted(
                order_id=str(aid),
                user_id=order.user_id,
                client_order_id=client_order_id(aid),
                symbol=order.intent.symbol,
                side=order.intent.side,
                order_type=order.intent.order_type,
                quantity=order.intent.quantity,
                limit_price=order.intent.limit_price,
                venue=chosen.venue,
                credential_id=order.credential_id,
                priority=order.priority,
                signal=order.signal,  # type: ignore[arg-type]
                source=order.source,
                expected_price=chosen.expected_price,
                expected_fee=chosen.fee,
                parent_order_id=None
                if order.parent_order_id is None
                else str(order.parent_order_id),
                attempt=attempt,
                original_order_id=str(order.id),
                expected_cost=chosen.expected_cost,
                best_single_venue=None if best is None else best.venue,
                best_single_venue_cost=None if best is None else best.cost,
            )
        )

        def routed() -> None:
            self._monitor.routed(str(aid), chosen.venue, time.monotonic())
            self._routed.labels(chosen.venue, order.signal, "reroute" if attempt else "route").inc()

        uow.after_commit(routed)
