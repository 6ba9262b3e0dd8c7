"""What trading tells the trader's phone: positions closed, stops hit, the bot stopped.

Execution's `PositionChanged` (one per fill) is folded in batches: each position's round trip
(domain/position_cycles.py) and each user's daily tally (trades, realised P&L, wins, losses of
their local day), and a round trip that closed becomes a "Position closed" notification. The
bot's own events say when a stop was hit and when something other than its owner paused it.
"""

from __future__ import annotations

from modules.dashboard.domain import push as rules
from modules.dashboard.domain.daily_summary import local_day
from modules.dashboard.domain.position_cycles import Closed, Cycle, PositionMove, fold
from modules.dashboard.repository.accounts import AccountRepository, Tally
from modules.dashboard.service.daily_summary import zone_of
from modules.dashboard.service.push import Notifier
from modules.execution.contracts import PositionChanged
from modules.kernel.outbox import UnitOfWork
from modules.strategy.contracts import BotPositionChanged, BotStatusChanged


def _move(event: PositionChanged) -> PositionMove:
    return PositionMove(
        position_id=event.position_id,
        user_id=event.user_id,
        venue=event.venue,
        symbol=event.symbol,
        quantity=event.quantity,
        average_entry=event.average_entry,
        realised_pnl=event.realised_pnl,
        realised_delta=event.realised_delta,
        version=event.version,
    )


class TradeAlerts:
    def __init__(self, accounts: AccountRepository, notifier: Notifier) -> None:
        self._accounts = accounts
        self._notifier = notifier

    async def fold_positions(self, events: list[PositionChanged], uow: UnitOfWork) -> None:
        """A batch of position events: round trips, tallies, and the closes to tell."""
        ordered = sorted(events, key=lambda e: (e.position_id, e.version))
        cycles, zones = await self._accounts.lock_cycles(
            uow.conn, sorted({e.position_id for e in ordered}), sorted({e.user_id for e in ordered})
        )
        tallies: list[Tally] = []
        closes: list[tuple[PositionChanged, Closed]] = []
        changed: dict[str, Cycle] = {}
        for event in ordered:
            known = cycles.get(event.position_id)
            if known is not None and known.user_id != event.user_id:
                continue  # a contract breach upstream: never mix two users' positions
            cycle, closed = fold(known, _move(event))
            cycles[event.position_id] = changed[event.position_id] = cycle
            day = local_day(event.occurred_at, zone_of(zones.get(event.user_id, "UTC")))
            win = int(closed is not None and closed.pnl > 0)
            loss = int(closed is not None and closed.pnl <= 0)
            tallies.append((event.user_id, day, 1, event.realised_delta, win, loss))
            if closed is not None:
                closes.append((event, closed))
        await self._accounts.save(uow.conn, list(changed.values()), tallies)
        for event, closed in closes:
            push = rules.position_closed(event.symbol, closed.pnl, closed.cost_basis)
            await self._notifier.notify(
                uow,
                event.user_id,
                kind="position.closed",
                title=push.title,
                body=f"{push.body} on {event.venue}.",
                push=push,
                dedupe_key=f"position-closed:{event.position_id}:{event.version}",
            )

    async def on_bot_position(self, event: BotPositionChanged, uow: UnitOfWork) -> None:
        """A bot's position closed at its stop: "Stop loss hit", leading to the position."""
        if event.status != "closed" or event.close_reason != "stop_loss":
            return
        position_id = await self._accounts.position_id(
            uow.conn, event.user_id, event.venue, event.symbol
        )
        push = rules.stop_loss_hit(event.symbol, event.stop, position_id)
        await self._notifier.notify(
            uow,
            event.user_id,
            kind="bot.stop_loss",
            title=push.title,
            body=push.body,
            push=push,
            dedupe_key=f"stop-loss:{event.bot_position_id}",
        )

    async def on_bot_status(self, event: BotStatusChanged, uow: UnitOfWork) -> None:
        """Keep the bot's status (for the admin), and tell a stop the owner did not make."""
        await self._accounts.bot_changed(
            uow.conn, event.user_id, event.status, event.reason, event.occurred_at
        )
        push = rules.bot_status(event.status, event.previous, event.reason)
        if push is None:
            return
        await self._notifier.notify(
            uow,
            event.user_id,
            kind="bot.status",
            title=push.title,
            body=push.body + (f" ({event.reason})" if event.reason else ""),
            push=push,
        )
