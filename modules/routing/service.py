"""Routing use cases: take an order, choose its venue, hand it to execution; show orders.

An accepted order, its route decision (every candidate and its cost factors), the idempotency
record and the `OrderRouted` event are written in one transaction: either all exist or none.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from datetime import timedelta
from typing import Any

import msgspec

from modules.kernel.auth import Principal
from modules.kernel.errors import ProblemError
from modules.kernel.module import Runtime
from modules.routing.adapters.market_books import MarketBooks
from modules.routing.adapters.venue_scoring import Decision, Intent, VenueScorer
from modules.routing.contracts import OrderRouted
from modules.routing.repository import NewOrder, RoutingRepository, StoredResponse
from modules.routing.schemas import (
    CandidateView,
    FillView,
    OrderDetail,
    OrderPage,
    OrderSummary,
    PlacedOrder,
    PlaceOrderRequest,
    RouteView,
)

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
ACCEPTED = 202


class _KeyTaken(Exception):
    """Another request committed this idempotency key first; roll back and replay it."""


class Placed(msgspec.Struct, frozen=True):
    status: int
    body: PlacedOrder
    replayed: bool


def request_hash(intent: Intent) -> str:
    """Fingerprint of what was asked, insensitive to how numbers were spelled (1.50 == 1.5)."""
    canonical = (
        intent.symbol,
        intent.side,
        intent.order_type,
        str(intent.quantity.normalize()),
        None if intent.limit_price is None else str(intent.limit_price.normalize()),
    )
    return hashlib.sha256(msgspec.json.encode(canonical)).hexdigest()


class RoutingService:
    def __init__(self, runtime: Runtime, books: MarketBooks, repository: RoutingRepository):
        self._runtime = runtime
        self._books = books
        self._repo = repository
        tick = runtime.settings.market_tick_seconds
        self.scorer = VenueScorer(max_book_age=timedelta(seconds=max(5 * tick, 5.0)))
        self._decision_seconds = runtime.metrics.histogram(
            "nija_route_decision_seconds",
            "Time to score the venues of one order",
            [],
            buckets=(1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2),
        )

    # -- placing -------------------------------------------------------------------------------
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
        fingerprint = request_hash(intent)
        if idempotency_key is not None:
            if not _IDEMPOTENCY_KEY.match(idempotency_key):
                raise ProblemError(
                    400,
                    "invalid_idempotency_key",
                    "Idempotency-Key must be 1 to 255 printable ASCII characters",
                )
            prior = await self._repo.stored_response(principal.user_id, idempotency_key)
            if prior is not None:
                return _replay(prior, fingerprint)
        decision, credentials = await self._decide(principal, intent)
        try:
            return await self._commit(principal, intent, decision, credentials, idempotency_key)
        except _KeyTaken:
            assert idempotency_key is not None
            prior = await self._repo.stored_response(principal.user_id, idempotency_key)
            if prior is None:
                raise ProblemError(
                    409, "idempotency_key_in_use", "Retry: this key is being used right now"
                ) from None
            return _replay(prior, fingerprint)

    async def _decide(
        self, principal: Principal, intent: Intent
    ) -> tuple[Decision, dict[str, str]]:
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
        started = time.perf_counter()
        decision = self.scorer.score(intent, quotes, credentials.keys(), self._runtime.clock())
        self._decision_seconds.observe(time.perf_counter() - started)
        if decision.chosen is None:
            usable = [c for c in decision.candidates if c.reason != "no_credentials"]
            if usable and all(c.reason == "stale_market_data" for c in usable):
                raise _market_data_unavailable()
            raise ProblemError(
                422,
                "no_eligible_venue",
                "No venue you hold credentials for can take this order now",
                errors=[{"venue": c.venue, "reason": c.reason} for c in decision.candidates],
            )
        return decision, credentials

    async def _commit(
        self,
        principal: Principal,
        intent: Intent,
        decision: Decision,
        credentials: dict[str, str],
        idempotency_key: str | None,
    ) -> Placed:
        chosen = decision.chosen
        assert chosen is not None
        order_id = uuid.uuid4()
        order = NewOrder(
            id=order_id,
            user_id=principal.user_id,
            client_order_id=f"nija-{order_id.hex}",
            intent=intent,
            venue=chosen.venue,
            credential_id=credentials[chosen.venue],
            created_at=self._runtime.clock(),
        )
        body = PlacedOrder(
            id=str(order_id),
            status="routed",
            venue=order.venue,
            client_order_id=order.client_order_id,
            created_at=order.created_at,
        )
        async with self._runtime.unit_of_work("routing") as uow:
            if idempotency_key is not None:
                fingerprint = request_hash(intent)
                if not await self._repo.claim_key(
                    uow.conn, principal.user_id, idempotency_key, fingerprint
                ):
                    raise _KeyTaken
                await self._repo.complete_key(
                    uow.conn,
                    principal.user_id,
                    idempotency_key,
                    ACCEPTED,
                    msgspec.json.encode(body),
                )
            await self._repo.insert_order(uow.conn, order, decision.candidates)
            uow.publish(_routed(order, decision))
        return Placed(ACCEPTED, body, replayed=False)

    # -- reading -------------------------------------------------------------------------------
    async def list_orders(self, principal: Principal, limit: int, offset: int) -> OrderPage:
        rows = await self._repo.list_orders(principal.user_id, limit, offset)
        return OrderPage(items=[_summary(row) for row in rows], limit=limit, offset=offset)

    async def get_order(self, principal: Principal, order_id: uuid.UUID) -> OrderDetail:
        row = await self._repo.order(principal.user_id, order_id)
        if row is None:
            # Someone else's order is indistinguishable from a missing one.
            raise ProblemError(404, "order_not_found", "No such order")
        fills = await self._repo.fills(order_id)
        decision = await self._repo.decision(order_id)
        route = None
        if decision is not None:
            route = RouteView(
                chosen=decision["chosen"],
                decided_at=decision["decided_at"],
                candidates=msgspec.json.decode(decision["candidates"], type=list[CandidateView]),
            )
        summary = msgspec.structs.asdict(_summary(row))
        return OrderDetail(
            **summary,
            fills=[
                FillView(
                    id=f["fill_id"],
                    price=f["price"],
                    quantity=f["quantity"],
                    fee=f["fee"],
                    fee_currency=f["fee_currency"],
                    liquidity=f["liquidity"],
                    filled_at=f["filled_at"],
                )
                for f in fills
            ],
            route=route,
        )


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


def _routed(order: NewOrder, decision: Decision) -> OrderRouted:
    chosen = decision.chosen
    assert chosen is not None and chosen.expected_price is not None
    assert chosen.fee is not None
    return OrderRouted(
        order_id=str(order.id),
        user_id=order.user_id,
        client_order_id=order.client_order_id,
        symbol=order.intent.symbol,
        side=order.intent.side,
        order_type=order.intent.order_type,
        quantity=order.intent.quantity,
        limit_price=order.intent.limit_price,
        venue=order.venue,
        credential_id=order.credential_id,
        expected_price=chosen.expected_price,
        expected_fee=chosen.fee,
    )


def _summary(row: dict[str, Any]) -> OrderSummary:
    return OrderSummary(
        id=str(row["id"]),
        status=row["status"],
        symbol=row["symbol"],
        side=row["side"],
        type=row["order_type"],
        quantity=row["quantity"],
        limit_price=row["limit_price"],
        venue=row["venue"],
        client_order_id=row["client_order_id"],
        filled_quantity=row["filled_quantity"],
        average_price=row["average_price"],
        fees=row["fees"],
        reject_code=row["reject_code"],
        reject_reason=row["reject_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
