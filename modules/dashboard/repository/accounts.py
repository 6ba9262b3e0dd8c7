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


Tally = tuple[str, date, int, Decimal, int, int]  # user, day, trades, pnl, wins, losses
_CYCLE_FIELDS = tuple(Cycle.__struct_fields__)
# Rows of two kinds: each position's round trip (locked), then each user's zone (no position).
_LOCK_CYCLES_WITH_ZONES = """
WITH locked AS (
    SELECT position_id, user_id, venue, symbol, version, open, realised_base, cost_basis
      FROM dashboard.position_cycles WHERE position_id = ANY($1::text[])
     ORDER BY position_id FOR UPDATE
)
SELECT position_id, user_id, venue, symbol, version, open, realised_base, cost_basis,
       NULL::text AS timezone FROM locked
UNION ALL
SELECT NULL, user_id, NULL, NULL, NULL, NULL, NULL, NULL, timezone
  FROM dashboard.account_directory WHERE user_id = ANY($2::text[])
"""
# The round trips written back and the days' tallies added to, in one statement.
_SAVE_CYCLES_AND_TALLIES = """
WITH saved AS (
    INSERT INTO dashboard.position_cycles (position_id, user_id, venue, symbol, version, open,
                                           realised_base, cost_basis)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[],
                         $6::bool[], $7::numeric[], $8::numeric[])
    ON CONFLICT (position_id) DO UPDATE SET version = EXCLUDED.version, open = EXCLUDED.open,
           realised_base = EXCLUDED.realised_base, cost_basis = EXCLUDED.cost_basis
)
INSERT INTO dashboard.daily_tallies AS t (user_id, day, trades, pnl, wins, losses)
SELECT u, d, sum(n), sum(p), sum(w), sum(l)
  FROM unnest($9::text[], $10::date[], $11::int[], $12::numeric[], $13::int[], $14::int[])
       AS r(u, d, n, p, w, l)
 GROUP BY u, d ORDER BY u, d
ON CONFLICT (user_id, day) DO UPDATE SET trades = t.trades + EXCLUDED.trades,
       pnl = t.pnl + EXCLUDED.pnl, wins = t.wins + EXCLUDED.wins,
       losses = t.losses + EXCLUDED.losses
"""


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
        self, conn: asyncpg.Connection, position_ids: list[str], user_ids: list[str]
    ) -> tuple[dict[str, Cycle], dict[str, str]]:
        """The positions' round trips, locked in position id order, and the users' time zones
        (by user: only those who have one), in one statement."""
        rows = await conn.fetch(_LOCK_CYCLES_WITH_ZONES, position_ids, user_ids)
        cycles = {
            row["position_id"]: msgspec.convert({name: row[name] for name in _CYCLE_FIELDS}, Cycle)
            for row in rows
            if row["position_id"] is not None
        }
        zones = {row["user_id"]: row["timezone"] for row in rows if row["position_id"] is None}
        return cycles, zones

    async def save(
        self, conn: asyncpg.Connection, cycles: list[Cycle], tallies: list[Tally]
    ) -> None:
        """Write the round trips back (in position id order) and add (user, day, trades, pnl,
        wins, losses) to each day's tally, in one statement."""
        ordered = sorted(cycles, key=lambda c: c.position_id)
        users, days, trades, pnls, wins, losses = (
            [list(column) for column in zip(*tallies, strict=True)] if tallies else [[]] * 6
        )
        await conn.execute(
            _SAVE_CYCLES_AND_TALLIES,
            *([getattr(c, name) for c in ordered] for name in _CYCLE_FIELDS),
            users,
            days,
            trades,
            pnls,
            wins,
            losses,
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
