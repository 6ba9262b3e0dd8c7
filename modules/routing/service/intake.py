"""Intake: take an intent, gate it, plan its route, and commit it with its hand-off.

Every intent (a trader's order, a position close, a strategy's signal) takes one path:
validate -> risk gate (risk_gate.py) -> plan: one venue, a split across venues, or TWAP slices
(planner.py) -> one transaction holding the order, its route decision, the idempotency record
and the `OrderRouted` events (handoff.py), or the TWAP plan whose slices go out later (twap.py).

What validation and the gate read of the user (credentials, standing, settings, positions, the
day's figures) is the user's in-memory view (service/user_views.py). The order's statement
places it only at the version of the view it was checked against; if another write (on this
replica or another) moved the view on, intake loads it again and checks again. A refusal is
only ever given on a freshly loaded view.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC
from decimal import Decimal

import msgspec

from modules.kernel.auth import Principal
from modules.kernel.ids import time_ordered_uuid
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.refusal import Kind, Refused
from modules.routing.domain import risk
from modules.routing.domain.attempts import client_order_id
from modules.routing.domain.idempotency import check_key, check_replay, key_in_use, request_hash
from modules.routing.domain.market_books import MarketBooks
from modules.routing.domain.plan import (
    Benchmark,
    Plan,
    best_single_venue,
    market_data_unavailable,
    notional,
    shares,
    why,
)
from modules.routing.domain.user_view import UserView
from modules.routing.domain.venue_scoring import AMOUNT_STEP, Intent, Quote
from modules.routing.repository.idempotency import IdempotencyRepository, StoredResponse
from modules.routing.repository.orders import NewOrder, OrderGuard, OrderRepository
from modules.routing.repository.positions import PositionRepository
from modules.routing.schemas import PlacedOrder, PlaceOrderRequest
from modules.routing.service.handoff import Handoff
from modules.routing.service.planner import Planner
from modules.routing.service.risk_gate import RiskGate
from modules.routing.service.twap import TwapScheduler
from modules.routing.service.user_views import UserViews

ACCEPTED = 202
# Placing an order at its view's version fails only when a write to the user's view commits in
# between; so many in a row is a user (or the platform) under a storm of changes.
_TRIES = 5


class _KeyTaken(Exception):
    """Another request committed this idempotency key first; roll back and replay it."""


class _StaleView(Exception):
    """The user's view moved on since it was read; roll back, check again on a newer view."""

    def __init__(self, tried: OrderGuard) -> None:
        super().__init__("the user's view moved on")
        self.tried = tried


class ViewKeptMoving(RuntimeError):
    """The user's view moved on at every try: the order is not placed (an intent is redelivered)."""


class _Routed(msgspec.Struct, frozen=True):
    order: NewOrder
    body: PlacedOrder
    plan: Plan
    credentials: dict[str, str]


class Placed(msgspec.Struct, frozen=True):
    status: int
    body: PlacedOrder
    replayed: bool


class IntentMeta(msgspec.Struct, frozen=True, kw_only=True):
    source: str = "trader"
    signal: str = "entry"


