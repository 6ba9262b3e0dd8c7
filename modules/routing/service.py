"""Routing use cases: take an intent, gate it, choose its venue(s), hand it to execution.

Every intent (a trader's order, a position close, a strategy's signal) takes one path:
validate -> risk gate -> plan (one venue, a split across venues, or TWAP slices) -> one
transaction holding the order, its route decision, the idempotency record and the
`OrderRouted` events. Execution's reports come back through `handlers.py` into this service,
which folds fills into positions and re-routes orders a venue failed.

This file holds intake and the commit; the pieces it composes live in adapters/: the risk gate
(risk_gate.py), venue choice and splitting (planner.py), the hand-off to execution (handoff.py),
the TWAP scheduler (twap.py), and the read side and controls, `RoutingDesk` (desk.py). The names
the rest of the module imports from here are re-exported.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from decimal import Decimal

import msgspec

from modules.kernel.auth import Principal
from modules.kernel.errors import ProblemError
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.routing.adapters import risk
from modules.routing.adapters.config import RoutingConfig
from modules.routing.adapters.desk import RoutingDesk
from modules.routing.adapters.handoff import FAULT_CODES, Handoff, attempt_id, client_order_id
from modules.routing.adapters.market_books import MarketBooks
from modules.routing.adapters.planner import Plan, Planner, market_data_unavailable, why
from modules.routing.adapters.risk_gate import RiskGate
from modules.routing.adapters.twap import TwapScheduler
from modules.routing.adapters.venue_monitor import VenueMonitor
from modules.routing.adapters.venue_scoring import AMOUNT_STEP, Decision, Intent, Quote
from modules.routing.repository import NewOrder, RoutingRepository, StoredResponse
from modules.routing.schemas import PlacedOrder, PlaceOrderRequest

__all__ = [
    "ACCEPTED",
    "FAULT_CODES",
    "IntentMeta",
    "Placed",
    "Plan",
    "RoutingDesk",
    "RoutingService",
    "attempt_id",
    "client_order_id",
    "request_hash",
]

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
ACCEPTED = 202


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
        self._planner = Planner(runtime, config, monitor)
        self.scorer = self._planner.scorer
        self._handoff = Handoff(runtime, repository.orders, monitor)
        self._gate = RiskGate(runtime, repository.risk, config)
        self._twap = TwapScheduler(runtime, books, repository, config, self._planner, self._handoff)

    async def start(self) -> None:
        self.monitor.load(await self._repo.recent_outcomes(self.config.success_window))
        self._twap.start()

    async def stop(self) -> None:
        await self._twap.stop()

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
        await self._gate.check(principal, intent, meta.signal, notional)
        plan = self._planner.plan(intent, quotes, credentials, notional)
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
                raise market_data_unavailable()
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

    # -- routing (handlers re-route through these too) -----------------------------------------
    def decide(
        self,
        intent: Intent,
        quotes: list[Quote],
        credentials: dict[str, str],
        exclude: set[str] | frozenset[str] = frozenset(),
    ) -> Decision:
        return self._planner.decide(intent, quotes, credentials, exclude)

    def publish_route(
        self, uow: UnitOfWork, order: NewOrder, decision: Decision, attempt: int = 0
    ) -> None:
        self._handoff.publish_route(uow, order, decision, attempt)

    async def send_due_slices(self) -> int:
        """Send every due TWAP slice now (the scheduler does this every poll)."""
        return await self._twap.send_due_slices()

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
        order, body = self._new_order(principal, intent, meta, plan, credentials, notional)
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
                uow.conn, order, plan.decision.candidates, why(plan)
            )
            if plan.kind == "single":
                self._handoff.publish_route(uow, order, plan.decision)
            elif plan.kind == "split":
                for child in plan.children:
                    await self._handoff.insert_child(
                        uow, order, child.intent, child.decision, credentials
                    )
            else:
                await self._twap.schedule(uow, order)
        if plan.kind == "twap":
            self._twap.wake()
        return Placed(ACCEPTED, body, replayed=False)

    def _new_order(
        self,
        principal: Principal,
        intent: Intent,
        meta: IntentMeta,
        plan: Plan,
        credentials: dict[str, str],
        notional: Decimal,
    ) -> tuple[NewOrder, PlacedOrder]:
        """The order to insert and the response to give (and store under the idempotency key)."""
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
        return order, body


def _notional(intent: Intent, quotes: list[Quote]) -> Decimal:
    """The order's worth in the quote currency, at the limit price or the venues' mid."""
    if intent.limit_price is not None:
        return intent.quantity * intent.limit_price
    mids = [q.mid for q in quotes if q.mid is not None]
    if not mids:
        raise market_data_unavailable()
    return intent.quantity * sum(mids, Decimal(0)) / len(mids)


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
