"""The user's view as the risk gate and intake read it (domain/user_view.py), loaded in one
query, and the version every write to it bumps in the same statement.

`*` is the version of the platform-wide kill switch, which is in every user's view.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec

from modules.kernel.db import Database
from modules.routing.domain.user_view import DayFigures, EquityCopy, PositionCopy, UserView

GLOBAL = "*"
# The outer statement of a write to a user's view (its own data-modifying CTEs run whatever the
# outer statement reads): the user's version moves on, and the new one comes back.
BUMP = """
INSERT INTO routing.view_versions AS v (user_id, version) VALUES ({user}, 1)
ON CONFLICT (user_id) DO UPDATE SET version = v.version + 1
RETURNING version
"""


def with_bump(write: str, user: str) -> str:
    """`write` (one statement without a WITH of its own) and the bump of `user`'s version."""
    return f"WITH change AS ({write.strip()})\n" + BUMP.format(user=user)


_LOAD = """
SELECT COALESCE((SELECT version FROM routing.view_versions WHERE user_id = $1), 0) AS version,
       COALESCE((SELECT version FROM routing.view_versions WHERE user_id = '*'), 0)
           AS global_version,
       COALESCE((SELECT placed FROM routing.order_guards WHERE user_id = $1), 0) AS placed,
       (SELECT json_agg(json_build_array(venue, credential_id) ORDER BY stored_at)
          FROM routing.user_venues WHERE user_id = $1 AND revoked_at IS NULL)::text AS credentials,
       (SELECT row_to_json(s) FROM (SELECT suspended, tier, paused, paused_reason
                                      FROM routing.user_status WHERE user_id = $1) s)::text
           AS status,
       (SELECT array_agg(scope) FROM routing.kill_switches
         WHERE active AND scope IN ('global', $1)) AS kill_switches,
       (SELECT json_agg(json_build_array(id, symbol, quantity::text, version))
          FROM routing.positions WHERE user_id = $1)::text AS positions,
       (SELECT json_agg(json_build_array(day, trades, realised::text))
          FROM routing.daily_pnl WHERE user_id = $1 AND day >= $2)::text AS days,
       (SELECT json_agg(json_build_array(credential_id, equity_usd::text, as_of))
          FROM routing.venue_equity WHERE user_id = $1)::text AS equity,
       ts.user_id IS NOT NULL AS has_settings,
       ts.risk_level, ts.max_position_usd, ts.max_daily_loss_usd, ts.allowed_pairs, ts.equity_usd
  FROM (SELECT 1) AS one
  LEFT JOIN routing.trading_settings ts ON ts.user_id = $1
"""
_SETTINGS_COLUMNS = (
    "risk_level",
    "max_position_usd",
    "max_daily_loss_usd",
    "allowed_pairs",
    "equity_usd",
)


def _rows(text: str | None) -> list[list[Any]]:
    return [] if text is None else msgspec.json.decode(text)


class UserViewRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, user_id: str, today: date) -> UserView:
        """The user's view as committed now, with the versions it is at (one snapshot)."""
        async with self._db.connection() as conn:
            row = dict(await conn.fetchrow(_LOAD, user_id, today))
        settings = None
        if row["has_settings"]:
            settings = {column: row[column] for column in _SETTINGS_COLUMNS}
            pairs = settings["allowed_pairs"]
            settings["allowed_pairs"] = None if pairs is None else msgspec.json.decode(pairs)
        return UserView(
            version=row["version"],
            global_version=row["global_version"],
            placed=row["placed"],
            credentials=[(venue, cid) for venue, cid in _rows(row["credentials"])],
            status=None if row["status"] is None else msgspec.json.decode(row["status"]),
            kill_switches=list(row["kill_switches"] or []),
            settings=settings,
            positions={
                pid: PositionCopy(symbol, Decimal(quantity), version)
                for pid, symbol, quantity, version in _rows(row["positions"])
            },
            days={
                date.fromisoformat(day): DayFigures(trades, Decimal(realised))
                for day, trades, realised in _rows(row["days"])
            },
            equity={
                cid: EquityCopy(Decimal(amount), datetime.fromisoformat(as_of))
                for cid, amount, as_of in _rows(row["equity"])
            },
        )