class Intake:
    def __init__(
        self,
        runtime: Runtime,
        books: MarketBooks,
        *,
        views: UserViews,
        idempotency: IdempotencyRepository,
        orders: OrderRepository,
        positions: PositionRepository,
        gate: RiskGate,
        planner: Planner,
        handoff: Handoff,
        twap: TwapScheduler,
        twap_planned: Callable[[], None],
    ) -> None:
        self._runtime = runtime
        self._books = books
        self._views = views
        self._idempotency = idempotency
        self._orders = orders
        self._positions = positions
        self._gate = gate
        self._planner = planner
        self._handoff = handoff
        self._twap = twap
        # Sends a committed TWAP plan's first slice now rather than at the next poll.
        self._twap_planned = twap_planned

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

    async def close_position(
        self, principal: Principal, position_id: uuid.UUID, *, by_halt: bool = False
    ) -> Placed:
        """Sell (or buy back) what the position holds and no close is already taking, at market,
        where it is held.

        `position_id` is execution's id for the position (`GET /v1/positions`). A double tap is
        one close: both taps carry the key of the position's current version, so the second
        replays the first. A close never sells what another close in flight will sell, so late
        or out-of-order fills can never turn a long into a short.

        `by_halt`: the kill switch's close-all closes it (signal `kill_switch`), under its own
        key, and the halt does not stop it.
        """
        position = await self._positions.position(principal.user_id, str(position_id))
        if position is None or position["quantity"] == 0:
            raise Refused(Kind.NOT_FOUND, "position_not_found", "No such open position")
        held: Decimal = position["quantity"]
        signal = "kill_switch" if by_halt else "exit"
        key = f"{'halt' if by_halt else 'close'}:{position_id}:{position['version']}"
        closing = await self._positions.closing_quantity(principal.user_id, position["symbol"])
        left = abs(held) - closing
        if left <= 0:
            prior = await self._idempotency.stored_response(principal.user_id, key)
            if prior is not None and prior.status is not None and prior.body is not None:
                body = msgspec.json.decode(prior.body, type=PlacedOrder)
                return Placed(prior.status, body, replayed=True)
            raise Refused(
                Kind.CONFLICT,
                "close_in_flight",
                "A close of this position is still being executed; wait for its fills",
            )
        intent = Intent(
            symbol=position["symbol"],
            side="sell" if held > 0 else "buy",
            order_type="market",
            quantity=left,
        )
        # Spot holdings can only be sold where they are held.
        return await self._intake(
            principal,
            intent,
            IntentMeta(source="kill_switch" if by_halt else "trader", signal=signal),
            key,
            venue=position["venue"],
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
        order_id: uuid.UUID | None = None,
        venue: str | None = None,
    ) -> Placed:
        """An intent from inside the platform (a strategy now, alerts later): same gate and path.

        `order_id`, when given, is the order's id and its idempotency key, so the module that
        submitted the intent knows its order ids and a redelivered intent is one order.
        `venue` pins the intent to one venue (an exit sells where the position is held).
        """
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
        meta = IntentMeta(source=source, signal=signal)
        key = None if order_id is None else f"intent:{order_id}"
        return await self._intake(principal, intent, meta, key, venue=venue, order_id=order_id)

    async def _intake(
        self,
        principal: Principal,
        intent: Intent,
        meta: IntentMeta,
        idempotency_key: str | None,
        venue: str | None = None,
        order_id: uuid.UUID | None = None,
    ) -> Placed:
        fingerprint = request_hash(intent, meta.signal)
        if idempotency_key is not None:
            check_key(idempotency_key)
            prior = await self._idempotency.stored_response(principal.user_id, idempotency_key)
            if prior is not None:
                return _replay(prior, fingerprint)
        async with self._views.placing(principal.user_id):
            return await self._checked_and_placed(
                principal, intent, meta, idempotency_key, fingerprint, venue, order_id
            )

    async def _checked_and_placed(
        self,
        principal: Principal,
        intent: Intent,
        meta: IntentMeta,
        idempotency_key: str | None,
        fingerprint: str,
        venue: str | None,
        order_id: uuid.UUID | None,
    ) -> Placed:
        user_id = principal.user_id
        order_id = order_id or time_ordered_uuid()
        fresh = self._views.cached(user_id) is None
        view = await self._views.view(user_id)
        for attempt in range(_TRIES):
            try:
                routed = await self._route(principal, intent, meta, view, venue, order_id)
            except Refused:
                if fresh:
                    raise
                view, fresh = await self._views.load(user_id), True
                continue
            try:
                return await self._place(routed, view, idempotency_key, fingerprint)
            except _StaleView as stale:
                moved = self._views.moved_since(user_id, stale.tried) if attempt == 0 else None
                view, fresh = (moved, False) if moved else (await self._views.load(user_id), True)
        raise ViewKeptMoving(f"user {user_id}'s view moved on at each of {_TRIES} tries")

    async def _route(
        self,
        principal: Principal,
        intent: Intent,
        meta: IntentMeta,
        view: UserView,
        venue: str | None,
        order_id: uuid.UUID,
    ) -> _Routed:
        """Validate, gate and plan the order on `view` (its order token is spent as it is
        placed)."""
        quotes, credentials = self._validate(intent, view)
        if venue is not None:
            credentials = {v: c for v, c in credentials.items() if v == venue}
        worth = notional(intent, quotes)
        self._gate.check(principal, intent, meta.signal, worth, view)
        plan = self._planner.plan(intent, quotes, credentials, worth)
        order, body = self._new_order(principal, intent, meta, plan, credentials, worth, order_id)
        return _Routed(order, body, plan, credentials)

    async def _place(
        self,
        routed: _Routed,
        view: UserView,
        idempotency_key: str | None,
        fingerprint: str,
    ) -> Placed:
        try:
            await self._commit(routed, view, idempotency_key, fingerprint)
        except _KeyTaken:
            assert idempotency_key is not None
            user_id = routed.order.user_id
            prior = await self._idempotency.stored_response(user_id, idempotency_key)
            if prior is None:
                raise key_in_use() from None
            return _replay(prior, fingerprint)
        return Placed(ACCEPTED, routed.body, replayed=False)

    def _validate(self, intent: Intent, view: UserView) -> tuple[list[Quote], dict[str, str]]:
        quotes = self._books.for_symbol(intent.symbol)
        if not quotes:
            if self._books.empty:
                raise market_data_unavailable()
            raise Refused(Kind.INVALID, "unknown_symbol", f"No venue lists {intent.symbol}")
        credentials = view.venues()
        if not any(quote.venue in credentials for quote in quotes):
            raise Refused(
                Kind.INVALID,
                "no_credentials",
                f"Store API credentials for a venue listing {intent.symbol} first: "
                + ", ".join(sorted(q.venue for q in quotes)),
            )
        return quotes, credentials

    async def _commit(
        self,
        routed: _Routed,
        view: UserView,
        idempotency_key: str | None,
        fingerprint: str,
    ) -> None:
        """The order, its route decision, the idempotency record and the hand-off (or the TWAP
        plan), in one transaction, at the view's versions."""
        order, plan = routed.order, routed.plan
        # A single-venue order with no idempotency record to keep is one statement (the order,
        # its decision and its hand-off event), committing by itself.
        alone = idempotency_key is None and plan.kind == "single"
        unit = (
            self._runtime.single_statement("routing")
            if alone
            else self._runtime.unit_of_work("routing")
        )
        async with unit as uow:
            if idempotency_key is not None:
                if not await self._idempotency.claim_key(
                    uow.conn,
                    order.user_id,
                    idempotency_key,
                    fingerprint,
                    ACCEPTED,
                    msgspec.json.encode(routed.body),
                ):
                    raise _KeyTaken
            if plan.kind == "single":
                self._handoff.publish_route(uow, order, plan.decision)
            outbox = uow.pending_outbox()
            guard = self._gate.guard(view)
            guarded = await self._orders.insert_order(
                uow.conn, order, plan.decision.candidates, why(plan), guard, outbox
            )
            placed = guarded.placed
            if placed is None:
                if guarded.rate_tokens < 1:
                    raise self._gate.rate_refusal(guarded.rate_tokens)
                raise _StaleView(guard)
            uow.wrote_outbox(outbox, guarded.outbox_ids)
            day = order.created_at.astimezone(UTC).date()
            uow.after_commit(lambda: self._views.order_placed(order.user_id, day, placed))
            if plan.kind != "single":
                await self._hand_off_parent(uow, routed)
        if plan.kind == "twap":
            self._twap_planned()

    async def _hand_off_parent(self, uow: UnitOfWork, routed: _Routed) -> None:
        """A split's children, each with its hand-off, or a TWAP's schedule."""
        order, plan = routed.order, routed.plan
        if plan.kind == "split":
            best = best_single_venue(plan.decision)
            quantities = [child.intent.quantity for child in plan.children]
            parts: list[Benchmark | None] = (
                [None] * len(quantities) if best is None else list(shares(best, quantities))
            )
            for child, part in zip(plan.children, parts, strict=True):
                await self._handoff.insert_child(
                    uow, order, child.intent, child.decision, routed.credentials, part
                )
        else:
            await self._twap.schedule(uow, order)

    def _new_order(
        self,
        principal: Principal,
        intent: Intent,
        meta: IntentMeta,
        plan: Plan,
        credentials: dict[str, str],
        worth: Decimal,
        order_id: uuid.UUID,
    ) -> tuple[NewOrder, PlacedOrder]:
        """The order to insert and the response to give (and store under the idempotency key)."""
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
            priority=risk.priority_of(meta.signal),
            kind=plan.kind,
            notional=worth.quantize(AMOUNT_STEP),
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
        return order, body


def _replay(prior: StoredResponse, fingerprint: str) -> Placed:
    completed = prior.status is not None and prior.body is not None
    check_replay(prior.request_hash, fingerprint, completed=completed)
    assert prior.status is not None and prior.body is not None
    return Placed(prior.status, msgspec.json.decode(prior.body, type=PlacedOrder), replayed=True)
