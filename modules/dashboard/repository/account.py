"""Writes of what the screens show beside trades: balances, the bot's status and positions,
signals, account activity, routing decisions and what they saved, and market bars.

Each is a snapshot that a newer one supersedes (by its time or version) or a fact written once,
so every write is one statement that is safe to repeat and to receive out of order.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.execution.contracts import BalanceChanged, BarClosed
from modules.routing.contracts import OrderRouted
from modules.strategy.contracts import BotPositionChanged, BotStatusChanged, SignalRecorded

_json = msgspec.json.encode
_TIMEFRAME = {
    "1m": timedelta(minutes=1),
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
}

# Per order the trader placed: the latest attempt of each of its routes, summed; for a batch's
# orders at once.
_ROUTE_COLUMNS = (
    "order_id, trader_order_id, parent_order_id, user_id, client_order_id, symbol, side, "
    "quantity, venue, signal, attempt, expected_price, expected_fee, expected_cost, best_venue, "
    "best_cost, routed_at"
)
# A batch's route attempts, and what each order they are of is expected to save, from its
# attempts' latest (those recorded before, and the batch's own, which the statement's snapshot
# does not show in the table): one statement.
_ROUTES_AND_SAVINGS = f"""
WITH incoming AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
        $7::text[], $8::numeric[], $9::text[], $10::text[], $11::int[], $12::numeric[],
        $13::numeric[], $14::numeric[], $15::text[], $16::numeric[], $17::timestamptz[])
        AS r({_ROUTE_COLUMNS})
), added AS (
    INSERT INTO dashboard.routes ({_ROUTE_COLUMNS})
    SELECT * FROM incoming ORDER BY order_id
    ON CONFLICT (order_id) DO NOTHING
)
INSERT INTO dashboard.savings (order_id, user_id, symbol, side, quantity, venues, route_cost,
                               best_venue, best_cost, routed_at)
SELECT placed, min(user_id), min(symbol), min(side), sum(quantity),
       to_jsonb(array_agg(DISTINCT venue ORDER BY venue)),
       CASE WHEN bool_and(expected_cost IS NOT NULL) THEN sum(expected_cost) END,
       CASE WHEN count(DISTINCT best_venue) = 1 THEN min(best_venue) END,
       CASE WHEN bool_and(best_cost IS NOT NULL) THEN sum(best_cost) END,
       min(routed_at)
FROM (
    SELECT DISTINCT ON (trader_order_id) coalesce(parent_order_id, trader_order_id) AS placed, *
    FROM (
        SELECT {_ROUTE_COLUMNS} FROM dashboard.routes
         WHERE coalesce(parent_order_id, trader_order_id) = ANY($18::text[])
        UNION ALL
        SELECT * FROM incoming
    ) AS known
    ORDER BY trader_order_id, attempt DESC
) AS latest
GROUP BY placed
ORDER BY placed
ON CONFLICT (order_id) DO UPDATE SET quantity = EXCLUDED.quantity, venues = EXCLUDED.venues,
    route_cost = EXCLUDED.route_cost, best_venue = EXCLUDED.best_venue,
    best_cost = EXCLUDED.best_cost, routed_at = EXCLUDED.routed_at
"""  # noqa: S608 - the column list is the module's own constant


# A batch of balance reports: every report into the equity history, and each venue's newest into
# its row (kept only if no newer one is held); one statement.
_BALANCES = """
WITH reports AS (
    INSERT INTO dashboard.equity_reports (user_id, venue, equity_usd, reported_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::timestamptz[])
)
INSERT INTO dashboard.balances (user_id, venue, credential_id, balances, equity_usd, reported_at)
SELECT n.u, n.v, n.c, n.b::jsonb, n.e, n.t
FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[], $10::timestamptz[])
    AS n(u, v, c, b, e, t)
ORDER BY n.u, n.v
ON CONFLICT (user_id, venue) DO UPDATE SET credential_id = EXCLUDED.credential_id,
    balances = EXCLUDED.balances, equity_usd = EXCLUDED.equity_usd,
    reported_at = EXCLUDED.reported_at, revision = balances.revision + 1
