"""Placing one claimed order: token bucket, breaker, unseal, send, and settle what came back.

A venue's queue workers (workers/venue_pool.py) call `claim` for a batch of queued orders and
`run` for each; nothing is ever sent twice, because the venue is idempotent on the client order
id and an ambiguous order is never re-sent.
A timeout or an unreachable venue makes the order `ambiguous`: it is looked up by its client
order id (reads retry with backoff) and never sent a second time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

import msgspec

from modules.execution.config import ExecutionConfig
from modules.execution.domain.claims import Claimed
from modules.execution.domain.ids import position_id
from modules.execution.domain.orders import (
    EXIT_SIGNALS,
    QueuedOrder,
    closable,
    is_account_error,
    request_for,
)
from modules.execution.domain.venue import VenueFault, VenueOrder, VenueRejected, VenueUnavailable
from modules.execution.domain.venue_stats import VenueLimits
from modules.execution.ports import Venue
from modules.execution.repository.orders import OrderRepository
from modules.execution.service.balances import BalanceReports
from modules.execution.service.circuit_breaker import CircuitBreaker
from modules.execution.service.credentials import Credentials, Opening
from modules.execution.service.market_reports import MarketReports
from modules.execution.service.outcomes import OrderOutcomes
from modules.kernel.logs import register_secret
from modules.kernel.metrics import Labelled
from modules.kernel.module import Runtime
from modules.kernel.ports import StateStore
from modules.kernel.sealing import CredentialMaterial
from modules.kernel.token_bucket import TokenBucket

log = logging.getLogger("nija.execution")


class Dispatch(msgspec.Struct, frozen=True, kw_only=True):
    """A claimed order its venue's breaker admitted, with its credential handed out to be
    opened (`opening`; an exit's is opened as it runs)."""

    order: QueuedOrder
    probe: bool  # the one order a half-open breaker lets through to test the venue
    opening: Opening | None


async def lookup(
    venue: Venue, client_order_id: str, material: CredentialMaterial
) -> VenueOrder | None:
    """The order the venue holds under `client_order_id`; reads retry with backoff."""
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


class Placement:
    def __init__(
        self,
        runtime: Runtime,
        config: ExecutionConfig,
        orders: OrderRepository,
        replica: str,
        *,
        state: StateStore,
        limits: Mapping[str, VenueLimits],
        reports: MarketReports,
        credentials: Credentials,
        outcomes: OrderOutcomes,
        balances: BalanceReports,
    ) -> None:
        self._runtime = runtime
        self._orders = orders
        self._replica = replica
        self._limits = limits
        self._breakers: Mapping[str, CircuitBreaker] = reports.breakers
        self._bucket = TokenBucket(state, attempts=config.bucket_attempts)
        self._reports = reports
        self._credentials = credentials
        self._outcomes = outcomes
        self._balances = balances
        metrics = runtime.metrics
        self._m_exec = Labelled(
            metrics.counter(
                "nija_executions_total",
                "Placement attempts by venue and outcome",
                ["venue", "outcome"],
            )
        )
        self._m_ok = Labelled(
            metrics.counter(
                "nija_executions_success_total",
                "Successful placements by venue",
                ["venue", "outcome"],
            )
        )

    async def claim(self, venue: str, skip: list[str], limit: int) -> Claimed[Dispatch]:
        """Claim a batch, spend each account's token, admit each order past the breaker and
        hand out the batch's credentials in one statement (exits are opened as they run, once
        capped to what is left to close)."""
        limits = self._limits[venue]
        async with self._runtime.db.connection() as conn:
            claimed, drained = await self._orders.claim_next(
                conn, venue, skip, self._replica, limit
            )
        live = [(order, turn) for order, turn, halted in claimed if not halted]
        for order, _turn, halted in claimed:
            if halted:
                self._m_exec.labels(venue, "kill_switch").inc()
                await self._outcomes.reject(
                    order, "kill_switch_active", "trading halted by a kill switch"
                )
        # One order per user, so one account each: their tokens can be taken side by side.
        waits = await asyncio.gather(
            *(self._account_wait(venue, order.credential_id, limits) for order, _turn in live)
        )
        ready: list[QueuedOrder] = []
        cooling: dict[str, float] = {}
        for (order, previous_turn), wait in zip(live, waits, strict=True):
            if wait <= 0:
                ready.append(order)
                continue
            # This account is out of tokens: put the order back, in its old place, and serve
            # the others meanwhile.
            cooling[order.credential_id] = wait
            async with self._runtime.db.connection() as conn:
                await self._orders.unclaim(conn, order, previous_turn)
        admitted = await self._admitted(venue, ready)
        openings = await self._credentials.open_batch(
            [order for order, _probe in admitted if order.signal not in EXIT_SIGNALS],
            purpose="place_order",
        )
        dispatches = [
            Dispatch(order=order, probe=probe, opening=openings.get(order.order_id))
            for order, probe in admitted
        ]
        return Claimed(orders=dispatches, cooling=cooling, drained=drained)

    async def _account_wait(self, venue: str, credential_id: str, limits: VenueLimits) -> float:
        """Seconds until the venue account has a token (0: one was just spent for this order)."""
        wait = await self._bucket.take(
            f"bucket:{venue}:{credential_id}", rate=limits.orders_per_second, burst=limits.burst
        )
        return 0.05 if wait is None else wait  # too contended to tell: look again shortly

    async def _admitted(
        self, venue: str, orders: list[QueuedOrder]
    ) -> list[tuple[QueuedOrder, bool]]:
        """The orders the venue's breaker lets through, each with whether it is the probe of a
        half-open breaker; the others are rejected. Admitted one after the other: the first
        reads a stale view of the breaker, the rest admit from the fresh one."""
        breaker = self._breakers[venue]
        admitted: list[tuple[QueuedOrder, bool]] = []
        refused: list[QueuedOrder] = []
        for order in orders:
            before = breaker.last_state
            admission = await breaker.admit()
            await self._reports.breaker_moved(venue, before)
            if admission == "reject":
                refused.append(order)
            else:
                admitted.append((order, admission == "probe"))
        if refused:
            self._m_exec.labels(venue, "breaker_open").inc(len(refused))
        await asyncio.gather(
            *(
                self._outcomes.reject(order, "breaker_open", f"{venue} is failing; breaker open")
                for order in refused
            )
        )
        return admitted

    async def run(self, dispatch: Dispatch) -> None:
        order = dispatch.order
        if order.signal in EXIT_SIGNALS:
            capped = await self._capped_exit(order)
            if capped is None:
                return
            order = capped
            opened = await self._credentials.open_for(order, purpose="place_order")
        else:
            opened = await self._credentials.settle(order, dispatch.opening, "place_order")
        if opened is None:
            return
        venue, material = opened
        mask = register_secret(material.api_secret)
        try:
            filled = await self._attempt(order, venue, material, probe=dispatch.probe)
            if filled:
                # After the fills are committed and reported, so the order does not wait on it.
                await self._balances.after_fill(
                    user_id=order.user_id,
                    credential_id=order.credential_id,
                    venue=venue,
                    material=material,
                )
        finally:
            del mask, material

    async def _capped_exit(self, order: QueuedOrder) -> QueuedOrder | None:
        """An exit sells at most what the position holds here, less other exits in flight
        (routing's copy of the position may lag its fills); None when nothing is left."""
        if order.signal not in EXIT_SIGNALS:
            return order
        position = position_id(order.user_id, order.venue, order.symbol)
        async with self._runtime.unit_of_work("execution") as uow:
            held, closing = await self._orders.exit_room(uow.conn, order, position)
            room = closable(order.side, held, closing)
            if room <= 0:
                await self._outcomes.reject_in(
                    uow, order, "nothing_to_close", "the position is already closed or closing"
                )
                return None
            if room >= order.quantity:
                return order
            await self._orders.shrink(uow.conn, order.order_id, room)
        return msgspec.structs.replace(order, quantity=room)

    async def _attempt(
        self, order: QueuedOrder, venue: Venue, material: CredentialMaterial, *, probe: bool
    ) -> bool:
        """Send the order and record the outcome; whether the venue filled any of it."""
        breaker = self._breakers[order.venue]
        before = breaker.last_state
        started = time.perf_counter()
        outcome = "accepted"
        filled = False
        try:
            placed = await asyncio.wait_for(
                venue.place_order(request_for(order), material),
                self._limits[order.venue].place_timeout_seconds,
            )
        except VenueRejected as refusal:
            outcome = refusal.code
            await breaker.success(probe)
            await self._outcomes.reject(
                order, refusal.code, refusal.reason, error=is_account_error(refusal.code)
            )
        except VenueFault as fault:
            outcome = fault.code
            await breaker.failure(probe)
            await self._outcomes.reject(order, fault.code, fault.reason, error=True)
        except (VenueUnavailable, TimeoutError):
            outcome = "ambiguous"
            await breaker.failure(probe)
            await self._outcomes.mark_ambiguous(order)
            filled = await self._resolve(order, venue, material)
        else:
            await breaker.success(probe)
            await self._outcomes.record(order, placed)
            filled = bool(placed.fills)
        latency = (time.perf_counter() - started) * 1000
        self._reports.stats[order.venue].add(outcome == "accepted", latency)
        self._m_exec.labels(order.venue, outcome).inc()
        if outcome == "accepted":
            self._m_ok.labels(order.venue, outcome).inc()
        await self._reports.breaker_moved(order.venue, before)
        return filled

    async def _resolve(
        self, order: QueuedOrder, venue: Venue, material: CredentialMaterial
    ) -> bool:
        """Settle an ambiguous order by looking it up (reads retry with backoff), never
        re-sending it; whether the venue filled any of it."""
        try:
            found = await lookup(venue, order.client_order_id, material)
        except (VenueFault, VenueUnavailable, TimeoutError):
            log.warning("ambiguous order still unresolved", extra={"order_id": order.order_id})
            return False
        if found is None:
            await self._outcomes.reject(
                order, "timeout", f"{order.venue} did not answer; order not placed"
            )
            return False
        await self._outcomes.record(order, found)
        return bool(found.fills)
