"""TradingView alerts in, order intents out through routing's risk gate.

An alert is checked in the order that costs an attacker most and tells them least: the hook and
its secret first (an unknown, revoked or wrong one all answer the same), then the hook's rate
(only a caller holding the secret can spend it, so nobody else can starve a hook), then the
alert's freshness, its replay fingerprint and the order it asks for. What the gate says comes
later, as routing's `IntentRefused`, and is written on the alert for its owner to read.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from modules.kernel.ids import time_ordered_uuid
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.refusal import Kind, Refused
from modules.kernel.token_bucket import TokenBucket
from modules.routing.contracts import IntentRefused
from modules.strategy.config import TradingViewConfig
from modules.strategy.contracts import IntentSubmitted
from modules.strategy.domain import tradingview as rules
from modules.strategy.repository.prices import PriceRepository
from modules.strategy.repository.tradingview_alerts import AlertRepository, NewAlert
from modules.strategy.repository.tradingview_hooks import HookRepository
from modules.strategy.repository.venue_positions import VenuePositionRepository
from modules.strategy.schemas import TradingViewAlertRequest

# Compared against when the hook does not exist, so an unknown hook costs what a wrong secret
# does and the answer's timing does not tell them apart.
_NO_HOOK_HASH = rules.secret_hash(uuid.uuid4().hex)


def _unauthorized() -> Refused:
    return Refused(
        Kind.UNAUTHENTICATED, "webhook_unauthorized", "Unknown TradingView hook or wrong secret"
    )


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if len(value) <= 64 else None
    except ValueError:
        return None


class TradingViewAlerts:
    def __init__(
        self,
        runtime: Runtime,
        config: TradingViewConfig,
        *,
        hooks: HookRepository,
        alerts: AlertRepository,
        prices: PriceRepository,
        venue_positions: VenuePositionRepository,
    ) -> None:
        self._runtime = runtime
        self._config = config
        self._hooks = hooks
        self._alerts = alerts
        self._prices = prices
        self._venue_positions = venue_positions
        self._bucket = TokenBucket(runtime.state("strategy"))

    async def receive(self, hook_id: str, alert: TradingViewAlertRequest) -> uuid.UUID:
        """The order id of the intent this alert became, or a `Refused`."""
        hook = await self._authenticated(hook_id, alert.secret)
        await self._within_budget(hook["id"])
        try:
            return await self._submit(hook, alert)
        except Refused as refused:
            await self._record(hook, alert, refused)
            raise

    async def intent_refused(self, event: IntentRefused, uow: UnitOfWork) -> None:
        intent_id = _uuid(event.intent_id)
        if intent_id is not None:
            await self._alerts.refused(uow.conn, intent_id, event.code, event.reason)

    async def _authenticated(self, hook_id: str, secret: str) -> dict[str, Any]:
        parsed = _uuid(hook_id)
        hook = None
        if parsed is not None:
            async with self._runtime.db.connection() as conn:
                hook = await self._hooks.live(conn, parsed)
        matches = rules.secret_matches(
            secret, _NO_HOOK_HASH if hook is None else hook["secret_hash"]
        )
        if hook is None or not matches:
            raise _unauthorized()
        return hook

    async def _within_budget(self, hook_id: uuid.UUID) -> None:
        per_minute = self._config.alerts_per_minute
        wait = await self._bucket.take(
            f"tradingview:hook:{hook_id}", rate=per_minute / 60, burst=self._config.alert_burst
        )
        if wait is None or wait > 0:
            raise Refused(
                Kind.TOO_MANY,
                "alert_rate_limited",
                f"This hook takes {per_minute} alerts a minute; retry later",
                retry_after=max(1, math.ceil(wait or 1)),
            )

    async def _submit(self, hook: dict[str, Any], alert: TradingViewAlertRequest) -> uuid.UUID:
        now = self._runtime.clock()
        rules.check_fresh(alert.timestamp, now, alert.max_lag)
        symbol = rules.platform_symbol(alert.symbol)
        user_id, venue = hook["user_id"], hook["venue"]
        print_ = rules.fingerprint(
            str(hook["id"]), alert.timestamp, alert.action, alert.symbol, alert.size_usd
        )
        expires = rules.fingerprint_expiry(alert.timestamp, now, alert.max_lag)
        async with self._runtime.unit_of_work("strategy") as uow:
            conn = uow.conn
            if not await self._hooks.first_sight(conn, hook["id"], print_, expires, now):
                raise Refused(Kind.CONFLICT, "alert_replayed", "This alert was already received")
            order = await self._order(conn, hook, alert, symbol)
            intent_id = time_ordered_uuid()
            submitted = NewAlert(
                hook_id=hook["id"],
                user_id=user_id,
                action=alert.action,
                symbol=alert.symbol,
                status="submitted",
                intent_id=intent_id,
                side=order.side,
                quantity=order.quantity,
            )
            await self._alerts.insert(conn, submitted, now, self._config.alerts_kept)
            await self._hooks.alerted(conn, hook["id"], now)
            uow.publish(
                IntentSubmitted(
                    intent_id=str(intent_id),
                    user_id=user_id,
                    symbol=symbol,
                    side=order.side,
                    quantity=order.quantity,
                    signal=order.signal,
                    source="tradingview",
                    venue=venue,
                )
            )
        return intent_id

    async def _order(
        self, conn: Any, hook: dict[str, Any], alert: TradingViewAlertRequest, symbol: str
    ) -> rules.AlertOrder:
        """`close` needs what the user holds there (execution's word, followed through
        `PositionChanged`); `buy` and `sell` the last close execution published."""
        user_id, venue = hook["user_id"], hook["venue"]
        closing = alert.action == "close"
        return rules.alert_order(
            alert.action,
            symbol=symbol,
            venue=venue,
            size_usd=alert.size_usd,
            price=None if closing else await self._prices.latest_close(conn, venue, symbol),
            held=await self._venue_positions.quantity(conn, user_id, venue, symbol)
            if closing
            else None,
        )

    async def _record(
        self, hook: dict[str, Any], alert: TradingViewAlertRequest, refused: Refused
    ) -> None:
        """An authenticated alert refused here is written down too, so its owner can see why
        TradingView's alert did nothing."""
        now = self._runtime.clock()
        refusal = NewAlert(
            hook_id=hook["id"],
            user_id=hook["user_id"],
            action=alert.action,
            symbol=alert.symbol,
            status="refused",
            code=refused.code,
            reason=refused.reason,
        )
        async with self._runtime.unit_of_work("strategy") as uow:
            await self._alerts.insert(uow.conn, refusal, now, self._config.alerts_kept)
            await self._hooks.alerted(uow.conn, hook["id"], now)
