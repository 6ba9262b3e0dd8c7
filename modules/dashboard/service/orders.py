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

How an event changes a row and what a notice says are pure rules in domain/; rows become push
shapes through views.py. This file does the I/O around them.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

import jwt
import msgspec

import modules.dashboard.config as config
from modules.dashboard.domain import notices
from modules.dashboard.domain import push as push_rules
from modules.dashboard.domain.notices import Notice
from modules.dashboard.domain.order_fold import (
    fill_record,
    for_attempt,
    merge_accepted,
    merge_cancelled,
    merge_expired,
    merge_fill_totals,
    merge_filled,
    merge_rejected,
    merge_routed,
    routed_target,
)
from modules.dashboard.domain.read_model import (
    FillTotals,
    NotificationRecord,
    OrderRecord,
    Target,
)
from modules.dashboard.domain.socket_end import SocketEnd, socket_end
from modules.dashboard.ports import Outlet, PushHub
from modules.dashboard.repository.orders import DashboardRepository
from modules.dashboard.schemas.orders import (
    NotificationCreated,
    NotificationView,
    OrderFilledPush,
    OrderUpdated,
    SocketError,
)
from modules.dashboard.service.push import Notifier
from modules.dashboard.views.orders import fill_view, notification_view, order_view
from modules.execution.contracts import (
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from modules.identity.contracts import SecurityEventRaised
from modules.kernel.auth import Principal
from modules.kernel.events import decode_event
from modules.kernel.ids import time_ordered_uuid
from modules.kernel.metrics import Labelled
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.refusal import Kind, Refused
from modules.kernel.revocation import UserRevocation
from modules.routing.contracts import OrderRouted

log = logging.getLogger("nija.dashboard")

_encode = msgspec.json.Encoder().encode
ExecutionEvent = OrderAccepted | OrderFilled | OrderRejected | OrderExpired | OrderCancelled


class SocketSession(msgspec.Struct, frozen=True):
    """An authenticated WebSocket: who it belongs to, in which session, and until when the token
    is valid (epoch seconds); the socket lives no longer than its token."""

    principal: Principal
    expires_at: float


def _order_key(event: OrderRouted | ExecutionEvent) -> tuple[str, int]:
    # An attempt's routing decision folds before its execution events.
    return event.order_id, 0 if isinstance(event, OrderRouted) else 1


class _Rows:
    """A batch's order rows, locked: as last folded, and those to write back; and its fills,
    recorded together (by event id: the order's totals with the fill, None if known)."""

    def __init__(self, locked: dict[str, OrderRecord]) -> None:
        self.locked = locked
        self.dirty: dict[str, OrderRecord] = {}
        self.fills: dict[str, FillTotals | None] = {}
        # Notices told by the batch, stored together after its folds.
        self.notices: list[tuple[NotificationRecord, push_rules.Push | None]] = []
        # Each order's newest `order.updated` of the batch: only what is committed is pushed,
        # once per order (in the place of its first update), not every step the batch folded.
        self.updates: dict[str, bytes] = {}


class DashboardService:
    def __init__(
        self, runtime: Runtime, hub: PushHub, repository: DashboardRepository, notifier: Notifier
    ) -> None:
        self.runtime = runtime
        self.hub = hub
        self.repo = repository
        # Queues the phone push of a notification, in the notification's transaction.
        self.notifier = notifier
        self._pushes = Labelled(
            runtime.metrics.counter(
                "nija_dashboard_pushes_total", "WebSocket pushes by message type", ["type"]
            )
        )
        self.socket_faults = runtime.metrics.counter(
            "nija_dashboard_socket_faults_total",
            "WebSocket sends, closes and reads that failed and were dropped, by step",
            ["step"],
        )
        self._sockets_ended = runtime.metrics.counter(
            "nija_dashboard_sockets_ended_total",
            "Open WebSockets the server closed because their token stopped being valid, by why",
            ["why"],
        )
        # The order rows of the batches being folded, by their transaction (`fold_orders`).
        self._rows: weakref.WeakKeyDictionary[UnitOfWork, _Rows] = weakref.WeakKeyDictionary()
        # This replica's open sockets and the session each one's token belongs to.
        self._sockets: dict[Outlet, SocketSession] = {}

    # ---- event handlers (each inside the handler's transaction) ----------------------------

    # Order events come several per order placed; the order path's batch (service/order_path.py)
    # hands them over together. `fold_orders` reads the batch's targets and locks its order rows
    # up front, in order-id order (so two batches wait for each other instead of deadlocking),
    # keeps the rows in memory while the events fold one by one, and writes the changed ones back
    # at the end: a handful of statements per batch instead of three per event.

    async def fold_orders(
        self, events: list[OrderRouted | ExecutionEvent], uow: UnitOfWork
    ) -> None:
        ordered = sorted(events, key=_order_key)
        routed = {e.order_id: routed_target(e) for e in ordered if isinstance(e, OrderRouted)}
        unseen = sorted({e.order_id for e in ordered} - routed.keys())
        targets = await self.repo.targets_of(uow.conn, unseen) if unseen else {}
        targets.update(routed)
        seeds: dict[str, tuple[str, str, datetime]] = {}
        for event in ordered:
            target = targets.get(event.order_id)
            if target is not None and target.order_id not in seeds:
                seeds[target.order_id] = (target.order_id, event.user_id, event.occurred_at)
        # The routed attempts mapped first, in the same statement: attempt rows before order
        # rows, as every fold takes them (no lock cycle).
        locked = await self.repo.lock_orders(uow.conn, list(seeds.values()), list(routed.items()))
        rows = _Rows(locked)
        await self._record_fills(uow, ordered, targets, rows)
        self._rows[uow] = rows
        try:
            await self._fold_locked(uow, ordered, targets)
        finally:
            del self._rows[uow]
        if rows.notices:
            await self.notifier.store_many(uow, rows.notices)  # no dedupe key: all stored
        await self.repo.save_orders(uow.conn, list(rows.dirty.values()))

    async def _record_fills(
        self, uow: UnitOfWork, ordered: list[Any], targets: dict[str, Target], rows: _Rows
    ) -> None:
        """The batch's fills of orders it locked (and owned by the trader the event names), in
        one statement, in the order they fold."""
        fills = [
            event
            for event in ordered
            if isinstance(event, OrderFilled)
            and (target := targets.get(event.order_id)) is not None
            and (row := rows.locked.get(target.order_id)) is not None
            and row.user_id == event.user_id
        ]
        if fills:
            records = [(fill_record(e), targets[e.order_id].order_id) for e in fills]
            totals = await self.repo.add_fills(uow.conn, records)
            rows.fills = {e.event_id: t for e, t in zip(fills, totals, strict=True)}

    async def _fold_locked(
        self, uow: UnitOfWork, ordered: list[Any], targets: dict[str, Target]
    ) -> None:
        """Routing decisions first (their attempts already mapped), then the events parked for
        them (taken in one statement), then the batch's execution events."""
        routed = [event for event in ordered if isinstance(event, OrderRouted)]
        if routed:
            for event in routed:
                await self._routed(uow, event, routed_target(event))
            parked = await self.repo.unpark(uow.conn, [event.order_id for event in routed])
            for attempt_order_id, topic, payload in parked:
                late = cast(ExecutionEvent, decode_event(topic, payload))
                await self._fold(uow, targets[attempt_order_id], late)
        for event in ordered:
            if not isinstance(event, OrderRouted):
                await self.on_execution(event, uow, targets.get(event.order_id))

    async def _routed(self, uow: UnitOfWork, event: OrderRouted, target: Target) -> None:
        current = await self._lock(uow, target.order_id, event.user_id, event)
        if current is not None:
            # A late decision of an earlier attempt still describes the order (symbol, size,
            # when it was placed); the venue stays the later attempt's (`merge_routed` keeps it).
            base = for_attempt(current, target.attempt) or current
            order = await self._save(uow, current, merge_routed(base, event))
            await self._notify(uow, order, notices.rerouted(current, order))

    async def on_execution(
        self, event: ExecutionEvent, uow: UnitOfWork, target: Target | None = None
    ) -> None:
        """Fold an execution event into its order, or park it until its attempt is mapped."""
        if target is None:
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
                order = await self._apply(uow, target, event, merge_rejected)
                if order is not None:
                    await self._notify(uow, order, notices.rejected(order))
            case OrderExpired():
                order = await self._apply(uow, target, event, merge_expired)
                if order is not None:
                    await self._notify(uow, order, notices.expired(order, event))
            case OrderCancelled():
                order = await self._apply(uow, target, event, merge_cancelled)
                if order is not None:
                    await self._notify(uow, order, notices.cancelled(order, event))

    async def _filled(self, uow: UnitOfWork, target: Target, event: OrderFilled) -> None:
        fill = fill_record(event)
        current = await self._lock(uow, target.order_id, event.user_id, event)
        if current is None:
            return
        rows = self._rows.get(uow)
        if rows is not None and event.event_id in rows.fills:
            totals = rows.fills[event.event_id]  # recorded with the batch's other fills
        else:
            totals = await self.repo.add_fill(uow.conn, fill, target.order_id)
        if totals is None:
            return
        base = for_attempt(current, target.attempt)
        merged = (
            merge_fill_totals(current, totals)
            if base is None
            else merge_filled(base, event, totals)
        )
        order = await self._save(uow, current, merged, force=True)
        message = OrderFilledPush(order=order_view(order), fill=fill_view(fill, order.order_id))
        self._push_after_commit(uow, order.user_id, "order.filled", _encode(message))
        trade = push_rules.trade_executed(
            side=event.side,
            venue=event.venue,
            symbol=event.symbol,
            price=fill.price,
            quantity=fill.quantity,
            order_id=order.order_id,
            position_id=event.position_id,
        )
        await self._notify(uow, order, notices.filled(order, fill), trade)

    async def _lock(
        self, uow: UnitOfWork, order_id: str, user_id: str, event: Any
    ) -> OrderRecord | None:
        rows = self._rows.get(uow)
        order = None if rows is None else rows.locked.get(order_id)
        if order is None:
            order = await self.repo.lock_order(uow.conn, order_id, user_id, event.occurred_at)
            if rows is not None:
                rows.locked[order_id] = order
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
        rows = self._rows.get(uow)
        if rows is None:
            await self.repo.save_order(uow.conn, order)
        else:  # written back with the batch's other rows (`fold_orders`)
            rows.locked[order.order_id] = rows.dirty[order.order_id] = order
        payload = _encode(OrderUpdated(order=order_view(order)))
        if rows is None:
            self._push_after_commit(uow, order.user_id, "order.updated", payload)
            return order
        if order.order_id not in rows.updates:
            newest = functools.partial(rows.updates.__getitem__, order.order_id)
            self._push_after_commit(uow, order.user_id, "order.updated", newest)
        rows.updates[order.order_id] = payload
        return order

    async def _notify(
        self,
        uow: UnitOfWork,
        order: OrderRecord,
        notice: Notice | None,
        push: push_rules.Push | None = None,
    ) -> None:
        if notice is not None:
            await self._add_notification(uow, order.user_id, notice, order.order_id, push)

    async def notify_security_event(self, event: SecurityEventRaised, uow: UnitOfWork) -> None:
        """Tell the user about a security-relevant change to their account, at once."""
        notice, push = notices.security(event.kind), push_rules.security(event.kind)
        await self._add_notification(uow, event.user_id, notice, None, push)

    async def _add_notification(
        self,
        uow: UnitOfWork,
        user_id: str,
        notice: Notice,
        order_id: str | None,
        push: push_rules.Push | None = None,
    ) -> None:
        if push is not None:
            push = await self.notifier.resolve(uow, user_id, push)
        record = NotificationRecord(
            id=time_ordered_uuid(),
            user_id=user_id,
            kind=notice.kind,
            title=notice.title,
            body=notice.body,
            order_id=order_id,
            created_at=self.runtime.clock(),
            url=None if push is None else push.data.url,
        )
        rows = self._rows.get(uow)
        if rows is None:
            await self.notifier.store(uow, record, push)  # no dedupe key: always stored
        else:
            rows.notices.append((record, push))
        payload = _encode(NotificationCreated(notification=notification_view(record)))
        self._push_after_commit(uow, user_id, "notification.created", payload)

    def _push_after_commit(
        self, uow: UnitOfWork, user_id: str, kind: str, payload: bytes | Callable[[], bytes]
    ) -> None:
        async def push() -> None:
            self._pushes.labels(kind).inc()
            await self.hub.push(user_id, payload if isinstance(payload, bytes) else payload())

        uow.after_commit(push)

    # ---- requests ------------------------------------------------------------------------

    async def mark_read(self, principal: Principal, notification_id: str) -> NotificationView:
        try:
            key = uuid.UUID(notification_id)
        except ValueError:
            raise Refused(
                Kind.NOT_FOUND, "notification_not_found", "No such notification"
            ) from None
        record = await self.repo.mark_read(principal.user_id, key, self.runtime.clock())
        if record is None:
            raise Refused(Kind.NOT_FOUND, "notification_not_found", "No such notification")
        return notification_view(record)

    # ---- WebSocket sessions --------------------------------------------------------------

    async def authenticate(self, token: str) -> SocketSession:
        """Verify an access token sent on a socket: the kernel's token codec refuses a bad or
        expired one, its revocations a revoked one (or one of a suspended user)."""
        principal = self.runtime.tokens.verify(token)
        await self.runtime.revocations.check(
            principal.user_id, principal.issued_at_ms, principal.session_id
        )
        # The signature was just verified; the claims are only read for the expiry.
        claims = jwt.decode(token, options={"verify_signature": False})
        return SocketSession(principal=principal, expires_at=float(claims["exp"]))

    def track(self, outlet: Outlet, session: SocketSession) -> None:
        """Keep `outlet` open only while `session`'s token stays valid (until `forget`)."""
        self._sockets[outlet] = session

    def socket_write_failed(self, error: Exception) -> None:
        """A send on a socket failed (the peer is going): counted and logged, nothing more."""
        self.socket_faults.labels("write").inc()
        log.warning("WebSocket write failed", exc_info=error)

    def forget(self, outlet: Outlet) -> None:
        self._sockets.pop(outlet, None)

    def end_socket(self, outlet: Outlet, end: SocketEnd) -> None:
        """Tell the client why, then close; later pushes to the socket are dropped."""
        self.forget(outlet)
        self._sockets_ended.labels(end.error).inc()
        outlet.offer(_encode(SocketError(code=end.error)))
        outlet.close(end.code, end.reason)

    async def end_dead_sockets(self) -> int:
        """Close this replica's sockets whose token expired or was revoked; how many closed.

        A revocation made on any replica reaches this one through the shared state. Each user
        with open sockets costs one look at the revocation cache HTTP requests share; the users
        whose entries went stale are read together, a few hundred per state read, so 10,000
        users' sockets cost about twenty reads a second, however many sockets each holds.
        """
        watched = list(self._sockets.items())
        markers = await self._revocations({s.principal.user_id for _, s in watched})
        now = time.time()
        ended = 0
        for outlet, session in watched:
            if self._sockets.get(outlet) is not session:
                continue  # renewed or gone while the revocations were read: judged next round
            principal = session.principal
            marker = markers[principal.user_id]
            refusal = None
            if marker is not None:
                refusal = marker.refusal(principal.issued_at_ms, principal.session_id)
            end = socket_end(refusal, session.expires_at, now)
            if end is not None:
                self.end_socket(outlet, end)
                ended += 1
        return ended

    async def _revocations(self, user_ids: set[str]) -> dict[str, UserRevocation | None]:
        # In batches: a replica holding many users' sockets reads their stale entries a few
        # hundred per statement, not one statement (and one task) per user every round.
        return await self.runtime.revocations.markers(user_ids, batch=config.WS_REVOCATION_BATCH)
