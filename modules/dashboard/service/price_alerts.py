"""Price alerts: set, list and remove them; fire each once when a price reaches it.

Execution publishes a bar per market each minute and a book every tick, so the check must cost
almost nothing: each replica keeps the armed alerts in memory by symbol (its own creations and
deletions at once, everyone's on a short refresh), and only a price that reaches an alert
touches the database. Firing marks the alert in the transaction that stores its notification
and push, guarded by `triggered_at IS NULL`, so an alert fires once however many replicas, bars
and books see the price.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from decimal import Decimal

import modules.dashboard.config as config
from modules.dashboard.domain import push as rules
from modules.dashboard.domain.price_alerts import (
    ArmedAlert,
    bar_seen_from,
    canonical_symbol,
    fired,
    mid,
)
from modules.dashboard.repository.price_alerts import PriceAlertRepository
from modules.dashboard.schemas.push import PriceAlertCreate, PriceAlertView
from modules.dashboard.service.push import Notifier
from modules.dashboard.views.push import alert_view
from modules.execution.contracts import BarClosed, VenueBookUpdated
from modules.kernel.module import Runtime
from modules.kernel.refusal import Kind, Refused

log = logging.getLogger("nija.dashboard.price_alerts")


class PriceAlerts:
    def __init__(self, runtime: Runtime, alerts: PriceAlertRepository, notifier: Notifier) -> None:
        self._runtime = runtime
        self._alerts = alerts
        self._notifier = notifier
        self._armed: dict[str, dict[uuid.UUID, ArmedAlert]] = {}

    # ---- requests ------------------------------------------------------------------------

    async def create(self, user_id: str, body: PriceAlertCreate) -> PriceAlertView:
        symbol = canonical_symbol(body.symbol)
        alert = ArmedAlert(
            id=uuid.uuid4(),
            user_id=user_id,
            symbol=symbol,
            venue=body.venue,
            direction=body.direction,
            threshold=body.price,
            created_at=self._runtime.clock(),
        )
        async with self._runtime.unit_of_work("dashboard") as uow:
            await uow.conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext('dashboard.price_alerts:' || $1))", user_id
            )
            if (
                await self._alerts.armed_count(uow.conn, user_id)
                >= config.MAX_PRICE_ALERTS_PER_USER
            ):
                raise Refused(
                    Kind.CONFLICT,
                    "too_many_price_alerts",
                    f"At most {config.MAX_PRICE_ALERTS_PER_USER} armed alerts; delete one first",
                )
            record = await self._alerts.add(uow.conn, alert)
            uow.after_commit(lambda: self._arm(alert))
        return alert_view(record)

    async def delete(self, user_id: str, alert_id: str) -> None:
        try:
            key = uuid.UUID(alert_id)
        except ValueError:
            raise _not_found() from None
        async with self._runtime.unit_of_work("dashboard") as uow:
            if not await self._alerts.delete(uow.conn, user_id, key):
                raise _not_found()
        self._disarm(key)

    # ---- the armed alerts in memory ------------------------------------------------------

    def _arm(self, alert: ArmedAlert) -> None:
        self._armed.setdefault(alert.symbol, {})[alert.id] = alert

    def _disarm(self, alert_id: uuid.UUID) -> None:
        for alerts in self._armed.values():
            alerts.pop(alert_id, None)

    async def refresh(self) -> int:
        """Reload every armed alert (other replicas' creations, deletions and firings)."""
        async with self._runtime.db.connection() as conn:
            armed = await self._alerts.armed(conn)
        index: dict[str, dict[uuid.UUID, ArmedAlert]] = {}
        for alert in armed:
            index.setdefault(alert.symbol, {})[alert.id] = alert
        self._armed = index
        return len(armed)

    # ---- prices (non-durable handlers: a newer price supersedes a lost one) ---------------

    async def on_bar(self, event: BarClosed) -> None:
        if event.timeframe != "1m":
            return  # the longer bars repeat what the minute bars already showed
        await self._observe(
            event.venue,
            event.symbol,
            event.low,
            event.high,
            bar_seen_from(event.start, event.timeframe),
        )

    async def on_book(self, event: VenueBookUpdated) -> None:
        price = mid([b.price for b in event.bids[:1]], [a.price for a in event.asks[:1]])
        if price is not None:
            await self._observe(event.venue, event.symbol, price, price, event.occurred_at)

    async def _observe(
        self, venue: str, symbol: str, low: Decimal, high: Decimal, seen_from: datetime
    ) -> None:
        alerts = self._armed.get(symbol.upper().replace("-", "/"))
        if not alerts:
            return
        for alert, price in fired(list(alerts.values()), venue, low, high, seen_from):
            alerts.pop(alert.id, None)
            await self._fire(alert, price, venue)

    async def _fire(self, alert: ArmedAlert, price: Decimal, venue: str) -> None:
        push = rules.price_alert(alert.symbol, alert.direction, alert.threshold, price, venue)
        async with self._runtime.unit_of_work("dashboard") as uow:
            if not await self._alerts.fire(uow.conn, alert.id, price, venue, self._runtime.clock()):
                return  # fired by another replica, or deleted meanwhile
            await self._notifier.notify(
                uow,
                alert.user_id,
                kind="price_alert.triggered",
                title=push.title,
                body=push.body,
                push=push,
                dedupe_key=f"price-alert:{alert.id}",
            )


def _not_found() -> Refused:
    return Refused(Kind.NOT_FOUND, "price_alert_not_found", "No such price alert")
