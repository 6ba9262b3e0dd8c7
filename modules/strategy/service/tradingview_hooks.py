"""A trader's TradingView hooks: create one (its secret shown once) and revoke it."""

from __future__ import annotations

import secrets
import uuid

from modules.kernel.module import Runtime
from modules.kernel.refusal import Kind, Refused
from modules.strategy.config import TradingViewConfig
from modules.strategy.domain.tradingview import alert_message, hook_url, secret_hash
from modules.strategy.repository.prices import PriceRepository
from modules.strategy.repository.tradingview_hooks import HookRepository
from modules.strategy.schemas import TradingViewHookCreated, TradingViewHookRequest

SECRET_BYTES = 32


class TradingViewHooks:
    def __init__(
        self,
        runtime: Runtime,
        config: TradingViewConfig,
        hooks: HookRepository,
        prices: PriceRepository,
    ) -> None:
        self._runtime = runtime
        self._config = config
        self._hooks = hooks
        self._prices = prices

    async def create(
        self, user_id: str, request: TradingViewHookRequest, request_base_url: str
    ) -> TradingViewHookCreated:
        """A new hook on a venue the platform trades (or the user holds a position on).

        Only the secret's hash is stored; the secret itself leaves in this answer and nowhere
        else (not in a log line, an event or a later answer).
        """
        secret = secrets.token_urlsafe(SECRET_BYTES)
        hook_id, now = uuid.uuid4(), self._runtime.clock()
        async with self._runtime.unit_of_work("strategy") as uow:
            if not await self._prices.venue_known(uow.conn, user_id, request.venue):
                raise Refused(
                    Kind.INVALID, "unknown_venue", f"NIJA does not trade on {request.venue!r}"
                )
            if await self._hooks.count_live(uow.conn, user_id) >= self._config.max_hooks_per_user:
                raise Refused(
                    Kind.CONFLICT,
                    "too_many_webhooks",
                    f"You may hold {self._config.max_hooks_per_user} TradingView hooks; "
                    "revoke one first",
                )
            await self._hooks.insert(
                uow.conn,
                hook_id=hook_id,
                user_id=user_id,
                venue=request.venue,
                label=request.label,
                secret_hash=secret_hash(secret),
                at=now,
            )
        return TradingViewHookCreated(
            id=str(hook_id),
            venue=request.venue,
            label=request.label,
            url=hook_url(self._config.public_base_url or request_base_url, str(hook_id)),
            created_at=now,
            last_alert_at=None,
            secret=secret,
            alert_message=alert_message(secret),
        )

    async def revoke(self, user_id: str, hook_id: uuid.UUID) -> None:
        async with self._runtime.unit_of_work("strategy") as uow:
            revoked = await self._hooks.revoke(uow.conn, user_id, hook_id, self._runtime.clock())
        if not revoked:
            raise Refused(Kind.NOT_FOUND, "webhook_not_found", "No such TradingView hook")
