"""Writes of the per-day figures and of the trader's row they are cut by (`user_state`).

Days are cut in the trader's time zone by the database (`instant AT TIME ZONE zone`), from
the zone in `user_state`, which every fold locks before it adds to a day: a time-zone change
(which cuts every day again from the fills) therefore never interleaves with a fold.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import asyncpg
import msgspec

_ZERO = Decimal(0)
_FIGURES = ("trades", "volume", "fees", "pnl", "closed", "wins", "losses", "won", "lost")
_COUNTS = frozenset({"trades", "closed", "wins", "losses"})


class DayDelta(msgspec.Struct, frozen=True, kw_only=True):
    """What one fact adds to the day `at` falls on in the trader's zone."""

    user_id: str
    at: datetime
    trades: int = 0
    volume: Decimal = _ZERO
    fees: Decimal = _ZERO
    pnl: Decimal = _ZERO
    closed: int = 0
    wins: int = 0
    losses: int = 0
    won: Decimal = _ZERO
    lost: Decimal = _ZERO


class Clock(msgspec.Struct, frozen=True, kw_only=True):
    """A trader's time zone and the revision of their P&L pushes."""

    timezone: str
    pnl_revision: int


_SUMS = ", ".join(f"sum({name})" for name in _FIGURES)
# The traders' rows locked (created if new) with their P&L revision moved on, and what the facts
# add to their days, cut in each trader's zone as the locked row has it: one statement.
_ADD = (
    "WITH clock AS (INSERT INTO dashboard.user_state (user_id, pnl_revision) "  # noqa: S608
    "SELECT u, 1 FROM unnest($1::text[]) AS u ORDER BY u "
    "ON CONFLICT (user_id) DO UPDATE SET pnl_revision = user_state.pnl_revision + 1 "
    "RETURNING user_id, timezone, pnl_revision), "
    f"added AS (INSERT INTO dashboard.daily (user_id, day, {', '.join(_FIGURES)}) "
    f"SELECT u.user_id, (u.at AT TIME ZONE c.timezone)::date, {_SUMS} "
    "FROM unnest($2::text[], $3::timestamptz[], "
    + ", ".join(
        f"${i + 4}::{'int' if name in _COUNTS else 'numeric'}[]" for i, name in enumerate(_FIGURES)
    )
    + f") AS u(user_id, at, {', '.join(_FIGURES)}) JOIN clock c ON c.user_id = u.user_id "
    "GROUP BY 1, 2 ORDER BY 1, 2 "
    "ON CONFLICT (user_id, day) DO UPDATE SET "
    + ", ".join(f"{name} = daily.{name} + EXCLUDED.{name}" for name in _FIGURES)
    + ") SELECT user_id, timezone, pnl_revision FROM clock"
)
_REBUILD = """
INSERT INTO dashboard.daily (user_id, day, trades, volume, fees, pnl, closed, wins, losses, won,
                             lost)
SELECT $1, day, sum(trades), sum(volume), sum(fees), sum(pnl), sum(closed), sum(wins),
       sum(losses), sum(won), sum(lost)
FROM (
    SELECT (executed_at AT TIME ZONE $2)::date AS day, 1 AS trades, price * quantity AS volume,
           coalesce(fee_quote, 0) AS fees, 0::numeric AS pnl, 0 AS closed, 0 AS wins,
           0 AS losses, 0::numeric AS won, 0::numeric AS lost
    FROM dashboard.trades WHERE user_id = $1 AND executed_at IS NOT NULL
    UNION ALL
    SELECT (step_at AT TIME ZONE $2)::date, 0, 0, 0, realised_delta, 0, 0, 0, 0, 0
    FROM dashboard.trades WHERE user_id = $1 AND step_at IS NOT NULL
    UNION ALL
    SELECT (closed_at AT TIME ZONE $2)::date, 0, 0, 0, 0, 1, (realised_pnl > 0)::int,
           (realised_pnl < 0)::int, greatest(realised_pnl, 0), greatest(-realised_pnl, 0)
    FROM dashboard.positions WHERE user_id = $1 AND status = 'closed'
) AS facts
GROUP BY day
"""


class DayRepository:
    async def add(
        self, conn: asyncpg.Connection, user_ids: set[str], deltas: list[DayDelta]
    ) -> dict[str, Clock]:
        """Lock the traders' rows (created if new), moving their P&L revision on, and add the
        deltas to their days, in one statement; their clocks (zone and revision)."""
        rows = await conn.fetch(
            _ADD,
            sorted(user_ids),
            [d.user_id for d in deltas],
            [d.at for d in deltas],
            *([getattr(d, name) for d in deltas] for name in _FIGURES),
        )
        return {
            row["user_id"]: Clock(timezone=row["timezone"], pnl_revision=row["pnl_revision"])
            for row in rows
        }

    async def known_zone(self, conn: asyncpg.Connection, zone: str) -> bool:
        """Whether the database can cut days in `zone` (its own time-zone names); asked in a
        savepoint, as an unknown zone is an error that would end the transaction."""
        try:
            async with conn.transaction():
                await conn.execute("SELECT now() AT TIME ZONE $1", zone)
        except asyncpg.InvalidParameterValueError:
            return False
        return True

    async def set_zone(
        self, conn: asyncpg.Connection, user_id: str, zone: str, changed_at: datetime
    ) -> Clock | None:
        """Record the trader's zone if this change is newer than the one held, and cut every
        day again when the zone moved; the new clock, or None when nothing changed."""
        await conn.execute(
            "INSERT INTO dashboard.user_state (user_id) VALUES ($1) ON CONFLICT DO NOTHING",
            user_id,
        )
        held = await conn.fetchrow(
            "SELECT timezone, profile_at FROM dashboard.user_state WHERE user_id = $1 FOR UPDATE",
            user_id,
        )
        if held["profile_at"] is not None and held["profile_at"] >= changed_at:
            return None
        row = await conn.fetchrow(
            "UPDATE dashboard.user_state SET timezone = $2, profile_at = $3, "
            "pnl_revision = pnl_revision + 1 WHERE user_id = $1 "
            "RETURNING timezone, pnl_revision",
            user_id,
            zone,
            changed_at,
        )
        if held["timezone"] == zone:
            return None
        await conn.execute("DELETE FROM dashboard.daily WHERE user_id = $1", user_id)
        await conn.execute(_REBUILD, user_id, zone)
        return Clock(timezone=row["timezone"], pnl_revision=row["pnl_revision"])
