"""Execution use cases: queue routed orders, place them exactly once, keep positions.

The `OrderRouted` handler only *enqueues* (a `queued` row, client order id fixed) and returns;
per-venue workers (adapters/workers.py) claim rows fairly and place them outside any inbox
transaction, behind the venue's circuit breaker and the account's token bucket (both shared
through the state port). A timeout leaves the order `ambiguous` until a lookup by client order
id settles it; nothing is ever sent twice because the venue is idempotent on that id and we
never re-send an ambiguous order. Start-up reconciles every unsettled order with its venue.

This file wires the pieces and keeps the intake; the rest lives in adapters/: placement.py
(claim, send, resolve), outcomes.py (rejections, fills, positions, auto-disable),
credentials.py (unseal, audit, verify) and reconciliation.py (start-up, unknown fills).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from modules.execution.adapters.credentials import Credentials, RetryLater, usable
from modules.execution.adapters.outcomes import MAX_CONSECUTIVE_ERRORS, OrderOutcomes
from modules.execution.adapters.placement import Placement
from modules.execution.adapters.positions import PositionState, unrealised
from modules.execution.adapters.reconciliation import Reconciler
from modules.execution.adapters.resilience import BreakerPolicy, CircuitBreaker
from modules.execution.adapters.venue import Venue
from modules.execution.adapters.venue_monitor import VenueMonitor
from modules.execution.adapters.venue_stats import VenueLimits
from modules.execution.adapters.workers import VenuePool
from modules.execution.repository import (
    ExecutionRepository,
    PositionRow,
    QueuedOrder,
)
from modules.execution.schemas import (
    PositionView,
)
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.ports import StateStore
from modules.kernel.token_bucket import TokenBucket
from modules.routing.contracts import KillSwitchChanged, OrderRouted
from modules.vault.contracts import CredentialVerificationRequested

# What used to be defined here stays importable from here.
__all__ = ["EVENT_SOURCE", "MAX_CONSECUTIVE_ERRORS", "ExecutionService", "RetryLater"]

log = logging.getLogger("nija.execution")
EVENT_SOURCE = "nija/execution"


class ExecutionService:
    def __init__(
        self, runtime: Runtime, venues: Mapping[str, Venue], repository: ExecutionRepository
    ) -> None:
        self._runtime = runtime
        self._venues = dict(venues)
        self._repo = repository
        self.replica = f"replica-{uuid.uuid4().hex[:12]}"
        state = runtime.state("execution")
        self.limits = {name: VenueLimits() for name in self._venues}
        self.breakers = {
            name: CircuitBreaker(state, name, BreakerPolicy()) for name in self._venues
        }
        # Per venue, replacement API base URLs for ccxt (a loopback exchange simulator in tests).
        self.ccxt_urls: dict[str, dict[str, str]] = {}
        self._outcomes = OrderOutcomes(runtime, repository)
        self._credentials = Credentials(
            runtime, self._venues, repository, self._outcomes, self.ccxt_urls
        )
        self.monitor, placement = self._wire_placement(state)
        self.pools = {
            name: VenuePool(name, placement.claim, placement.run, capacity=self._capacity_of(name))
            for name in self._venues
        }
        self._reconciler = Reconciler(
            runtime,
            repository,
            self.replica,
            credentials=self._credentials,
            outcomes=self._outcomes,
            nudge=lambda venue: self.pools[venue].nudge(),
        )

    def _wire_placement(self, state: StateStore) -> tuple[VenueMonitor, Placement]:
        """The venue monitor, and placement, which reports every attempt to it."""
        metrics = self._runtime.metrics
        attempts = metrics.counter(
            "nija_executions_total", "Placement attempts by venue and outcome", ["venue", "outcome"]
        )
        successes = metrics.counter(
            "nija_executions_success_total", "Successful placements by venue", ["venue", "outcome"]
        )
        monitor = VenueMonitor(
            self._venues,
            self.breakers,
            self.limits,
            self._runtime.pubsub,
            metrics,
            self._queue_depths,
            lambda venue: self.pools[venue].in_flight,
        )
        placement = Placement(
            self._runtime,
            self._repo,
            self.replica,
            limits=self.limits,
            breakers=self.breakers,
            # Every replica's venue workers spend from one account's bucket: retry more on a race.
            bucket=TokenBucket(state, attempts=20),
            monitor=monitor,
            credentials=self._credentials,
            outcomes=self._outcomes,
            attempts=attempts,
            successes=successes,
        )
        return monitor, placement

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
        stored = await self._credentials.known(uow.conn, event.credential_id, event.occurred_at)
        refusal = None
        if event.venue not in self._venues:
            refusal = ("unknown_venue", f"no venue named {event.venue}")
        elif not usable(stored, event.user_id, event.venue):
            refusal = ("credential_unavailable", "the credential is revoked or unknown")
        elif await self._repo.paused(uow.conn, event.user_id):
            refusal = ("user_paused", "trading is paused for this user")
        if refusal is not None:
            if await self._repo.enqueue(uow.conn, event, status="rejected"):
                await self._outcomes.reject_in(uow, _order_of(event), *refusal)
            return
        if await self._repo.enqueue(uow.conn, event):
            pool = self.pools[event.venue]
            uow.after_commit(pool.nudge)

    async def halt_queued(self, event: KillSwitchChanged, uow: UnitOfWork) -> None:
        """A kill switch stops what is still queued, not only what routing has yet to send."""
        if not event.active:
            return
        user_id = event.user_id if event.scope == "user" else None
        if event.scope == "user" and user_id is None:
            return
        for order in await self._repo.lock_queued(uow.conn, user_id):
            await self._outcomes.reject_in(
                uow, order, "kill_switch_active", f"trading halted by a {event.scope} kill switch"
            )

    async def resume_user(self, user_id: str) -> bool:
        return await self._outcomes.resume_user(user_id)

    # -- positions -----------------------------------------------------------------------------
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

    # -- credentials, reconciliation -----------------------------------------------------------
    async def verify(self, event: CredentialVerificationRequested, uow: UnitOfWork) -> None:
        await self._credentials.verify(event, uow)

    async def close(self) -> None:
        await self._credentials.close()

    async def reconcile(self, *, startup: bool) -> int:
        """Settle orders left placing/ambiguous (by a dead replica) or open, with their venue."""
        return await self._reconciler.reconcile(startup=startup)

    async def sweep_unknown_fills(self, since: datetime) -> int:
        """Look at every live account's recent venue orders for ones we never sent."""
        return await self._reconciler.sweep_unknown_fills(since)

    # -- background ----------------------------------------------------------------------------
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
