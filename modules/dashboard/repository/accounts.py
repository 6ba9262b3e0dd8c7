"""Read copies other modules' events keep for notifications and the admin: accounts (tier,
status, time zone), bot states, position round trips, and each user's daily tally."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.dashboard.domain.position_cycles import Cycle


class TallyDue(msgspec.Struct, frozen=True, kw_only=True):
    """A user's tally of a day, with what says whether its summary is due."""

    user_id: str
    day: date
    trades: int
    pnl: Decimal
    wins: int
    losses: int
    timezone: str
    summary_time: str
    last_sent: date | None


class AccountRepository:
    # ---- accounts ------------------------------------------------------------------------

    async def account_changed(
        self, conn: asyncpg.Connection, user_id: str, at: datetime, **changes: Any
    ) -> None:
        """Create the account's row if it is new, then set the columns an event told."""
        names = sorted(changes)
        assignments = ", ".join(f"{name} = ${i + 3}" for i, name in enumerate(names))
        await conn.execute(
            "INSERT INTO dashboard.account_directory (user_id, updated_at) VALUES ($1, $2) "
            "ON CONFLICT (user_id) DO NOTHING",
            user_id,
            at,
        )
        await conn.execute(
            f"UPDATE dashboard.account_directory SET {assignments}, updated_at = $2 "  # noqa: S608 - names are ours
            "WHERE user_id = $1",
            user_id,
            at,
            *(changes[name] for name in names),
        )

    async def timezones(self, conn: asyncpg.Connection, user_ids: list[str]) -> dict[str, str]:
        rows = await conn.fetch(
            "SELECT user_id, timezone FROM dashboard.account_directory "
            "WHERE user_id = ANY($1::text[])",
            user_ids,
        )
        return {row["user_id"]: row["timezone"] for row in rows}

    async def bot_changed(
        self, conn: asyncpg.Connection, user_id: str, status: str, reason: str | None, at: datetime
    ) -> None:
        """Keep the newest status (events may arrive out of order)."""
        await conn.execute(
            "INSERT INTO dashboard.bot_states (user_id, status, reason, changed_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET status = $2, "
            "reason = $3, changed_at = $4 WHERE dashboard.bot_states.changed_at <= $4",
            user_id,
            status,
            reason,
            at,
        )

    # ---- position round trips --------------------------------------------------------------

    async def lock_cycles(
        self, conn: asyncpg.Connection, position_ids: list[str]
    ) -> dict[str, Cycle]:
        rows = await conn.fetch(
            "SELECT position_id, user_id, venue, symbol, version, open, realised_base, "
            "cost_basis FROM dashboard.position_cycles WHERE position_id = ANY($1::text[]) "
            "ORDER BY position_id FOR UPDATE",
            position_ids,
        )
        return {row["position_id"]: msgspec.convert(dict(row), Cycle) for row in rows}

    async def save_cycles(self, conn: asyncpg.Connection, cycles: list[Cycle]) -> None:
        await conn.executemany(
            "INSERT INTO dashboard.position_cycles (position_id, user_id, venue, symbol, version, "
            "open, realised_base, cost_basis) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT (position_id) DO UPDATE SET version = EXCLUDED.version, "
            "open = EXCLUDED.open, realised_base = EXCLUDED.realised_base, "
            "cost_basis = EXCLUDED.cost_basis",
            [
                (
                    c.position_id,
                    c.user_id,
                    c.venue,
                    c.symbol,
                    c.version,
                    c.open,
                    c.realised_base,
                    c.cost_basis,
                )
                for c in cycles
            ],
        )

    async def position_id(
        self, conn: asyncpg.Connection, user_id: str, venue: str, symbol: str
    ) -> str | None:
        found: str | None = await conn.fetchval(
            "SELECT position_id FROM dashboard.position_cycles "
            "WHERE user_id = $1 AND venue = $2 AND symbol = $3",
            user_id,
            venue,
            symbol,
        )
        return found

    # ---- daily tallies ---------------------------------------------------------------------

    async def add_to_tallies(
        self, conn: asyncpg.Connection, rows: list[tuple[str, date, int, Decimal, int, int]]
    ) -> None:
        """Add (user, day, trades, pnl, wins, losses) to each day's tally, in one statement."""
        if not rows:
            return
        users, days, trades, pnls, wins, losses = (
            list(column) for column in zip(*rows, strict=True)
        )
        await conn.execute(
            "INSERT INTO dashboard.daily_tallies AS t (user_id, day, trades, pnl, wins, losses) "
            "SELECT u, d, sum(n), sum(p), sum(w), sum(l) FROM unnest($1::text[], $2::date[], "
            "$3::int[], $4::numeric[], $5::int[], $6::int[]) AS r(u, d, n, p, w, l) "
            "GROUP BY u, d ORDER BY u, d "
            "ON CONFLICT (user_id, day) DO UPDATE SET trades = t.trades + EXCLUDED.trades, "
            "pnl = t.pnl + EXCLUDED.pnl, wins = t.wins + EXCLUDED.wins, "
            "losses = t.losses + EXCLUDED.losses",
            users,
            days,
            trades,
            pnls,
            wins,
            losses,
        )

    async def tallies_not_summarised(self, conn: asyncpg.Connection, since: date) -> list[TallyDue]:
        """Tallies from `since` on of users who want a summary and have none of that day yet."""
        rows = await conn.fetch(
            "SELECT t.user_id, t.day, t.trades, t.pnl, t.wins, t.losses, "
            "coalesce(a.timezone, 'UTC') AS timezone, "
            "coalesce(p.daily_summary_time, '20:00') AS summary_time, s.day AS last_sent "
            "FROM dashboard.daily_tallies t "
            "LEFT JOIN dashboard.account_directory a ON a.user_id = t.user_id "
            "LEFT JOIN dashboard.notification_preferences p ON p.user_id = t.user_id "
            "LEFT JOIN dashboard.daily_summaries_sent s ON s.user_id = t.user_id "
            "WHERE t.day >= $1 AND (s.day IS NULL OR s.day < t.day) "
            "AND coalesce(p.daily_summary, true) "
            "ORDER BY t.user_id, t.day",
            since,
        )
        return [msgspec.convert(dict(row), TallyDue) for row in rows]

    async def claim_summary(
        self, conn: asyncpg.Connection, user_id: str, day: date, at: datetime
    ) -> bool:
        """Record that `day`'s summary goes out; False when it (or a later day's) already has."""
        claimed = await conn.fetchval(
            "INSERT INTO dashboard.daily_summaries_sent AS s (user_id, day, sent_at) "
            "VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET day = EXCLUDED.day, "
            "sent_at = EXCLUDED.sent_at WHERE s.day < EXCLUDED.day RETURNING user_id",
            user_id,
            day,
            at,
        )
        return claimed is not None
