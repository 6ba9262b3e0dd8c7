"""Folding a position's new steps into its cycles (domain/positions.py), in version order.

Steps that follow on from the last one folded continue the open cycle; a step that comes late
(the bus delivers out of order) folds the position again from the cycle before it. Either way
the cycles from there on are replaced, the fills that close them are marked with their P&L, and
what the replaced cycles had added to the days is taken back before the new ones add theirs.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from modules.dashboard.domain.positions import Cycle, Step, fold_steps, percent
from modules.dashboard.repository.days import DayDelta
from modules.dashboard.repository.positions import (
    Head,
    Identity,
    PositionRepository,
    Replacement,
)
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


class _Plan(msgspec.Struct, frozen=True, kw_only=True):
    """Where one position's fold starts: the cycle it carries on, or the quantity before its
    first step; the first cycle it writes; and from which version its steps are read."""

    open_cycle: Cycle | None
    previous: Decimal | None
    since: int
    read_from: int
    follows_on: bool


class PositionFold:
    def __init__(self, positions: PositionRepository, trades: TradeRepository) -> None:
        self._positions = positions
        self._trades = trades

    async def refold(
        self, uow: UnitOfWork, new_versions: dict[Identity, list[int]]
    ) -> dict[str, Refolded]:
        """Fold each position's new steps (`new_versions`): its head locked, its cycles read,
        its steps read and its cycles replaced, each in one statement for all the positions."""
        conn = uow.conn
        heads = await self._positions.lock_heads(conn, list(new_versions))
        plans = await self._plans(uow, heads, new_versions)
        steps = await self._trades.steps(conn, {pid: p.read_from for pid, p in plans.items()})
        folded = {
            p.position_id: _fold(p, plans[p.position_id], steps[p.position_id], heads)
            for p in new_versions
        }
        replaced = await self._positions.replace(conn, list(folded.values()))
        results: dict[str, Refolded] = {}
        for position in new_versions:
            position_id, user_id = position.position_id, position.user_id
            replacement = folded[position_id]
            cycles = replacement.cycles
            closes = {c.close_version: _close(c) for c in cycles if c.close_version is not None}
            marked = await self._trades.mark_closes(
                conn,
                position_id,
                replacement.since,
                closes,
                refolded=not plans[position_id].follows_on,
            )
            days = [d for c in replaced[position_id] for d in outcome_deltas(user_id, c, -1)]
            days += [d for c in cycles for d in outcome_deltas(user_id, c, 1)]
            results[position_id] = Refolded(
                cycles=cycles, revision=replacement.revision, days=days, marked=marked
            )
        return results

    async def _plans(
        self, uow: UnitOfWork, heads: dict[str, Head], new_versions: dict[Identity, list[int]]
    ) -> dict[str, _Plan]:
        """Where each position's fold starts: the positions that carry on from their head read
        their newest cycles in one statement; one with a step that came late is folded again
        from the cycle that step follows (rare: a statement each)."""
        firsts = {p.position_id: min(versions) for p, versions in new_versions.items()}
        carried = [pid for pid, first in firsts.items() if heads[pid].last_version + 1 == first]
        latest = await self._positions.latest(uow.conn, carried) if carried else {}
        plans: dict[str, _Plan] = {}
        for position_id, first in firsts.items():
            if position_id in carried:
                plans[position_id] = _carry_on(latest.get(position_id), heads[position_id], first)
                continue
            since = await self._positions.refold_start(uow.conn, position_id, first)
            plans[position_id] = _Plan(
                open_cycle=None, previous=None, since=since, read_from=since - 1, follows_on=False
            )
        return plans


def _carry_on(latest: Cycle | None, head: Head, first: int) -> _Plan:
    """A fold that follows on from the last step folded: the open cycle carries on, or (none
    open) a new one starts after the head's quantity."""
    if latest is not None and latest.status == "open":
        return _Plan(
            open_cycle=latest,
            previous=None,
            since=latest.open_version,
            read_from=first,
            follows_on=True,
        )
    return _Plan(
        open_cycle=None,
        previous=head.last_quantity,
        since=first,
        read_from=first,
        follows_on=True,
    )


def _fold(
    position: Identity, plan: _Plan, steps: list[Step], heads: dict[str, Head]
) -> Replacement:
    """The position's cycles from the plan's start, and where its head moves."""
    previous = plan.previous
    if not plan.follows_on:
        if steps and steps[0].version == plan.since - 1:
            previous = steps[0].quantity
        steps = [step for step in steps if step.version >= plan.since]
    return Replacement(
        position=position,
        since=plan.since,
        cycles=fold_steps(plan.open_cycle, previous, steps),
        revision=heads[position.position_id].revision,
        last_step=(steps[-1].version, steps[-1].quantity) if steps else None,
    )
