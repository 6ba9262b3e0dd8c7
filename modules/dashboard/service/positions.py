"""Folding a position's new steps into its cycles (domain/positions.py), in version order.

Steps that follow on from the last one folded continue the open cycle; a step that comes late
(the bus delivers out of order) folds the position again from the cycle before it. Either way
the cycles from there on are replaced, the fills that close them are marked with their P&L, and
what the replaced cycles had added to the days is taken back before the new ones add theirs.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from modules.dashboard.domain.positions import Cycle, fold_steps, percent
from modules.dashboard.repository.days import DayDelta
from modules.dashboard.repository.positions import Identity, PositionRepository
from modules.dashboard.repository.trades import Close, TradeRepository, TradeRow
from modules.kernel.outbox import UnitOfWork


class Refolded(msgspec.Struct, frozen=True, kw_only=True):
    cycles: list[Cycle]  # the cycles written (from the first one refolded on)
    revision: int
    days: list[DayDelta]  # positions closed, won and lost: what changed on which day
    marked: list[TradeRow]  # fills whose "closes a position" mark changed


def outcome_deltas(user_id: str, cycle: Cycle, sign: int) -> list[DayDelta]:
    """What a closed cycle adds to (`sign` 1) or takes from (-1) its closing day."""
    outcome = cycle.outcome()
    if cycle.status != "closed" or cycle.closed_at is None:
        return []
    pnl = cycle.realised_pnl
    return [
        DayDelta(
            user_id=user_id,
            at=cycle.closed_at,
            closed=sign,
            wins=sign if outcome == "win" else 0,
            losses=sign if outcome == "loss" else 0,
            won=sign * pnl if outcome == "win" else Decimal(0),
            lost=-sign * pnl if outcome == "loss" else Decimal(0),
        )
    ]


def _close(cycle: Cycle) -> Close:
    return Close(
        cycle=cycle.open_version,
        pnl=cycle.realised_pnl,
        pnl_pct=percent(cycle.realised_pnl, cycle.entry_price * cycle.peak_quantity),
    )


class PositionFold:
    def __init__(self, positions: PositionRepository, trades: TradeRepository) -> None:
        self._positions = positions
        self._trades = trades

    async def refold(
        self, uow: UnitOfWork, position: Identity, new_versions: list[int]
    ) -> Refolded:
        conn, position_id = uow.conn, position.position_id
        head = await self._positions.lock_head(conn, position)
        first_new = min(new_versions)
        open_cycle, previous = None, None
        follows_on = head.last_version + 1 == first_new
        if follows_on:
            latest = await self._positions.latest(conn, position_id)
            if latest is not None and latest.status == "open":
                open_cycle, since = latest, latest.open_version
            else:
                previous, since = head.last_quantity, first_new
            steps = await self._trades.steps(conn, position_id, first_new)
        else:
            since = await self._positions.refold_start(conn, position_id, first_new)
            steps = await self._trades.steps(conn, position_id, since - 1)
            if steps and steps[0].version == since - 1:
                previous = steps[0].quantity
            steps = [step for step in steps if step.version >= since]
        cycles = fold_steps(open_cycle, previous, steps)
        last_step = (steps[-1].version, steps[-1].quantity) if steps else None
        replaced = await self._positions.replace(
            conn, position, since, cycles, head.revision, last_step
        )
        closes = {c.close_version: _close(c) for c in cycles if c.close_version is not None}
        marked = await self._trades.mark_closes(
            conn, position_id, since, closes, refolded=not follows_on
        )
        days = [d for c in replaced for d in outcome_deltas(position.user_id, c, -1)]
        days += [d for c in cycles for d in outcome_deltas(position.user_id, c, 1)]
        return Refolded(cycles=cycles, revision=head.revision, days=days, marked=marked)
