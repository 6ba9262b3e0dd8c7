"""Folding what the screens show beside fills: balances, the bot (status, positions, signals),
security events, the trader's time zone, routing decisions and market bars."""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import msgspec

import modules.dashboard.config as config
from modules.dashboard.domain.charts import prune_before
from modules.dashboard.repository.account import AccountRepository
from modules.dashboard.repository.days import DayRepository
from modules.dashboard.schemas.pushes import (
    BalanceUpdated,
    BotStatusPushed,
    PnlUpdated,
)
from modules.dashboard.schemas.screens import BalanceView, BotStatusView
from modules.dashboard.service.pushes import Build, Pusher
from modules.dashboard.views.positions import open_positions
from modules.dashboard.views.statistics import periods
from modules.execution.contracts import BalanceChanged, BarClosed
from modules.identity.contracts import SecurityEventRaised, UserProfileChanged
from modules.kernel.db import Database
from modules.kernel.outbox import UnitOfWork
from modules.routing.contracts import OrderRouted
from modules.strategy.contracts import BotPositionChanged, BotStatusChanged, SignalRecorded

log = logging.getLogger("nija.dashboard.screens")


def _zone_known(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


class AccountFolds:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        account: AccountRepository,
        days: DayRepository,
        pusher: Pusher,
    ) -> None:
        self._db = db
        self._clock = clock
        self._account = account
        self._days = days
        self._pusher = pusher

    async def fold_balances(self, events: list[BalanceChanged], uow: UnitOfWork) -> None:
        """A batch's balance reports, one statement; `balance.updated` for each venue account
        whose row changed, with the report that changed it (no read after the commit)."""
        for event, revision in await self._account.balances(uow.conn, events):
            self._push_balance(uow, event, revision)

    def _push_balance(self, uow: UnitOfWork, event: BalanceChanged, revision: int) -> None:
        if not self._pusher.listening(event.user_id):
            return
        view = BalanceView(
            venue=event.venue,
            equity_usd=event.equity_usd,
            balances=dict(event.balances),
            reported_at=event.occurred_at,
            revision=revision,
        )
        message = BalanceUpdated(balance=view, revision=revision)
        self._pusher.after_commit(uow, _fixed(event.user_id, message))

    async def on_bot_status(self, event: BotStatusChanged, uow: UnitOfWork) -> None:
        revision = await self._account.bot_status(uow.conn, event)
        if revision is None or not self._pusher.listening(event.user_id):
            return
        view = BotStatusView(
            status=event.status,
            previous=event.previous,
            reason=event.reason,
            changed_at=event.occurred_at,
            revision=revision,
        )
        self._pusher.after_commit(
            uow, _fixed(event.user_id, BotStatusPushed(bot=view, revision=revision))
        )

    async def on_bot_position(self, event: BotPositionChanged, uow: UnitOfWork) -> None:
        await self._account.bot_position(uow.conn, event)

    async def on_signal(self, event: SignalRecorded, uow: UnitOfWork) -> None:
        await self._account.signal(uow.conn, event)

    async def on_security_event(self, event: SecurityEventRaised, uow: UnitOfWork) -> None:
        await self._account.account_event(
            uow.conn, event.user_id, "security", event.occurred_at, event.kind
        )

    async def on_profile(self, event: UserProfileChanged, uow: UnitOfWork) -> None:
        """Cut the trader's days in their new zone (a zone neither Python nor the database
        knows is logged and kept out: days stay cut where they were)."""
        zone = event.timezone
        if not _zone_known(zone) or not await self._days.known_zone(uow.conn, zone):
            log.warning("unknown time zone in a profile; days stay as they are")
            return
        clock = await self._days.set_zone(uow.conn, event.user_id, zone, event.occurred_at)
        if clock is None or not self._pusher.listening(event.user_id):
            return
        user_id = event.user_id

        async def build() -> list[tuple[str, msgspec.Struct]]:
            now = self._clock()
            async with self._db.connection() as conn:
                held = await open_positions(conn, user_id, now)
                pnl = await periods(conn, user_id, clock.timezone, now)
            unrealised = sum((p.unrealised_pnl for p in held), Decimal(0))
            message = PnlUpdated(pnl=pnl, unrealised_pnl=unrealised, revision=clock.pnl_revision)
            return [(user_id, message)]

        self._pusher.after_commit(uow, build)

    async def fold_routes(self, events: list[OrderRouted], uow: UnitOfWork) -> None:
        await self._account.routes(uow.conn, events)

    async def fold_bars(self, events: list[BarClosed], uow: UnitOfWork) -> None:
        await self._account.bars(uow.conn, events)

    async def prune_bars(self) -> int:
        """Delete the bars no chart draws any more (config.BAR_KEEP_DAYS)."""
        before = prune_before(config.BAR_KEEP_DAYS, self._clock())
        async with self._db.connection() as conn:
            return await self._account.prune_bars(conn, before)


def _fixed(user_id: str, message: msgspec.Struct) -> Build:
    async def build() -> list[tuple[str, msgspec.Struct]]:
        return [(user_id, message)]

    return build
