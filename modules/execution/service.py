"""Execution use cases: queue routed orders, place them exactly once, keep positions.

The `OrderRouted` handler only *enqueues* (a `queued` row, client order id fixed) and returns;
per-venue workers (adapters/workers.py) claim rows fairly and place them outside any inbox
transaction, behind the venue's circuit breaker and the account's token bucket (both shared
through the state port). A timeout leaves the order `ambiguous` until a lookup by client order
id settles it; nothing is ever sent twice because the venue is idempotent on that id and we
never re-send an ambiguous order. Start-up reconciles every unsettled order with its venue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from modules.execution.adapters.order_events import (
    EVENT_NAMESPACE,
    PRICE_STEP,
    event_id,
    order_status,
    placement_events,
    request_for,
)
from modules.execution.adapters.positions import PositionState, apply_fill, unrealised
from modules.execution.adapters.resilience import (
    BreakerPolicy,
    CircuitBreaker,
    TokenBucket,
)
from modules.execution.adapters.venue import (
    Venue,
    VenueFault,
    VenueOrder,
    VenueRejected,
    VenueUnavailable,
)
from modules.execution.adapters.venue_monitor import VenueMonitor
from modules.execution.adapters.venue_stats import VenueLimits
from modules.execution.adapters.workers import VenuePool
from modules.execution.contracts import (
    CredentialUnsealed,
    CredentialVerified,
    OrderRejected,
    PositionChanged,
    UnknownFillDetected,
    UserTradingPaused,
    UserTradingResumed,
)
from modules.execution.repository import (
    ExecutionRepository,
    PositionRow,
    QueuedOrder,
    StoredCredential,
)
from modules.execution.schemas import (
    PositionView,
)
from modules.kernel.logs import register_secret
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.sealing import CredentialMaterial, UnsealError, unseal
from modules.routing.contracts import KillSwitchChanged, OrderRouted
from modules.vault.contracts import CredentialVerificationRequested

log = logging.getLogger("nija.execution")
EVENT_SOURCE = "nija/execution"
MAX_CONSECUTIVE_ERRORS = 5
_TERMINAL = frozenset({"filled", "expired", "rejected"})


class RetryLater(Exception):
    """Not an error yet: raise to have the bus redeliver the event after a backoff."""


class ExecutionService:
    def __init__(
        self, runtime: Runtime, venues: Mapping[str, Venue], repository: ExecutionRepository
    ) -> None:
        self._runtime = runtime
        self._venues = dict(venues)
        self._repo = repository
        self.replica = f"replica-{uuid.uuid4().hex[:12]}"
        settings = runtime.settings
        # A credential we have not heard of may still be on its way from vault (another topic,
        # another queue); wait for it within half of the bus's retry budget, then give up.
        budget = sum(
            min(settings.bus_retry_base_seconds * 2**i, settings.bus_retry_max_seconds)
            for i in range(max(settings.bus_max_attempts - 1, 0))
        )
        self._credential_grace = timedelta(seconds=budget / 2)
        state = runtime.state("execution")
        self.limits = {name: VenueLimits() for name in self._venues}
        self.breakers = {
            name: CircuitBreaker(state, name, BreakerPolicy()) for name in self._venues
        }
        self._bucket = TokenBucket(state)
        self._real: dict[tuple[str, str], Venue] = {}
        # Per venue, replacement API base URLs for ccxt (a loopback exchange simulator in tests).
        self.ccxt_urls: dict[str, dict[str, str]] = {}
        self.pools = {
            name: VenuePool(name, self._claim, self._run, capacity=self._capacity_of(name))
            for name in self._venues
        }
        metrics = runtime.metrics
        self._m_exec = metrics.counter(
            "nija_executions_total", "Placement attempts by venue and outcome", ["venue", "outcome"]
        )
        self._m_ok = metrics.counter(
            "nija_executions_success_total", "Successful placements by venue", ["venue", "outcome"]
        )
        self.monitor = VenueMonitor(
            self._venues,
            self.breakers,
            self.limits,
            runtime.pubsub,
            metrics,
            self._queue_depths,
            lambda venue: self.pools[venue].in_flight,
        )

    @property
    def venues(self) -> Mapping[str, Venue]:
        return self._venues

    def _capacity_of(self, venue: str) -> Callable[[], int]:
        return lambda: self.limits[venue].max_in_flight

    async def _queue_depths(self) -> dict[str, int]:
        async with self._runtime.db.connection() as conn:
            return await self._repo.queue_depths(conn)

    # -- intake --------------------------------------------------------------------------------
    async def enqueue(self, event: OrderRouted, uow: UnitOfWork) -> None:
        """Durably queue a routed order (or refuse it at once); placement happens later."""
        stored = await self._repo.credential(uow.conn, event.credential_id)
        if stored is None and self._runtime.clock() - event.occurred_at < self._credential_grace:
            raise RetryLater(f"credential {event.credential_id} not known yet")
        refusal = None
        if event.venue not in self._venues:
            refusal = ("unknown_venue", f"no venue named {event.venue}")
        elif not _usable(stored, event.user_id, event.venue):
            refusal = ("credential_unavailable", "the credential is revoked or unknown")
        elif await self._repo.paused(uow.conn, event.user_id):
            refusal = ("user_paused", "trading is paused for this user")
        if refusal is not None:
            if await self._repo.enqueue(uow.conn, event, status="rejected"):
                await self._repo.mark_rejected(uow.conn, event.order_id, refusal[0])
                uow.publish(self._rejected_event(_order_of(event), *refusal))
            return
        if await self._repo.enqueue(uow.conn, event):
            pool = self.pools[event.venue]
            uow.after_commit(pool.nudge)

    # -- workers -------------------------------------------------------------------------------
    async def _claim(
        self, venue: str, skip: list[str], limit: int
    ) -> tuple[list[QueuedOrder], dict[str, float]]:
        limits = self.limits[venue]
        async with self._runtime.db.connection() as conn:
            claimed = await self._repo.claim_next(conn, venue, skip, self.replica, limit)
        # One order per user, so one account each: their tokens can be taken side by side.
        waits = await asyncio.gather(
            *(
                self._bucket.take(
                    f"{venue}:{order.credential_id}", limits.orders_per_second, limits.burst
                )
                for order, _turn in claimed
            )
        )
        ready: list[QueuedOrder] = []
        cooling: dict[str, float] = {}
        for (order, previous_turn), wait in zip(claimed, waits, strict=True):
            if wait <= 0:
                ready.append(order)
                continue
            # This account is out of tokens: put the order back, in its old place, and serve
            # the others meanwhile.
            cooling[order.credential_id] = wait
            async with self._runtime.db.connection() as conn:
                await self._repo.unclaim(conn, order, previous_turn)
        return ready, cooling

    async def _run(self, order: QueuedOrder) -> None:
        breaker = self.breakers[order.venue]
        before = breaker.last_state
        admission = await breaker.admit()
        await self.monitor.breaker_moved(order.venue, before)
        if admission == "reject":
            self._m_exec.labels(order.venue, "breaker_open").inc()
            await self._reject(order, "breaker_open", f"{order.venue} is failing; breaker open")
            return
        opened = await self._open_for(order, purpose="place_order")
        if opened is None:
            return
        venue, material = opened
        mask = register_secret(material.api_secret)
        try:
            await self._attempt(order, venue, material, probe=admission == "probe")
        finally:
            del mask, material

    async def _attempt(
        self, order: QueuedOrder, venue: Venue, material: CredentialMaterial, *, probe: bool
    ) -> None:
        breaker = self.breakers[order.venue]
        before = breaker.last_state
        started = time.perf_counter()
        outcome = "accepted"
        try:
            placed = await asyncio.wait_for(
                venue.place_order(request_for(order), material),
                self.limits[order.venue].place_timeout_seconds,
            )
        except VenueRejected as refusal:
            outcome = refusal.code
            await breaker.success(probe)
            await self._reject(order, refusal.code, refusal.reason, error=_is_error(refusal.code))
        except VenueFault as fault:
            outcome = fault.code
            await breaker.failure(probe)
            await self._reject(order, fault.code, fault.reason, error=True)
        except (VenueUnavailable, TimeoutError):
            outcome = "ambiguous"
            await breaker.failure(probe)
            await self._mark_ambiguous(order)
            await self._resolve(order, venue, material)
        else:
            await breaker.success(probe)
            await self._record(order, placed)
        latency = (time.perf_counter() - started) * 1000
        self.monitor.stats[order.venue].add(outcome == "accepted", latency)
        self._m_exec.labels(order.venue, outcome).inc()
        if outcome == "accepted":
            self._m_ok.labels(order.venue, outcome).inc()
        await self.monitor.breaker_moved(order.venue, before)

    async def _resolve(
        self, order: QueuedOrder, venue: Venue, material: CredentialMaterial
    ) -> bool:
        """Settle an ambiguous order by looking it up (reads retry with backoff). Never re-sends."""
        try:
            found = await self._lookup(venue, order.client_order_id, material)
        except (VenueFault, VenueUnavailable, TimeoutError):
            log.warning("ambiguous order still unresolved", extra={"order_id": order.order_id})
            return False
        if found is None:
            await self._reject(order, "timeout", f"{order.venue} did not answer; order not placed")
        else:
            await self._record(order, found)
        return True

    async def _lookup(
        self, venue: Venue, client_order_id: str, material: CredentialMaterial
    ) -> VenueOrder | None:
        delay = 0.05
        for attempt in range(4):
            try:
                return await asyncio.wait_for(
                    venue.fetch_order_by_client_id(client_order_id, material), 5.0
                )
            except (VenueFault, VenueUnavailable, TimeoutError):
                if attempt == 3:
                    raise
                await asyncio.sleep(delay)
                delay *= 2
        return None

    async def _open_for(
        self, order: QueuedOrder, purpose: str
    ) -> tuple[Venue, CredentialMaterial] | None:
        """Unseal the order's credential in memory (audited), or reject the order."""
        async with self._runtime.unit_of_work("execution") as uow:
            locked = await self._repo.order(uow.conn, order.order_id)
            if locked is None or locked.status in _TERMINAL:
                return None
            if purpose == "place_order" and await self._repo.paused(uow.conn, order.user_id):
                await self._reject_in(uow, order, "user_paused", "trading is paused for this user")
                return None
            stored = await self._repo.credential(uow.conn, order.credential_id)
            material = None
            if _usable(stored, order.user_id, order.venue) and stored and stored.sealed:
                try:
                    material = unseal(
                        self._runtime.keyring, stored.sealed, order.user_id, order.venue
                    )
                except UnsealError:
                    log.warning("credential did not open", extra={"order": order.order_id})
            if material is None or stored is None:
                await self._reject_in(
                    uow, order, "credential_unavailable", "the credential is revoked or unknown"
                )
                return None
            venue = self._venue_for(stored)
            if venue is None:
                await self._reject_in(
                    uow, order, "venue_unavailable", f"no {stored.environment} {order.venue} client"
                )
                return None
            uow.publish(
                CredentialUnsealed(
                    credential_id=order.credential_id,
                    user_id=order.user_id,
                    venue=order.venue,
                    order_id=order.order_id,
                    purpose=purpose,  # type: ignore[arg-type]
                )
            )
        return venue, material

    def _venue_for(self, stored: StoredCredential) -> Venue | None:
        if stored.environment in ("sandbox", "live"):
            return self._real_venue(stored)
        return self._venues.get(stored.venue)

    def _real_venue(self, stored: StoredCredential) -> Venue | None:
        """The real exchange through ccxt: one adapter per venue and environment.

        The adapter opens a fresh ccxt client per call with the credential it is handed, so
        sharing it between users shares only market metadata, never a key.
        """
        key = (stored.venue, stored.environment)
        if key not in self._real:
            try:
                from modules.execution.adapters.ccxt_venue import build_ccxt_venue
            except ImportError:
                return None
            self._real[key] = build_ccxt_venue(
                stored.venue, stored.environment, urls_override=self.ccxt_urls.get(stored.venue)
            )
        return self._real[key]

    async def close(self) -> None:
        for venue in self._real.values():
            closing = getattr(venue, "close", None)
            if closing is not None:
                with contextlib.suppress(Exception):
                    await closing()
        self._real.clear()

    # -- outcomes ------------------------------------------------------------------------------
    async def _mark_ambiguous(self, order: QueuedOrder) -> None:
        async with self._runtime.unit_of_work("execution") as uow:
            await self._repo.set_status(uow.conn, order.order_id, "ambiguous")
            await self._count_error(uow, order.user_id)

    async def halt_queued(self, event: KillSwitchChanged, uow: UnitOfWork) -> None:
        """A kill switch stops what is still queued, not only what routing has yet to send."""
        if not event.active:
            return
        user_id = event.user_id if event.scope == "user" else None
        if event.scope == "user" and user_id is None:
            return
        for order in await self._repo.lock_queued(uow.conn, user_id):
            await self._reject_in(
                uow, order, "kill_switch_active", f"trading halted by a {event.scope} kill switch"
            )

    async def _reject(
        self, order: QueuedOrder, code: str, reason: str, error: bool = False
    ) -> None:
        async with self._runtime.unit_of_work("execution") as uow:
            locked = await self._repo.order(uow.conn, order.order_id)
            if locked is None or locked.status in _TERMINAL:
                return
            await self._reject_in(uow, order, code, reason)
            if error:
                await self._count_error(uow, order.user_id)

    async def _reject_in(self, uow: UnitOfWork, order: QueuedOrder, code: str, reason: str) -> None:
        await self._repo.mark_rejected(uow.conn, order.order_id, code)
        uow.publish(self._rejected_event(order, code, reason))

    def _rejected_event(self, order: QueuedOrder, code: str, reason: str) -> OrderRejected:
        return OrderRejected(
            event_id=event_id(order.order_id, "rejected"),
            order_id=order.order_id,
            user_id=order.user_id,
            venue=order.venue,
            code=code,
            reason=reason,
        )

    async def _count_error(self, uow: UnitOfWork, user_id: str) -> None:
        if await self._repo.count_error(uow.conn, user_id) >= MAX_CONSECUTIVE_ERRORS:
            await self._pause_in(uow, user_id, "consecutive_errors")

    async def _pause_in(self, uow: UnitOfWork, user_id: str, reason: str) -> None:
        if await self._repo.pause(uow.conn, user_id, reason):
            log.warning("trading paused", extra={"user_id": user_id, "reason": reason})
            uow.publish(UserTradingPaused(user_id=user_id, reason=reason))

    async def resume_user(self, user_id: str) -> bool:
        async with self._runtime.unit_of_work("execution") as uow:
            resumed = await self._repo.resume(uow.conn, user_id)
            if resumed:
                uow.publish(UserTradingResumed(user_id=user_id))
        return resumed

    async def _record(self, order: QueuedOrder, placed: VenueOrder) -> None:
        async with self._runtime.unit_of_work("execution") as uow:
            locked = await self._repo.order(uow.conn, order.order_id)
            if locked is None or locked.status in ("filled", "expired"):
                return
            filled = placed.filled
            average = (
                (sum((f.price * f.quantity for f in placed.fills), Decimal(0)) / filled).quantize(
                    PRICE_STEP
                )
                if filled
                else None
            )
            new_fills = await self._repo.record_placement(
                uow.conn,
                order_id=order.order_id,
                venue=placed.venue,
                venue_order_id=placed.venue_order_id,
                status=order_status(placed, filled),
                fills=placed.fills,
                average_price=average,
            )
            for event in placement_events(order, placed, locked.status, new_fills):
                uow.publish(event)
            for fill in placed.fills:
                if fill.trade_id in new_fills:
                    await self._fold_position(
                        uow, order, fill.trade_id, fill.price, fill.quantity, fill.fee
                    )
            await self._repo.clear_errors(uow.conn, order.user_id)

    # -- positions -----------------------------------------------------------------------------
    async def _fold_position(
        self,
        uow: UnitOfWork,
        order: QueuedOrder,
        fill_id: str,
        price: Decimal,
        quantity: Decimal,
        fee: Decimal,
    ) -> None:
        position_id = str(
            uuid.uuid5(EVENT_NAMESPACE, f"position:{order.user_id}:{order.venue}:{order.symbol}")
        )
        state = apply_fill(
            await self._repo.lock_position(uow.conn, position_id), order.side, price, quantity, fee
        )
        row = PositionRow(
            position_id=position_id,
            user_id=order.user_id,
            venue=order.venue,
            symbol=order.symbol,
            state=state,
        )
        await self._repo.save_position(uow.conn, row)
        uow.publish(
            PositionChanged(
                event_id=event_id(position_id, "fill", fill_id),
                position_id=position_id,
                user_id=order.user_id,
                venue=order.venue,
                symbol=order.symbol,
                quantity=state.quantity,
                average_entry=state.average_entry,
                realised_pnl=state.realised_pnl,
                fees=state.fees,
                fill_id=fill_id,
                status="open" if state.quantity != 0 else "closed",
            )
        )

    async def positions(self, user_id: str) -> list[PositionView]:
        async with self._runtime.db.connection() as conn:
            rows = await self._repo.positions(conn, user_id)
        return [self._position_view(row) for row in rows]

    def _position_view(self, row: PositionRow) -> PositionView:
        state: PositionState = row.state
        mid = self.monitor.mid(row.venue, row.symbol)
        return PositionView(
            position_id=row.position_id,
            venue=row.venue,
            symbol=row.symbol,
            quantity=state.quantity,
            average_entry=state.average_entry,
            realised_pnl=state.realised_pnl,
            unrealised_pnl=unrealised(state, mid),
            fees=state.fees,
            mark_price=mid,
            status="open" if state.quantity != 0 else "closed",
        )

    # -- credential verification ---------------------------------------------------------------
    async def verify(self, event: CredentialVerificationRequested, uow: UnitOfWork) -> None:
        stored = await self._repo.credential(uow.conn, event.credential_id)
        if stored is None and self._runtime.clock() - event.occurred_at < self._credential_grace:
            raise RetryLater(f"credential {event.credential_id} not known yet")
        verdict = await self._verdict(event, stored, uow)
        ok, permissions, reason = verdict
        uow.publish(
            CredentialVerified(
                event_id=event_id(event.request_id, "verified"),
                request_id=event.request_id,
                credential_id=event.credential_id,
                user_id=event.user_id,
                venue=event.venue,
                ok=ok,
                permissions=permissions,
                reason=reason,
            )
        )

    async def _verdict(
        self,
        event: CredentialVerificationRequested,
        stored: StoredCredential | None,
        uow: UnitOfWork,
    ) -> tuple[bool, list[str], str]:
        if not _usable(stored, event.user_id, event.venue) or stored is None or not stored.sealed:
            return False, [], "credential_unavailable"
        if stored.venue not in self._venues:
            return False, [], "unknown_venue"
        try:
            material = unseal(self._runtime.keyring, stored.sealed, event.user_id, event.venue)
        except UnsealError:
            return False, [], "credential_unavailable"
        uow.publish(
            CredentialUnsealed(
                event_id=event_id(event.request_id, "unsealed"),
                credential_id=event.credential_id,
                user_id=event.user_id,
                venue=event.venue,
                order_id=event.request_id,
                purpose="verify_credential",
            )
        )
        mask = register_secret(material.api_secret)
        try:
            venue = self._venue_for(stored)
            check = getattr(venue, "verify_credential", None) if venue else None
            if check is None:
                return False, [], "verification_unsupported"
            permissions: list[str] = await asyncio.wait_for(check(material), 10.0)
        except VenueRejected as refusal:
            return False, [], refusal.code
        except (VenueFault, VenueUnavailable, TimeoutError) as fault:
            raise RetryLater(f"{event.venue} could not verify now") from fault
        finally:
            del mask, material
        return True, sorted(permissions), ""

    # -- reconciliation --------------------------------------------------------------------------
    async def reconcile(self, *, startup: bool) -> int:
        """Settle orders left placing/ambiguous (by a dead replica) or open, with their venue."""
        async with self._runtime.db.connection() as conn:
            if startup:
                orders = await self._repo.unsettled(conn, self.replica)
            else:
                orders = await self._repo.ambiguous(conn)
        for order in orders:
            try:
                await self._reconcile_one(order)
            except Exception:
                log.exception("reconciliation failed", extra={"order_id": order.order_id})
        return len(orders)

    async def _reconcile_one(self, order: QueuedOrder) -> None:
        opened = await self._open_for(order, purpose="reconcile")
        if opened is None:
            return
        venue, material = opened
        mask = register_secret(material.api_secret)
        try:
            found = await self._lookup(venue, order.client_order_id, material)
        except (VenueFault, VenueUnavailable, TimeoutError):
            return
        finally:
            del mask
        if found is not None:
            await self._record(order, found)
        elif order.status == "placing":
            # Claimed by a replica that died before the venue saw it: safe to queue again,
            # under the same client order id (the venue would answer with the same order).
            async with self._runtime.unit_of_work("execution") as uow:
                await self._repo.set_status(uow.conn, order.order_id, "queued")
            self.pools[order.venue].nudge()
        elif order.status == "ambiguous":
            await self._reject(order, "timeout", f"{order.venue} did not answer; order not placed")

    async def sweep_unknown_fills(self, since: datetime) -> int:
        """Look at every live account's recent venue orders for ones we never sent."""
        async with self._runtime.db.connection() as conn:
            credentials = await self._repo.live_credentials(conn)
        found = 0
        for stored in credentials:
            venue = self._venue_for(stored)
            listing = getattr(venue, "account_orders", None)
            if listing is None or stored.sealed is None:
                continue
            try:
                material = unseal(
                    self._runtime.keyring, stored.sealed, stored.user_id, stored.venue
                )
            except UnsealError:
                continue
            await self._audit_unseal(stored)
            mask = register_secret(material.api_secret)
            try:
                orders: list[VenueOrder] = await listing(material, since)
            except (VenueRejected, VenueFault, VenueUnavailable):
                continue
            finally:
                del mask, material
            found += await self._flag_unknown(stored, orders)
        return found

    async def _audit_unseal(self, stored: StoredCredential) -> None:
        # Every unseal is audited; a sweep acts for no order, so `order_id` is empty.
        async with self._runtime.unit_of_work("execution") as uow:
            uow.publish(
                CredentialUnsealed(
                    credential_id=stored.credential_id,
                    user_id=stored.user_id,
                    venue=stored.venue,
                    order_id="",
                    purpose="reconcile",
                )
            )

    async def _flag_unknown(self, stored: StoredCredential, orders: list[VenueOrder]) -> int:
        if not orders:
            return 0
        async with self._runtime.unit_of_work("execution") as uow:
            known = await self._repo.known_client_ids(uow.conn, [o.client_order_id for o in orders])
            flagged = 0
            for order in orders:
                if order.client_order_id in known or not order.fills:
                    continue
                if not await self._repo.record_unknown(
                    uow.conn,
                    order.venue,
                    stored.user_id,
                    order.venue_order_id,
                    order.client_order_id,
                ):
                    continue
                flagged += 1
                log.warning("unknown fill", extra={"user_id": stored.user_id, "venue": order.venue})
                uow.publish(
                    UnknownFillDetected(
                        event_id=event_id(order.venue, order.venue_order_id, "unknown"),
                        user_id=stored.user_id,
                        venue=order.venue,
                        credential_id=stored.credential_id,
                        venue_order_id=order.venue_order_id,
                        client_order_id=order.client_order_id,
                        symbol=order.symbol,
                        side=order.side,
                        quantity=order.filled,
                    )
                )
                await self._pause_in(uow, stored.user_id, "unknown_fill")
        return flagged

    async def idle(self, within: float = 120.0) -> None:
        """Wait until no order is queued, being placed or ambiguous (for tests' settle)."""
        deadline = time.monotonic() + within
        next_reconcile = time.monotonic()
        while time.monotonic() < deadline:
            async with self._runtime.db.connection() as conn:
                pending = await self._repo.unfinished(conn)
            if pending == 0 and not any(p.in_flight for p in self.pools.values()):
                return
            if pending and time.monotonic() >= next_reconcile:
                # Settles ambiguous orders now rather than at the next market tick.
                await self.reconcile(startup=False)
                next_reconcile = time.monotonic() + 0.2
            await asyncio.sleep(0.01)
        log.warning("execution still busy after %.0f s", within)

    async def run_market_data(self, tick_seconds: float, sweep_seconds: float = 30.0) -> None:
        last_sweep = time.monotonic()
        swept_to = datetime.now(UTC) - timedelta(hours=1)
        while True:
            await asyncio.sleep(tick_seconds)
            with contextlib.suppress(Exception):
                await self.monitor.publish_books()
                await self.monitor.publish_health()
                await self.reconcile(startup=False)
            if time.monotonic() - last_sweep >= sweep_seconds:
                last_sweep = time.monotonic()
                started = datetime.now(UTC)
                with contextlib.suppress(Exception):
                    await self.sweep_unknown_fills(swept_to - timedelta(seconds=5))
                    swept_to = started


def _usable(stored: StoredCredential | None, user_id: str, venue: str) -> bool:
    return (
        stored is not None
        and stored.sealed is not None
        and stored.user_id == user_id
        and stored.venue == venue
    )


def _is_error(code: str) -> bool:
    """Refusals that count towards auto-disable: the account, not the order, is the problem."""
    return code in ("authentication_failed", "permission_denied")


def _order_of(event: OrderRouted) -> QueuedOrder:
    return QueuedOrder(
        order_id=event.order_id,
        user_id=event.user_id,
        client_order_id=event.client_order_id,
        venue=event.venue,
        credential_id=event.credential_id,
        symbol=event.symbol,
        side=event.side,
        order_type=event.order_type,
        quantity=event.quantity,
        limit_price=event.limit_price,
        status="queued",
        priority=event.priority,
    )
