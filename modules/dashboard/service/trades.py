"""Folding fills into the screens' read side: execution's `OrderFilled` (the fill) and
`PositionChanged` (the position after it), both from one batch of the order path.

Per batch: one statement writes the fills' halves, one the steps' halves; each touched position
is folded once (its head locked, its new steps read, its cycles written); then the traders' rows
are locked once, in id order, and the days take what the batch added. Fees are valued in the
quote currency by the platform's rule (domain/pnl.py), P&L is execution's (net of fees, from the
venue's fills).
Pushes are built after the commit (service/pushes.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import asyncpg
import msgspec

from modules.dashboard.domain.pnl import fee_in_quote
from modules.dashboard.repository.days import Clock, DayDelta, DayRepository
from modules.dashboard.repository.positions import Identity
from modules.dashboard.repository.trades import FillHalf, StepHalf, TradeRepository, TradeRow
from modules.dashboard.schemas.pushes import PnlUpdated, PositionUpdated, TradeExecuted
from modules.dashboard.schemas.screens import PositionCard
from modules.dashboard.service.positions import PositionFold
from modules.dashboard.service.pushes import Pusher
from modules.dashboard.views.activity import trades_by_id
from modules.dashboard.views.positions import cycles, open_positions_of
from modules.dashboard.views.shapes import trade_item
from modules.dashboard.views.statistics import periods_of
from modules.execution.contracts import OrderFilled, PositionChanged
from modules.kernel.db import Database
from modules.kernel.outbox import UnitOfWork


def fill_half(event: OrderFilled) -> FillHalf:
    return FillHalf(
        user_id=event.user_id,
        venue=event.venue,
        symbol=event.symbol,
        fill_id=event.fill_id,
        order_id=event.order_id,
        side=event.side,
        price=event.price,
        quantity=event.quantity,
        fee=event.fee,
        fee_currency=event.fee_currency,
        fee_quote=fee_in_quote(event.symbol, event.fee, event.fee_currency, event.price),
        liquidity=event.liquidity,
        executed_at=event.occurred_at,
    )


def step_half(event: PositionChanged) -> StepHalf:
    return StepHalf(
        user_id=event.user_id,
        venue=event.venue,
        symbol=event.symbol,
        fill_id=event.fill_id,
        position_id=event.position_id,
        version=event.version,
        position_quantity=event.quantity,
        average_entry=event.average_entry,
        realised_total=event.realised_pnl,
        fees_total=event.fees,
        realised_delta=event.realised_delta,
        step_at=event.occurred_at,
    )


def _traded(row: TradeRow) -> DayDelta:
    assert row.executed_at is not None and row.price is not None and row.quantity is not None
    return DayDelta(
        user_id=row.user_id,
        at=row.executed_at,
        trades=1,
        volume=row.price * row.quantity,
        fees=row.fee_quote or Decimal(0),
    )


class _Stepped(msgspec.Struct, frozen=True):
    """What a batch's position steps changed: day deltas, traders, trade rows to push."""

    days: list[DayDelta]
    users: set[str]
    changed: set[int]


