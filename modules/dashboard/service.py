"""Dashboard use cases: fold order events into read models, notify, and push to the owner.

Delivery is at-least-once and events of one order travel on different topics, so they may arrive
in any order and more than once. Every change is therefore a merge into the current row: a
status only moves forward and never leaves a terminal state, a fill counts once per fill id, and
pushes happen only after the transaction that made the change has committed.

A venue fault makes routing re-route the order under a new execution order id per attempt. The
trader knows one order: each attempt's `OrderRouted` names it (`original_order_id`), the
dashboard maps the attempt's id to it, and every event of the attempt folds into that one row,
whose venue and status follow the latest attempt. Execution's events about an attempt whose
`OrderRouted` has not arrived yet are parked and replayed when it does.

How an event changes a row is pure and lives in adapters/order_fold.py; rows become response
and push shapes in adapters/views.py. This file does the I/O around them.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast

import jwt
import msgspec

from modules.dashboard.adapters.order_fold import (
    TERMINAL,
    fill_record,
    for_attempt,
    merge_accepted,
    merge_expired,
    merge_fill_totals,
    merge_filled,
    merge_rejected,
    merge_routed,
    next_status,
    routed_target,
)
from modules.dashboard.adapters.views import fill_notice, fill_view, notification_view, order_view
from modules.dashboard.repository import (
    DashboardRepository,
    NotificationRecord,
    OrderRecord,
    Target,
)
from modules.dashboard.schemas import (
    NotificationCreated,
    NotificationList,
    NotificationView,
    OrderDetail,
    OrderFilledPush,
    OrderUpdated,
    OrderView,
)
from modules.execution.contracts import OrderAccepted, OrderExpired, OrderFilled, OrderRejected
from modules.identity.contracts import SecurityEventRaised
from modules.kernel.auth import Principal
from modules.kernel.errors import ProblemError
from modules.kernel.events import decode_event
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.routing.contracts import OrderRouted

# The pure folds and views moved to adapters/; what was defined here stays importable from here.
__all__ = [
    "TERMINAL",
    "WS_AUTH_TIMEOUT_SECONDS",
    "DashboardService",
    "ExecutionEvent",
    "Outlet",
    "PushHub",
    "SocketSession",
    "fill_notice",
    "fill_view",
    "for_attempt",
    "merge_accepted",
    "merge_expired",
    "merge_fill_totals",
    "merge_filled",
    "merge_rejected",
    "merge_routed",
    "next_status",
    "notification_view",
    "order_view",
    "routed_target",
]

log = logging.getLogger("nija.dashboard")

# How long a new WebSocket may stay silent before it must have authenticated. Read at each
# connection, so tests can shorten it.
WS_AUTH_TIMEOUT_SECONDS = 5.0

_encode = msgspec.json.Encoder().encode
ExecutionEvent = OrderAccepted | OrderFilled | OrderRejected | OrderExpired

_SECURITY_MESSAGES: dict[str, tuple[str, str]] = {
    "new_device": ("New device", "A new device was registered for biometric login."),
    "two_factor_enabled": ("Two-factor enabled", "Two-factor authentication is now on."),
    "two_factor_disabled": ("Two-factor disabled", "Two-factor authentication was turned off."),
    "password_changed": ("Password changed", "Your password was changed; other sessions ended."),
    "lockout": ("Sign-in locked", "Too many failed sign-ins: sign-in is paused for a while."),
}


# ---- ports ---------------------------------------------------------------------------------


class Outlet(Protocol):
    """One client connection as the hub sees it."""

    def offer(self, payload: bytes) -> bool:
        """Queue `payload` without waiting; False when the connection cannot keep up."""
        ...

    def close(self, code: int, reason: str) -> None: ...


class PushHub(Protocol):
    """Fan-out of pushes to a user's live connections.

    The in-process adapter reaches the connections of this process only; a multi-replica
    deployment swaps in an adapter that relays `push` through a shared channel (e.g. Redis).
    """

    def connect(self, user_id: str, outlet: Outlet) -> None: ...

    def disconnect(self, user_id: str, outlet: Outlet) -> None: ...

    def connections(self, user_id: str) -> int:
        """Open connections of `user_id` in this process."""
        ...

    async def push(self, user_id: str, payload: bytes) -> None: ...

    async def close_all(self, code: int, reason: str) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class SocketSession(msgspec.Struct, frozen=True):
    """An authenticated WebSocket: who it belongs to and until when the token is valid."""

    principal: Principal
    expires_at: float


class DashboardService:
    def __init__(
        self,
        runtime: Runtime,
        hub: PushHub,
        repository: DashboardRepository | None = None,
    ) -> None:
        self.runtime = runtime
        self.hub = hub
        self.repo = repository or DashboardRepository()
        self._pushes = runtime.metrics.counter(
            "nija_dashboard_pushes_total", "WebSocket pushes by message type", ["type"]
        )

    # ---- event handlers (each inside the handler's transaction) ----------------------------

    async def on_routed(self, event: OrderRouted, uow: UnitOfWork) -> None:
        target = routed_target(event)
        await self.repo.map_attempt(uow.conn, event.order_id, target)
        current = await self._lock(uow, target.order_id, event.user_id, event)
        if current is not None:
            # A late decision of an earlier attempt still describes the order (symbol, size,
            # when it was placed); the venue stays the later attempt's (`merge_routed` keeps it).
            base = for_attempt(current, target.attempt) or current
            order = await self._save(uow, current, merge_routed(base, event))
            if target.attempt > current.attempt and current.status == "rejected":
                # The trader was told the order was rejected; it is in fact still working.
                body = (
                    f"{current.venue} could not take your {order.symbol or ''} "
                    f"{order.side or ''} order ({current.reason}); it was sent to {order.venue}."
                )
                await self._notify(uow, order, "order.rerouted", "Order re-routed", body)
        for topic, payload in await self.repo.unpark(uow.conn, event.order_id):
            await self._fold(uow, target, cast(ExecutionEvent, decode_event(topic, payload)))

    async def on_execution(self, event: ExecutionEvent, uow: UnitOfWork) -> None:
        """Fold an execution event into its order, or park it until its attempt is mapped."""
        target = await self.repo.target_of(uow.conn, event.order_id)
        if target is None:
            raw = msgspec.json.encode(event)
            await self.repo.park(uow.conn, event.order_id, event.TOPIC, raw, self.runtime.clock())
            return
        await self._fold(uow, target, event)

    async def _fold(self, uow: UnitOfWork, target: Target, event: ExecutionEvent) -> None:
        match event:
            case OrderAccepted():
                await self._apply(uow, target, event, merge_accepted)
            case OrderFilled():
                await self._filled(uow, target, event)
            case OrderRejected():
                await self._rejected(uow, target, event)
            case OrderExpired():
                await self._expired(uow, target, event)

    async def _rejected(self, uow: UnitOfWork, target: Target, event: OrderRejected) -> None:
        order = await self._apply(uow, target, event, merge_rejected)
        if order is not None and order.status == "rejected":
            body = (
                f"Your {order.symbol or ''} {order.side or ''} order was rejected: {order.reason}"
            )
            await self._notify(uow, order, "order.rejected", "Order rejected", body)

    async def _expired(self, uow: UnitOfWork, target: Target, event: OrderExpired) -> None:
        order = await self._apply(uow, target, event, merge_expired)
        if order is not None and order.status == "expired":
            body = (
                f"The unfilled {event.remaining_quantity} of your {order.symbol or ''} order "
                f"was cancelled: {event.reason}"
            )
            await self._notify(uow, order, "order.expired", "Order expired", body)

    async def _filled(self, uow: UnitOfWork, target: Target, event: OrderFilled) -> None:
        fill = fill_record(event)
        current = await self._lock(uow, target.order_id, event.user_id, event)
        if current is None or not await self.repo.add_fill(uow.conn, fill):
            return
        totals = await self.repo.fill_totals(uow.conn, target.order_id)
        base = for_attempt(current, target.attempt)
        merged = (
            merge_fill_totals(current, totals)
            if base is None
            else merge_filled(base, event, totals)
        )
        order = await self._save(uow, current, merged, force=True)
        message = OrderFilledPush(order=order_view(order), fill=fill_view(fill, order.order_id))
        self._push_after_commit(uow, order.user_id, "order.filled", _encode(message))
        kind, title, body = fill_notice(order, fill)
        await self._notify(uow, order, kind, title, body)

    async def _lock(
        self, uow: UnitOfWork, order_id: str, user_id: str, event: Any
    ) -> OrderRecord | None:
        order = await self.repo.lock_order(uow.conn, order_id, user_id, event.occurred_at)
        if order.user_id != user_id:
            # Contract breach upstream; applying it could show one user another's order.
            log.error("event names another owner of the order; ignored", extra={"order": order_id})
            return None
        return order

    async def _apply(
        self,
        uow: UnitOfWork,
        target: Target,
        event: ExecutionEvent,
        merge: Callable[[OrderRecord, Any], OrderRecord],
    ) -> OrderRecord | None:
        """Fold `event` into the order; None when it may not (another owner, a stale attempt)."""
        current = await self._lock(uow, target.order_id, event.user_id, event)
        base = None if current is None else for_attempt(current, target.attempt)
        if current is None or base is None:
            return None
        return await self._save(uow, current, merge(base, event))

    async def _save(
        self, uow: UnitOfWork, current: OrderRecord, merged: OrderRecord, *, force: bool = False
    ) -> OrderRecord:
        """Persist a changed row and push `order.updated`; an unchanged row stays silent."""
        if merged == current and current.revision > 0 and not force:
            return current
        order = msgspec.structs.replace(
            merged, revision=current.revision + 1, updated_at=self.runtime.clock()
        )
        await self.repo.save_order(uow.conn, order)
        payload = _encode(OrderUpdated(order=order_view(order)))
        self._push_after_commit(uow, order.user_id, "order.updated", payload)
        return order

    async def _notify(
        self, uow: UnitOfWork, order: OrderRecord, kind: str, title: str, body: str
    ) -> None:
        await self._add_notification(uow, order.user_id, kind, title, body, order.order_id)

    async def _add_notification(
        self,
        uow: UnitOfWork,
        user_id: str,
        kind: str,
        title: str,
        body: str,
        order_id: str | None,
    ) -> None:
        record = NotificationRecord(
            id=uuid.uuid4(),
            user_id=user_id,
            kind=kind,
            title=title,
            body=body,
            order_id=order_id,
            created_at=self.runtime.clock(),
        )
        await self.repo.add_notification(uow.conn, record)
        payload = _encode(NotificationCreated(notification=notification_view(record)))
        self._push_after_commit(uow, user_id, "notification.created", payload)

    async def on_security_event(self, event: SecurityEventRaised, uow: UnitOfWork) -> None:
        """Tell the user about a security-relevant change to their account, at once."""
        title, body = _SECURITY_MESSAGES[event.kind]
        await self._add_notification(
            uow, event.user_id, f"security.{event.kind}", title, body, None
        )

    def _push_after_commit(self, uow: UnitOfWork, user_id: str, kind: str, payload: bytes) -> None:
        async def push() -> None:
            self._pushes.labels(kind).inc()
            await self.hub.push(user_id, payload)

        uow.after_commit(push)

    # ---- queries -------------------------------------------------------------------------

    async def list_orders(self, principal: Principal, limit: int) -> list[OrderView]:
        return [order_view(o) for o in await self.repo.list_orders(principal.user_id, limit)]

    async def order_detail(self, principal: Principal, order_id: str) -> OrderDetail:
        order = await self.repo.get_order(principal.user_id, order_id)
        if order is None:
            raise ProblemError(404, "order_not_found", "No such order")
        fills = await self.repo.fills_of(order.order_id)
        views = [fill_view(f, order.order_id) for f in fills]
        return OrderDetail(order=order_view(order), fills=views)

    async def notifications(
        self, principal: Principal, limit: int, *, unread_only: bool
    ) -> NotificationList:
        records: Sequence[NotificationRecord] = await self.repo.list_notifications(
            principal.user_id, limit, unread_only=unread_only
        )
        unread = await self.repo.count_unread(principal.user_id)
        return NotificationList(items=[notification_view(r) for r in records], unread=unread)

    async def mark_read(self, principal: Principal, notification_id: str) -> NotificationView:
        try:
            key = uuid.UUID(notification_id)
        except ValueError:
            raise ProblemError(404, "notification_not_found", "No such notification") from None
        record = await self.repo.mark_read(principal.user_id, key, self.runtime.clock())
        if record is None:
            raise ProblemError(404, "notification_not_found", "No such notification")
        return notification_view(record)

    # ---- WebSocket sessions --------------------------------------------------------------

    @property
    def ws_auth_timeout(self) -> float:
        return WS_AUTH_TIMEOUT_SECONDS

    def authenticate(self, token: str) -> SocketSession:
        """Verify an access token sent on a socket; ProblemError(401) when it is not valid."""
        principal = self.runtime.tokens.verify(token)
        # The signature was just verified; the claims are only read for the expiry.
        claims = jwt.decode(token, options={"verify_signature": False})
        return SocketSession(principal=principal, expires_at=float(claims["exp"]))

    @staticmethod
    def seconds_left(session: SocketSession) -> float:
        return session.expires_at - time.time()