WHERE balances.reported_at <= EXCLUDED.reported_at
RETURNING user_id, venue, revision
"""


def _newest(events: list[BalanceChanged]) -> list[BalanceChanged]:
    """Each venue account's newest report (the later one of two as new)."""
    newest: dict[tuple[str, str], BalanceChanged] = {}
    for event in sorted(events, key=lambda e: e.occurred_at):
        newest[(event.user_id, event.venue)] = event
    return list(newest.values())


def _balances_json(event: BalanceChanged) -> str:
    return _json({asset: str(amount) for asset, amount in event.balances.items()}).decode()


class AccountRepository:
    async def balances(
        self, conn: asyncpg.Connection, events: list[BalanceChanged]
    ) -> list[tuple[BalanceChanged, int]]:
        """Keep each venue account's newest balances, for a batch of reports: those that became
        their row, with its revision (an older report than the row's, or than another of the
        batch, is only history)."""
        newest = _newest(events)
        rows = await conn.fetch(
            _BALANCES,
            [e.user_id for e in events],
            [e.venue for e in events],
            [e.equity_usd for e in events],
            [e.occurred_at for e in events],
            [e.user_id for e in newest],
            [e.venue for e in newest],
            [e.credential_id for e in newest],
            [_balances_json(e) for e in newest],
            [e.equity_usd for e in newest],
            [e.occurred_at for e in newest],
        )
        kept = {(row["user_id"], row["venue"]): row["revision"] for row in rows}
        return [(e, kept[(e.user_id, e.venue)]) for e in newest if (e.user_id, e.venue) in kept]

    async def bot_status(self, conn: asyncpg.Connection, event: BotStatusChanged) -> int | None:
        """Keep the newest status; its revision, or None when a newer one is held."""
        await self.account_event(
            conn,
            event.user_id,
            "bot",
            event.occurred_at,
            event.status,
            event.previous,
            event.reason,
        )
        revision: int | None = await conn.fetchval(
            "INSERT INTO dashboard.user_state (user_id, bot_status, bot_previous, bot_reason, "
            "bot_changed_at, bot_revision) VALUES ($1, $2, $3, $4, $5, 1) "
            "ON CONFLICT (user_id) DO UPDATE SET bot_status = EXCLUDED.bot_status, "
            "bot_previous = EXCLUDED.bot_previous, bot_reason = EXCLUDED.bot_reason, "
            "bot_changed_at = EXCLUDED.bot_changed_at, "
            "bot_revision = user_state.bot_revision + 1 WHERE user_state.bot_changed_at IS NULL "
            "OR user_state.bot_changed_at <= EXCLUDED.bot_changed_at RETURNING bot_revision",
            event.user_id,
            event.status,
            event.previous,
            event.reason,
            event.occurred_at,
        )
        return revision

    async def account_event(
        self,
        conn: asyncpg.Connection,
        user_id: str,
        kind: str,
        at: datetime,
        code: str,
        previous: str | None = None,
        reason: str | None = None,
    ) -> None:
        await conn.execute(
            "INSERT INTO dashboard.account_events (user_id, kind, at, code, previous, reason) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            user_id,
            kind,
            at,
            code,
            previous,
            reason,
        )

    async def bot_position(self, conn: asyncpg.Connection, event: BotPositionChanged) -> None:
        await conn.execute(
            "INSERT INTO dashboard.bot_positions (bot_position_id, user_id, venue, symbol, "
            "status, entry_intent_id, entry_price, quantity, stop, targets, targets_hit, "
            "trailing_stop, close_reason, version) VALUES "
            "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14) "
            "ON CONFLICT (bot_position_id) DO UPDATE SET status = EXCLUDED.status, "
            "entry_price = EXCLUDED.entry_price, quantity = EXCLUDED.quantity, "
            "stop = EXCLUDED.stop, targets = EXCLUDED.targets, "
            "targets_hit = EXCLUDED.targets_hit, trailing_stop = EXCLUDED.trailing_stop, "
            "close_reason = EXCLUDED.close_reason, version = EXCLUDED.version "
            "WHERE bot_positions.version < EXCLUDED.version",
            event.bot_position_id,
            event.user_id,
            event.venue,
            event.symbol,
            event.status,
            event.entry_intent_id,
            event.entry_price,
            event.quantity,
            event.stop,
            _json([str(t) for t in event.targets]).decode(),
            event.targets_hit,
            event.trailing,
            event.close_reason,
            event.version,
        )

    async def signal(self, conn: asyncpg.Connection, event: SignalRecorded) -> None:
        await conn.execute(
            "INSERT INTO dashboard.signals (signal_id, user_id, venue, symbol, timeframe, "
            "bar_start, action, side, score, conditions, stop, targets) VALUES "
            "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12::jsonb) "
            "ON CONFLICT (signal_id) DO NOTHING",
            event.signal_id,
            event.user_id,
            event.venue,
            event.symbol,
            event.timeframe,
            event.bar_start,
            event.action,
            event.side,
            event.score,
            _json(event.conditions).decode(),
            event.stop,
            _json([str(t) for t in event.targets]).decode(),
        )
        if event.intent_ids:
            await conn.execute(
                "INSERT INTO dashboard.signal_intents (intent_id, signal_id) "
                "SELECT unnest($1::text[]), $2 ON CONFLICT (intent_id) DO NOTHING",
                event.intent_ids,
                event.signal_id,
            )

    async def routes(self, conn: asyncpg.Connection, events: list[OrderRouted]) -> None:
        """Record a batch's route attempts, and what each order placed so far is expected to
        save: one statement, however many."""
        if not events:
            return
        columns: list[list[Any]] = [[] for _ in range(17)]
        for event in events:
            trader_order_id = event.original_order_id or event.order_id
            row = (
                event.order_id,
                trader_order_id,
                event.parent_order_id,
                event.user_id,
                event.client_order_id,
                event.symbol,
                event.side,
                event.quantity,
                event.venue,
                event.signal,
                event.attempt,
                event.expected_price,
                event.expected_fee,
                event.expected_cost,
                event.best_single_venue,
                event.best_single_venue_cost,
                event.occurred_at,
            )
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        placed = {e.parent_order_id or e.original_order_id or e.order_id for e in events}
        await conn.execute(_ROUTES_AND_SAVINGS, *columns, sorted(placed))

    async def bars(self, conn: asyncpg.Connection, bars: list[BarClosed]) -> None:
        """Store bars (for charts) and move each market's mark to its newest close."""
        if not bars:
            return
        await conn.execute(
            "INSERT INTO dashboard.bars (venue, symbol, timeframe, start, open, high, low, "
            "close, volume) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], "
            "$4::timestamptz[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[], "
            "$9::numeric[]) ON CONFLICT (venue, symbol, timeframe, start) DO NOTHING",
            *_bar_columns(bars),
        )
        latest: dict[tuple[str, str], tuple[datetime, Decimal]] = {}
        for bar in bars:
            key = (bar.venue, bar.symbol)
            ends = bar.start + _TIMEFRAME[bar.timeframe]
            if key not in latest or latest[key][0] < ends:
                latest[key] = (ends, bar.close)
        keys = sorted(latest)
        await conn.execute(
            "INSERT INTO dashboard.marks (venue, symbol, at, price) SELECT * FROM "
            "unnest($1::text[], $2::text[], $3::timestamptz[], $4::numeric[]) "
            "ON CONFLICT (venue, symbol) DO UPDATE SET at = EXCLUDED.at, price = EXCLUDED.price "
            "WHERE marks.at < EXCLUDED.at",
            [k[0] for k in keys],
            [k[1] for k in keys],
            [latest[k][0] for k in keys],
            [latest[k][1] for k in keys],
        )

    async def prune_bars(self, conn: asyncpg.Connection, before: dict[str, datetime]) -> int:
        """Delete bars older than their timeframe's cut-off, a slice at a time (so no delete
        holds many rows locked); how many went."""
        deleted = 0
        for timeframe, cutoff in sorted(before.items()):
            while True:
                status = await conn.execute(
                    "DELETE FROM dashboard.bars WHERE id IN (SELECT id FROM dashboard.bars "
                    "WHERE timeframe = $1 AND start < $2 LIMIT 5000)",
                    timeframe,
                    cutoff,
                )
                count = int(status.split()[-1])
                deleted += count
                if count < 5000:
                    break
        return deleted


def _bar_columns(bars: list[BarClosed]) -> list[list[Any]]:
    unique = {(b.venue, b.symbol, b.timeframe, b.start): b for b in bars}
    ordered = [unique[key] for key in sorted(unique)]
    names = ("venue", "symbol", "timeframe", "start", "open", "high", "low", "close", "volume")
    return [[getattr(b, name) for b in ordered] for name in names]