class TradeFolds:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        trades: TradeRepository,
        days: DayRepository,
        positions: PositionFold,
        pusher: Pusher,
    ) -> None:
        self._db = db
        self._clock = clock
        self._trades = trades
        self._days = days
        self._positions = positions
        self._pusher = pusher

    async def fold(
        self, fills: list[OrderFilled], steps: list[PositionChanged], uow: UnitOfWork
    ) -> None:
        """A batch's fills and position steps: the traders' rows are locked and their days
        moved once for both, and one push build follows the commit."""
        fresh = []
        if fills:
            fresh = await self._trades.add_fills(uow.conn, [fill_half(e) for e in fills])
        days = [_traded(row) for row in fresh]
        users = {row.user_id for row in fresh}
        changed = {row.id for row in fresh}
        written: dict[tuple[str, int], str] = {}
        if steps:
            stepped = await self._steps(steps, uow, written)
            days += stepped.days
            users |= stepped.users
            changed |= stepped.changed
        if not users:
            return
        clocks = await self._days.add(uow.conn, users, days)
        self._push(uow, sorted(changed), written, clocks)

    async def _steps(
        self, events: list[PositionChanged], uow: UnitOfWork, written: dict[tuple[str, int], str]
    ) -> _Stepped:
        # Version 0 comes only from events older than versions: it cannot be put in order.
        usable = [e for e in events if e.version > 0]
        fresh = await self._trades.add_steps(uow.conn, [step_half(e) for e in usable])
        days = [
            DayDelta(user_id=row.user_id, at=row.step_at, pnl=row.realised_delta)
            for row in fresh
            if row.step_at is not None and row.realised_delta is not None
        ]
        by_position: dict[str, list[TradeRow]] = defaultdict(list)
        for row in fresh:
            assert row.position_id is not None
            by_position[row.position_id].append(row)
        changed = {row.id for row in fresh}
        new_versions = {
            Identity(
                position_id=position_id,
                user_id=rows[0].user_id,
                venue=rows[0].venue,
                symbol=rows[0].symbol,
            ): [row.version for row in rows if row.version is not None]
            for position_id, rows in sorted(by_position.items())
        }
        refolded = await self._positions.refold(uow, new_versions) if new_versions else {}
        for identity in new_versions:
            position = refolded[identity.position_id]
            days += position.days
            owner = identity.user_id
            written.update({(identity.position_id, c.open_version): owner for c in position.cycles})
            changed.update(row.id for row in position.marked)
        return _Stepped(days=days, users={row.user_id for row in fresh}, changed=changed)

    def _push(
        self,
        uow: UnitOfWork,
        trade_ids: list[int],
        positions: dict[tuple[str, int], str],
        clocks: dict[str, Clock],
    ) -> None:
        """After the commit: `trade.executed` for the fills written, `position.updated` for the
        positions, `pnl.updated` for each trader (with the revision this fold gave it)."""
        users = {user for user in clocks if self._pusher.listening(user)}
        if not users:
            return

        async def build() -> list[tuple[str, msgspec.Struct]]:
            now = self._clock()
            messages: list[tuple[str, msgspec.Struct]] = []
            async with self._db.connection() as conn:
                for row in await trades_by_id(conn, trade_ids):
                    if row["user_id"] in users:
                        item = trade_item(row)
                        messages.append(
                            (row["user_id"], TradeExecuted(trade=item, revision=item.revision))
                        )
                held = await open_positions_of(conn, sorted(users), now)
                messages += await _positions_shown(conn, positions, held, now)
                zones = {user_id: clocks[user_id].timezone for user_id in users}
                pnl = await periods_of(conn, zones, now)
            for user_id in sorted(users):
                unrealised = sum((p.unrealised_pnl for p in held[user_id]), Decimal(0))
                revision = clocks[user_id].pnl_revision
                update = PnlUpdated(pnl=pnl[user_id], unrealised_pnl=unrealised, revision=revision)
                messages.append((user_id, update))
            return messages

        self._pusher.after_commit(uow, build)


async def _positions_shown(
    conn: asyncpg.Connection,
    positions: dict[tuple[str, int], str],
    held: dict[str, list[PositionCard]],
    now: datetime,
) -> list[tuple[str, msgspec.Struct]]:
    """`position.updated` for the cycles the fold wrote: an open one is among the trader's
    open positions, read for the P&L anyway; only the others (closed) are read apart."""
    cards = {(card.id, card.cycle): card for cards in held.values() for card in cards}
    shown = [key for key, user in positions.items() if user in held]
    found = [cards[key] for key in shown if key in cards]
    missing = [key for key in shown if key not in cards]
    if missing:
        found += await cycles(conn, missing, now)
    return [
        (positions[(view.id, view.cycle)], PositionUpdated(position=view, revision=view.revision))
        for view in sorted(found, key=lambda view: (view.id, view.cycle))
    ]
