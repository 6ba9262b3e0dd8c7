"""Routing use cases: take an intent, gate it, choose its venue(s), hand it to execution.

Every intent (a trader's order, a position close, a strategy's signal) takes one path:
validate -> risk gate -> plan (one venue, a split across venues, or TWAP slices) -> one
transaction holding the order, its route decision, the idempotency record and the
`OrderRouted` events. Execution's reports come back through `handlers.py` into this service,
which folds fills into positions and re-routes orders a venue failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import msgspec

from modules.kernel.auth import Principal
from modules.kernel.errors import ProblemError
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.routing.adapters import risk, views
from modules.routing.adapters.config import RoutingConfig
from modules.routing.adapters.market_books import MarketBooks
from modules.routing.adapters.rate_limit import RateLimited, TokenBucket
from modules.routing.adapters.split import Child, plan_split
from modules.routing.adapters.venue_monitor import VenueMonitor
from modules.routing.adapters.venue_scoring import (
    AMOUNT_STEP,
    Decision,
    Intent,
    Quote,
    VenueScorer,
    explain,
)
from modules.routing.contracts import KillSwitchChanged, OrderRouted
from modules.routing.repository import NewOrder, RoutingRepository, StoredResponse
from modules.routing.schemas import (
    AdminRouting,
    KillSwitchView,
    OrderDetail,
    OrderPage,
    OrderRoute,
    PlacedOrder,
    PlaceOrderRequest,
    PositionView,
    TradingSettingsPatch,
    TradingSettingsView,
    VenueStatsView,
)

log = logging.getLogger("nija.routing")
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
ACCEPTED = 202
# Rejection codes that blame the venue, not the order: the order goes to the next best venue.
FAULT_CODES = frozenset(
    {
        "venue_unavailable",
        "venue_error",
        "venue_timeout",
        "timeout",
        "breaker_open",
        "rate_limited",
        "exchange_unavailable",
        "service_unavailable",
    }
)
_ATTEMPT_NAMESPACE = uuid.UUID("5b0f8a4e-6c1d-4f7e-9a51-2f3c7d9e1a00")


class _KeyTaken(Exception):
    """Another request committed this idempotency key first; roll back and replay it."""


class Placed(msgspec.Struct, frozen=True):
    status: int
    body: PlacedOrder
    replayed: bool


class IntentMeta(msgspec.Struct, frozen=True, kw_only=True):
    source: str = "trader"
    signal: str = "entry"

    @property
    def priority(self) -> int:
        return risk.priority_of(self.signal)


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # single | split | twap
    decision: Decision
    children: list[Child] = msgspec.field(default_factory=list)


def attempt_id(order_id: uuid.UUID, attempt: int) -> uuid.UUID:
    """Execution's id for the order's n-th hand-off: the order id itself, then derived."""
    return order_id if attempt == 0 else uuid.uuid5(_ATTEMPT_NAMESPACE, f"{order_id}:{attempt}")


def client_order_id(aid: uuid.UUID) -> str:
    return f"nija-{aid.hex}"


def request_hash(intent: Intent, signal: str = "entry") -> str:
    """Fingerprint of what was asked, insensitive to how numbers were spelled (1.50 == 1.5)."""
    canonical = (
        intent.symbol,
        intent.side,
        intent.order_type,
        str(intent.quantity.normalize()),
        None if intent.limit_price is None else str(intent.limit_price.normalize()),
        *(() if signal == "entry" else (signal,)),
    )
    return hashlib.sha256(msgspec.json.encode(canonical)).hexdigest()


class RoutingService:
    def __init__(
        self,
        runtime: Runtime,
        books: MarketBooks,
        repository: RoutingRepository,
        config: RoutingConfig,
        monitor: VenueMonitor,
    ):
        self._runtime = runtime
        self._books = books
        self._repo = repository
        self.config = config
        self.monitor = monitor
        tick = runtime.settings.market_tick_seconds
        self.scorer = VenueScorer(
            max_book_age=timedelta(seconds=max(5 * tick, 5.0)),
            slippage_limit_bps=config.split_slippage_bps,
            failure_cost_bps=config.failure_cost_bps,
            queue_cost_bps=config.queue_cost_bps,
        )
        self._bucket = TokenBucket(
            runtime.state("routing"),
            rate=config.order_rate_per_second,
            burst=config.order_rate_burst,
        )
        self._latency = runtime.metrics.histogram(
            "nija_routing_latency_seconds",
            "Time to score the venues of one order",
            [],
            buckets=(1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2),
        )
        self._routed = runtime.metrics.counter(
            "nija_trades_routed_total", "Orders handed to execution", ["venue", "signal", "kind"]
        )
        self._scheduler: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    # -- intake --------------------------------------------------------------------------------
    async def place_order(
        self, principal: Principal, request: PlaceOrderRequest, idempotency_key: str | None
    ) -> Placed:
        intent = Intent(
            symbol=request.symbol.upper(),
            side=request.side,
            order_type=request.type,
            quantity=request.quantity,
            limit_price=request.limit_price,
        )
        return await self._intake(
            principal, intent, IntentMeta(signal=request.signal), idempotency_key
        )

    async def close_position(self, principal: Principal, position_id: uuid.UUID) -> Placed:
        position = await self._repo.positions.position(principal.user_id, position_id)
        if position is None or position["quantity"] == 0:
            raise ProblemError(404, "position_not_found", "No such open position")
        held: Decimal = position["quantity"]
        intent = Intent(
            symbol=position["symbol"],
            side="sell" if held > 0 else "buy",
            order_type="market",
            quantity=abs(held),
        )
        # Spot holdings can only be sold where they are held.
        return await self._intake(
            principal, intent, IntentMeta(signal="exit"), None, venue=position["venue"]
        )

    async def submit_intent(
        self,
        user_id: str,
        *,
        symbol: str,
        side: str,
        quantity: Decimal,
        signal: str = "entry",
        order_type: str = "market",
        limit_price: Decimal | None = None,
        source: str = "strategy",
    ) -> Placed:
        """An intent from inside the platform (a strategy now, alerts later): same gate and path."""
        intent = msgspec.convert(
            {
                "symbol": symbol.upper(),
                "side": side,
                "order_type": order_type,
                "quantity": quantity,
                "limit_price": limit_price,
            },
            Intent,
        )
        principal = Principal(user_id=user_id, role="trader")
        return await self._intake(principal, intent, IntentMeta(source=source, signal=signal), None)

    async def _intake(
        self,
        principal: Principal,
        intent: Intent,
        meta: IntentMeta,
        idempotency_key: str | None,
        venue: str | None = None,
    ) -> Placed:
        fingerprint = request_hash(intent, meta.signal)
        if idempotency_key is not None:
            if not _IDEMPOTENCY_KEY.match(idempotency_key):
                raise ProblemError(
                    400,
                    "invalid_idempotency_key",
                    "Idempotency-Key must be 1 to 255 printable ASCII characters",
                )
            prior = await self._repo.idempotency.stored_response(principal.user_id, idempotency_key)
            if prior is not None:
                return _replay(prior, fingerprint)
        quotes, credentials = await self._validate(principal, intent)
        if venue is not None:
            credentials = {v: c for v, c in credentials.items() if v == venue}
        notional = _notional(intent, quotes)
        await self._gate(principal, intent, meta, notional)
        plan = self._plan(intent, quotes, credentials, notional)
        try:
            return await self._commit(
                principal, intent, meta, plan, credentials, notional, idempotency_key, fingerprint
            )
        except _KeyTaken:
            assert idempotency_key is not None
            prior = await self._repo.idempotency.stored_response(principal.user_id, idempotency_key)
            if prior is None:
                raise ProblemError(
                    409, "idempotency_key_in_use", "Retry: this key is being used right now"
                ) from None
            return _replay(prior, fingerprint)

    async def _validate(
        self, principal: Principal, intent: Intent
    ) -> tuple[list[Quote], dict[str, str]]:
        quotes = self._books.for_symbol(intent.symbol)
        if not quotes:
            if self._books.empty:
                raise _market_data_unavailable()
            raise ProblemError(422, "unknown_symbol", f"No venue lists {intent.symbol}")
        credentials = await self._repo.active_credentials(principal.user_id)
        if not any(quote.venue in credentials for quote in quotes):
            raise ProblemError(
                422,
                "no_credentials",
                f"Store API credentials for a venue listing {intent.symbol} first: "
                + ", ".join(sorted(q.venue for q in quotes)),
            )
        return quotes, credentials

    async def _gate(
        self, principal: Principal, intent: Intent, meta: IntentMeta, notional: Decimal
    ) -> None:
        now = self._runtime.clock()
        day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        inputs = await self._repo.risk.risk_inputs(principal.user_id, intent.symbol, day_start)
        settings = await self._repo.risk.trading_settings(principal.user_id)
        kills = (inputs["kill_switches"] or "").split(",")
        kill = "global" if "global" in kills else ("user" if principal.user_id in kills else None)
        snapshot = risk.build_snapshot(
            self.config,
            settings=settings,
            status=msgspec.json.decode(inputs["status"]) if inputs["status"] else None,
            fallback_tier=principal.tier,
            kill_switch=kill,
            position_quantity=inputs["position_quantity"] or Decimal(0),
            open_positions=inputs["open_positions"],
            trades_today=inputs["trades_today"],
            realized_today=inputs["realized_today"] or Decimal(0),
        )
        risk.check(
            snapshot,
            symbol=intent.symbol,
            side=intent.side,
            quantity=intent.quantity,
            signal=meta.signal,
            notional=notional,
        )
        try:
            await self._bucket.take(f"order-rate:{principal.user_id}", time.time())
        except RateLimited as limited:
            raise ProblemError(
                429,
                "order_rate_exceeded",
                f"At most {self.config.order_rate_per_second:g} orders a second "
                f"(bursts of {self.config.order_rate_burst}); retry shortly",
                headers={"Retry-After": limited.retry_after_header},
            ) from None

    # -- planning ------------------------------------------------------------------------------
    def decide(
        self,
        intent: Intent,
        quotes: list[Quote],
        credentials: dict[str, str],
        exclude: set[str] | frozenset[str] = frozenset(),
    ) -> Decision:
        started = time.perf_counter()
        stats = self.monitor.stats(intent.symbol, (q.venue for q in quotes), time.monotonic())
        decision = self.scorer.score(
            intent, quotes, credentials.keys(), self._runtime.clock(), stats, exclude
        )
        self._latency.observe(time.perf_counter() - started)
        return decision

    def _plan(
        self, intent: Intent, quotes: list[Quote], credentials: dict[str, str], notional: Decimal
    ) -> Plan:
        if self.config.twap_slices > 1 and notional > self.config.twap_threshold_usd:
            size = (intent.quantity / self.config.twap_slices).quantize(
                AMOUNT_STEP, rounding=ROUND_DOWN
            )
            # Refuse now what no slice could ever be routed with, rather than fail it later.
            first = self._route_plan(
                msgspec.structs.replace(intent, quantity=size), quotes, credentials
            )
            return Plan(kind="twap", decision=first.decision)
        return self._route_plan(intent, quotes, credentials)

    def _route_plan(self, intent: Intent, quotes: list[Quote], credentials: dict[str, str]) -> Plan:
        decision = self.decide(intent, quotes, credentials)
        chosen = decision.chosen
        fits = chosen is not None and (
            chosen.liquidity_at_limit is None or intent.quantity <= chosen.liquidity_at_limit
        )
        if not fits:
            stats = self.monitor.stats(intent.symbol, (q.venue for q in quotes), time.monotonic())
            children = plan_split(
                self.scorer,
                intent,
                decision,
                quotes,
                credentials.keys(),
                self._runtime.clock(),
                stats,
            )
            if children:
                return Plan(kind="split", decision=decision, children=children)
        if chosen is None:
            self._refuse(decision)
        return Plan(kind="single", decision=decision)

    def _refuse(self, decision: Decision) -> None:
        usable = [c for c in decision.candidates if c.reason != "no_credentials"]
        if usable and all(c.reason == "stale_market_data" for c in usable):
            raise _market_data_unavailable()
        raise ProblemError(
            422,
            "no_eligible_venue",
            "No venue you hold credentials for can take this order now",
            errors=[{"venue": c.venue, "reason": c.reason} for c in decision.candidates],
        )

    # -- committing ----------------------------------------------------------------------------
    async def _commit(
        self,
        principal: Principal,
        intent: Intent,
        meta: IntentMeta,
        plan: Plan,
        credentials: dict[str, str],
        notional: Decimal,
        idempotency_key: str | None,
        fingerprint: str,
    ) -> Placed:
        order_id = uuid.uuid4()
        now = self._runtime.clock()
        chosen = plan.decision.chosen
        venue = chosen.venue if plan.kind == "single" and chosen is not None else plan.kind
        order = NewOrder(
            id=order_id,
            user_id=principal.user_id,
            client_order_id=client_order_id(order_id),
            intent=intent,
            venue=venue,
            credential_id=credentials.get(venue, ""),
            created_at=now,
            source=meta.source,
            signal=meta.signal,
            priority=meta.priority,
            kind=plan.kind,
            notional=notional.quantize(AMOUNT_STEP),
            status="routed" if plan.kind == "single" else "working",
        )
        body = PlacedOrder(
            id=str(order_id),
            status=order.status,
            venue=order.venue,
            client_order_id=order.client_order_id,
            created_at=now,
            kind=plan.kind,
        )
        async with self._runtime.unit_of_work("routing") as uow:
            if idempotency_key is not None:
                if not await self._repo.idempotency.claim_key(
                    uow.conn, principal.user_id, idempotency_key, fingerprint
                ):
                    raise _KeyTaken
                await self._repo.idempotency.complete_key(
                    uow.conn,
                    principal.user_id,
                    idempotency_key,
                    ACCEPTED,
                    msgspec.json.encode(body),
                )
            await self._repo.orders.insert_order(
                uow.conn, order, plan.decision.candidates, _why(plan)
            )
            if plan.kind == "single":
                self.publish_route(uow, order, plan.decision)
            elif plan.kind == "split":
                for child in plan.children:
                    await self._insert_child(uow, order, child.intent, child.decision, credentials)
            else:
                await self._schedule_twap(uow, order)
        if plan.kind == "twap":
            self._wake.set()
        return Placed(ACCEPTED, body, replayed=False)

    async def _insert_child(
        self,
        uow: UnitOfWork,
        parent: NewOrder,
        intent: Intent,
        decision: Decision,
        credentials: dict[str, str],
    ) -> None:
        chosen = decision.chosen
        assert chosen is not None
        child_id = uuid.uuid4()
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
        await self._repo.orders.insert_order(
            uow.conn, child, decision.candidates, explain(decision)
        )
        self.publish_route(uow, child, decision)

    def publish_route(
        self, uow: UnitOfWork, order: NewOrder, decision: Decision, attempt: int = 0
    ) -> None:
        chosen = decision.chosen
        assert chosen is not None and chosen.expected_price is not None
        assert chosen.fee is not None
        aid = attempt_id(order.id, attempt)
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
                expected_price=chosen.expected_price,
                expected_fee=chosen.fee,
                parent_order_id=None
                if order.parent_order_id is None
                else str(order.parent_order_id),
                attempt=attempt,
                original_order_id=str(order.id),
            )
        )

        def routed() -> None:
            self.monitor.routed(str(aid), chosen.venue, time.monotonic())
            self._routed.labels(chosen.venue, order.signal, "reroute" if attempt else "route").inc()

        uow.after_commit(routed)

    # -- TWAP ----------------------------------------------------------------------------------
    async def _schedule_twap(self, uow: UnitOfWork, order: NewOrder) -> None:
        slices = self.config.twap_slices
        size = (order.intent.quantity / slices).quantize(AMOUNT_STEP, rounding=ROUND_DOWN)
        await self._repo.twap.insert_twap(
            uow.conn,
            order.id,
            order.user_id,
            slices,
            size,
            order.intent.quantity,
            self.config.twap_interval_seconds,
            order.created_at,
        )

    async def start(self) -> None:
        self.monitor.load(await self._repo.recent_outcomes(self.config.success_window))
        self._scheduler = asyncio.create_task(self._run_scheduler(), name="routing-twap")

    async def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scheduler

    async def _run_scheduler(self) -> None:
        while True:
            try:
                await self.send_due_slices()
            except Exception:
                log.exception("TWAP scheduler round failed; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.twap_poll_seconds)

    async def send_due_slices(self) -> int:
        """Send every due TWAP slice; plans live in the database so a restart resumes them."""
        sent = 0
        async with self._runtime.unit_of_work("routing") as uow:
            now = self._runtime.clock()
            for plan in await self._repo.twap.due_twap(uow.conn, now):
                sent += await self._send_slice(uow, plan, now)
        return sent

    async def _send_slice(self, uow: UnitOfWork, plan: dict[str, Any], now: datetime) -> int:
        index = plan["slices_sent"]
        total = plan["slices_total"]
        last = index + 1 >= total
        size = plan["slice_quantity"]
        quantity = plan["quantity_total"] - size * (total - 1) if last else size
        intent = Intent(
            symbol=plan["symbol"],
            side=plan["side"],
            order_type=plan["order_type"],
            quantity=quantity,
            limit_price=plan["limit_price"],
        )
        next_at = now + timedelta(seconds=plan["interval_seconds"])
        halted = await self._halted(uow, plan["user_id"])
        if halted is not None:
            await self._repo.twap.advance_twap(
                uow.conn, plan["parent_order_id"], index, "cancelled", now, halted
            )
            return 0
        credentials = await self._repo.credentials_in(uow.conn, plan["user_id"])
        decision = self.decide(intent, self._books.for_symbol(intent.symbol), credentials)
        if decision.chosen is None:
            error = "no eligible venue: " + explain(decision)
            await self._repo.twap.advance_twap(
                uow.conn, plan["parent_order_id"], index, "active", next_at, error[:500]
            )
            return 0
        parent = NewOrder(
            id=plan["parent_order_id"],
            user_id=plan["user_id"],
            client_order_id="",
            intent=intent,
            venue="twap",
            credential_id="",
            created_at=now,
            source=plan["source"],
            signal=plan["signal"],
            priority=plan["priority"],
            kind="twap",
        )
        await self._insert_child(uow, parent, intent, decision, credentials)
        await self._repo.twap.advance_twap(
            uow.conn,
            plan["parent_order_id"],
            index + 1,
            "done" if last else "active",
            next_at,
            None,
        )
        return 1

    async def _halted(self, uow: UnitOfWork, user_id: str) -> str | None:
        for scope in ("global", user_id):
            switch = await self._repo.risk.kill_switch(uow.conn, scope)
            if switch is not None and switch["active"]:
                return "kill_switch_active"
        if await self._repo.risk.is_suspended(uow.conn, user_id):
            return "user_suspended"
        return None


def _notional(intent: Intent, quotes: list[Quote]) -> Decimal:
    """The order's worth in the quote currency, at the limit price or the venues' mid."""
    if intent.limit_price is not None:
        return intent.quantity * intent.limit_price
    mids = [q.mid for q in quotes if q.mid is not None]
    if not mids:
        raise _market_data_unavailable()
    return intent.quantity * sum(mids, Decimal(0)) / len(mids)


def _why(plan: Plan) -> str:
    if plan.kind == "split":
        parts = ", ".join(
            f"{c.intent.quantity} on {c.decision.chosen.venue}"
            for c in plan.children
            if c.decision.chosen is not None
        )
        return f"split: larger than any one venue holds within the slippage limit; {parts}"
    if plan.kind == "twap":
        return "twap: above the TWAP notional threshold; sent as equal slices over time"
    return explain(plan.decision)


def _market_data_unavailable() -> ProblemError:
    return ProblemError(
        503,
        "market_data_unavailable",
        "No fresh market data from the venues; retry shortly",
        headers={"Retry-After": "1"},
    )


def _replay(prior: StoredResponse, fingerprint: str) -> Placed:
    if prior.request_hash != fingerprint:
        raise ProblemError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different order",
        )
    if prior.status is None or prior.body is None:
        raise ProblemError(409, "idempotency_key_in_use", "Retry: this key is being used now")
    return Placed(prior.status, msgspec.json.decode(prior.body, type=PlacedOrder), replayed=True)


class RoutingDesk:
    """Read side and controls: orders and their routes, positions, trading settings, kill
    switches and the admin's routing overview."""

    def __init__(
        self, runtime: Runtime, repository: RoutingRepository, service: RoutingService
    ) -> None:
        self._runtime = runtime
        self._repo = repository
        self._service = service

    @property
    def _config(self) -> RoutingConfig:
        return self._service.config

    # -- orders --------------------------------------------------------------------------------
    async def list_orders(self, principal: Principal, limit: int, offset: int) -> OrderPage:
        rows = await self._repo.orders.list_orders(principal.user_id, limit, offset)
        return OrderPage(items=[views.summary(row) for row in rows], limit=limit, offset=offset)

    async def _own(self, principal: Principal, order_id: uuid.UUID) -> dict[str, Any]:
        row = await self._repo.orders.order(principal.user_id, order_id)
        if row is None:
            # Someone else's order is indistinguishable from a missing one.
            raise ProblemError(404, "order_not_found", "No such order")
        return row

    async def get_order(self, principal: Principal, order_id: uuid.UUID) -> OrderDetail:
        row = await self._own(principal, order_id)
        fills = await self._repo.orders.fills(order_id)
        decisions = await self._repo.orders.decisions(order_id)
        attempts = await self._repo.orders.attempts(order_id)
        children = await self._repo.orders.children(order_id)
        return OrderDetail(
            **msgspec.structs.asdict(views.summary(row)),
            fills=[views.fill(f) for f in fills],
            route=views.route(decisions[-1]) if decisions else None,
            attempts=[views.attempt(a) for a in attempts],
            children=[views.child(c) for c in children],
        )

    async def get_route(self, principal: Principal, order_id: uuid.UUID) -> OrderRoute:
        row = await self._own(principal, order_id)
        decisions = [views.route(d) for d in await self._repo.orders.decisions(order_id)]
        latest = decisions[-1] if decisions else None
        return OrderRoute(
            order_id=str(order_id),
            kind=row["kind"],
            venue=row["venue"],
            winner=latest.chosen if latest else row["venue"],
            why=latest.why if latest else None,
            decisions=decisions,
            attempts=[views.attempt(a) for a in await self._repo.orders.attempts(order_id)],
            children=[views.child(c) for c in await self._repo.orders.children(order_id)],
        )

    # -- positions -----------------------------------------------------------------------------
    async def positions(self, principal: Principal) -> list[PositionView]:
        return [views.position(p) for p in await self._repo.positions.positions(principal.user_id)]

    # -- trading settings ----------------------------------------------------------------------
    async def trading_settings(self, principal: Principal) -> TradingSettingsView:
        stored = await self._repo.risk.trading_settings(principal.user_id)
        async with self._runtime.db.connection() as conn:
            status = await self._repo.risk.status(conn, principal.user_id)
            switch = await self._repo.risk.active_kill_switch(conn, principal.user_id)
        snapshot = risk.build_snapshot(
            self._config,
            settings=stored,
            status=status,
            fallback_tier=principal.tier,
            kill_switch=switch,
            position_quantity=Decimal(0),
            open_positions=0,
            trades_today=0,
            realized_today=Decimal(0),
        )
        return views.trading_settings(snapshot, stored)

    async def update_trading_settings(
        self, principal: Principal, patch: TradingSettingsPatch
    ) -> TradingSettingsView:
        values = dict(await self._repo.risk.trading_settings(principal.user_id) or {})
        for field in msgspec.structs.fields(TradingSettingsPatch):
            value = getattr(patch, field.name)
            if value is not msgspec.UNSET:
                values[field.name] = value
        if values.get("allowed_pairs") is not None:
            values["allowed_pairs"] = sorted({p.upper() for p in values["allowed_pairs"]})
        await self._repo.risk.save_trading_settings(principal.user_id, values)
        return await self.trading_settings(principal)

    # -- kill switches -------------------------------------------------------------------------
    async def set_kill_switch(
        self, scope: str, user_id: str | None, active: bool, set_by: str, reason: str | None
    ) -> KillSwitchView:
        key = "global" if scope == "global" else str(user_id)
        async with self._runtime.unit_of_work("routing") as uow:
            current = await self._repo.risk.kill_switch(uow.conn, key)
            if (
                set_by == "user"
                and not active
                and current is not None
                and current["active"]
                and current["set_by"] == "admin"
            ):
                raise ProblemError(
                    403,
                    "kill_switch_admin_only",
                    "An admin halted your trading; only an admin can resume it",
                )
            await self._repo.risk.set_kill_switch(uow.conn, key, active, set_by, reason)
            uow.publish(
                KillSwitchChanged(
                    scope=scope,  # type: ignore[arg-type]
                    user_id=user_id,
                    active=active,
                    set_by=set_by,  # type: ignore[arg-type]
                )
            )
        return KillSwitchView(scope=scope, user_id=user_id, active=active, set_by=set_by)

    # -- admin ---------------------------------------------------------------------------------
    async def admin_routing(self, limit: int) -> AdminRouting:
        decisions = await self._repo.orders.recent_decisions(limit)
        since = self._runtime.clock() - timedelta(hours=24)
        counts = {c["venue"]: c for c in await self._repo.orders.venue_counts(since)}
        monitor = self._service.monitor
        queue = monitor.queue_depths(time.monotonic())
        rates: dict[str, dict[str, float | None]] = {}
        for figures in monitor.figures():
            rates.setdefault(figures.venue, {})[figures.symbol] = figures.success_rate
        breakers = monitor.breakers(time.monotonic())
        venues = sorted(set(counts) | set(queue) | set(rates) | set(breakers))
        async with self._runtime.db.connection() as conn:
            switch = await self._repo.risk.active_kill_switch(conn, "")
        return AdminRouting(
            decisions=[views.decision_summary(d) for d in decisions],
            venues=[
                VenueStatsView(
                    venue=venue,
                    routed_24h=int(counts.get(venue, {}).get("routed", 0)),
                    failed_24h=int(counts.get(venue, {}).get("failed", 0)),
                    in_flight=queue.get(venue, 0),
                    breaker_state=breakers.get(venue),
                    success_rate_by_pair=rates.get(venue, {}),
                )
                for venue in venues
            ],
            global_kill_switch=switch == "global",
        )
