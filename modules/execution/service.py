"""Execution use cases: place a routed order exactly once, and publish venue market data.

Placement runs inside the inbox transaction of the `OrderRouted` delivery. The venue keeps its
own state outside that transaction, so if we die after the venue accepted but before we commit,
the redelivery places the same client order id again and the venue answers with the order it
already has: one order at the venue, one set of fills here.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from modules.execution.adapters.venue import (
    OrderRequest,
    Venue,
    VenueOrder,
    VenueRejected,
    VenueUnavailable,
)
from modules.execution.contracts import (
    BookLevel,
    CredentialUnsealed,
    OrderAccepted,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    VenueBookUpdated,
)
from modules.execution.repository import ExecutionRepository
from modules.execution.schemas import VenueView
from modules.kernel.events import envelope_for
from modules.kernel.logs import register_secret
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.sealing import CredentialMaterial, UnsealError, unseal
from modules.routing.contracts import OrderRouted

log = logging.getLogger("nija.execution")
PRICE_STEP = Decimal("0.00000001")
EVENT_SOURCE = "nija/execution"
# Event ids derived from the facts they report, so a fact published twice is deduped downstream.
_EVENT_NAMESPACE = uuid.UUID("5b0f8a52-3c1e-4a8e-9b7d-6a1f2e4c9d10")


def _event_id(*parts: str) -> str:
    return str(uuid.uuid5(_EVENT_NAMESPACE, ":".join(parts)))


class RetryLater(Exception):
    """Not an error yet: raise to have the bus redeliver the event after a backoff."""


class ExecutionService:
    def __init__(
        self, runtime: Runtime, venues: Mapping[str, Venue], repository: ExecutionRepository
    ) -> None:
        self._runtime = runtime
        self._venues = dict(venues)
        self._repo = repository
        settings = runtime.settings
        # A credential we have not heard of may still be on its way from vault (another topic,
        # another queue); wait for it within half of the bus's retry budget, then give up.
        budget = sum(
            min(settings.bus_retry_base_seconds * 2**i, settings.bus_retry_max_seconds)
            for i in range(max(settings.bus_max_attempts - 1, 0))
        )
        self._credential_grace = timedelta(seconds=budget / 2)

    @property
    def venues(self) -> Mapping[str, Venue]:
        return self._venues

    # -- placing orders ------------------------------------------------------------------------
    async def execute(self, event: OrderRouted, uow: UnitOfWork) -> None:
        if not await self._repo.claim_order(uow.conn, event):
            return
        material = await self._open_credential(event, uow)
        if material is None:
            return
        venue = self._venues.get(event.venue)
        if venue is None:
            await self._reject(event, uow, "unknown_venue", f"no venue named {event.venue}")
            return
        uow.publish(
            CredentialUnsealed(
                credential_id=event.credential_id,
                user_id=event.user_id,
                venue=event.venue,
                order_id=event.order_id,
                purpose="place_order",
            )
        )
        request = OrderRequest(
            client_order_id=event.client_order_id,
            symbol=event.symbol,
            side=event.side,
            order_type=event.order_type,
            quantity=event.quantity,
            limit_price=event.limit_price,
        )
        # Masks the secret in any log line written while it is in memory.
        mask = register_secret(material.api_secret)
        try:
            placed = await self._place(venue, request, material)
        except VenueRejected as refusal:
            await self._reject(event, uow, refusal.code, refusal.reason)
            return
        finally:
            del mask, material
        await self._record(event, uow, placed)

    async def _open_credential(
        self, event: OrderRouted, uow: UnitOfWork
    ) -> CredentialMaterial | None:
        stored = await self._repo.credential(uow.conn, event.credential_id)
        if stored is None and self._runtime.clock() - event.occurred_at < self._credential_grace:
            raise RetryLater(f"credential {event.credential_id} not known yet")
        usable = (
            stored is not None
            and stored.sealed is not None
            and stored.user_id == event.user_id
            and stored.venue == event.venue
        )
        if not usable or stored is None or stored.sealed is None:
            await self._reject(
                event, uow, "credential_unavailable", "the credential is revoked or unknown"
            )
            return None
        try:
            return unseal(self._runtime.keyring, stored.sealed, event.user_id, event.venue)
        except UnsealError:
            log.warning("credential did not open", extra={"credential_id": event.credential_id})
            await self._reject(
                event, uow, "credential_unavailable", "the credential could not be opened"
            )
            return None

    async def _place(
        self, venue: Venue, request: OrderRequest, material: CredentialMaterial
    ) -> VenueOrder:
        try:
            return await venue.place_order(request, material)
        except VenueUnavailable:
            # Ambiguous: the venue may have the order. Ask before anything is sent again.
            found = await venue.fetch_order_by_client_id(request.client_order_id, material)
            if found is None:
                raise
            return found

    async def _reject(self, event: OrderRouted, uow: UnitOfWork, code: str, reason: str) -> None:
        await self._repo.mark_rejected(uow.conn, event.order_id, code)
        uow.publish(
            OrderRejected(
                event_id=_event_id(event.order_id, "rejected"),
                order_id=event.order_id,
                user_id=event.user_id,
                venue=event.venue,
                code=code,
                reason=reason,
            )
        )

    async def _record(self, event: OrderRouted, uow: UnitOfWork, placed: VenueOrder) -> None:
        uow.publish(
            OrderAccepted(
                event_id=_event_id(event.order_id, "accepted"),
                order_id=event.order_id,
                user_id=event.user_id,
                venue=placed.venue,
                client_order_id=placed.client_order_id,
                venue_order_id=placed.venue_order_id,
            )
        )
        filled = Decimal(0)
        notional = Decimal(0)
        average: Decimal | None = None
        for fill in placed.fills:
            filled += fill.quantity
            notional += fill.price * fill.quantity
            average = (notional / filled).quantize(PRICE_STEP)
            uow.publish(
                OrderFilled(
                    event_id=_event_id(event.order_id, "fill", fill.trade_id),
                    order_id=event.order_id,
                    user_id=event.user_id,
                    venue=placed.venue,
                    fill_id=fill.trade_id,
                    symbol=placed.symbol,
                    side=placed.side,
                    price=fill.price,
                    quantity=fill.quantity,
                    fee=fill.fee,
                    fee_currency=fill.fee_currency,
                    liquidity=fill.liquidity,
                    filled_quantity=filled,
                    remaining_quantity=placed.quantity - filled,
                    average_price=average,
                    status="filled" if filled >= placed.quantity else "partially_filled",
                )
            )
        if placed.status == "expired":
            uow.publish(
                OrderExpired(
                    event_id=_event_id(event.order_id, "expired"),
                    order_id=event.order_id,
                    user_id=event.user_id,
                    venue=placed.venue,
                    filled_quantity=filled,
                    remaining_quantity=placed.quantity - filled,
                    reason="the book could not fill the rest of the market order",
                )
            )
        await self._repo.record_placement(
            uow.conn,
            order_id=event.order_id,
            venue=placed.venue,
            venue_order_id=placed.venue_order_id,
            status=_status(placed, filled),
            fills=placed.fills,
            average_price=average,
        )

    # -- market data ---------------------------------------------------------------------------
    async def publish_books(self) -> int:
        """Publish one book snapshot per venue and symbol straight to the bus."""
        pairs = [(v, s) for v in self._venues.values() for s in sorted(v.symbols)]
        events = await asyncio.gather(*(self._book_event(v, s) for v, s in pairs))
        for book_event in events:
            await self._runtime.pubsub.publish(envelope_for(book_event, EVENT_SOURCE))
        return len(events)

    async def _book_event(self, venue: Venue, symbol: str) -> VenueBookUpdated:
        book = await venue.book(symbol)
        return VenueBookUpdated(
            occurred_at=book.at,
            venue=venue.name,
            symbol=symbol,
            bids=[BookLevel(level.price, level.size) for level in book.bids],
            asks=[BookLevel(level.price, level.size) for level in book.asks],
            taker_fee=venue.fees.taker,
            maker_fee=venue.fees.maker,
            latency_ms=venue.latency_ms,
        )

    async def run_market_data(self, tick_seconds: float) -> None:
        while True:
            await asyncio.sleep(tick_seconds)
            try:
                await self.publish_books()
            except Exception:
                log.exception("market data round failed; next tick retries")

    def overview(self) -> list[VenueView]:
        return [
            VenueView(
                name=venue.name,
                symbols=sorted(venue.symbols),
                taker_fee=venue.fees.taker,
                maker_fee=venue.fees.maker,
                latency_ms=venue.latency_ms,
            )
            for venue in self._venues.values()
        ]


def _status(placed: VenueOrder, filled: Decimal) -> str:
    if placed.status == "open":
        return "partially_filled" if filled > 0 else "open"
    return placed.status
