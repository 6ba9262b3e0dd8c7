"""Per-user trading controls: paused or not (and why), and the account errors in a row."""

from __future__ import annotations

import asyncpg

_COUNT_ERROR = """
INSERT INTO execution.user_controls AS u (user_id, paused, reason, consecutive_errors, updated_at)
VALUES ($1, false, '', 1, now())
ON CONFLICT (user_id) DO UPDATE
   SET consecutive_errors = u.consecutive_errors + 1, updated_at = now()
RETURNING consecutive_errors, paused
"""
_PAUSE = """
INSERT INTO execution.user_controls AS u (user_id, paused, reason, consecutive_errors, updated_at)
VALUES ($1, true, $2, 0, now())
ON CONFLICT (user_id) DO UPDATE SET paused = true, reason = $2, updated_at = now()
 WHERE NOT u.paused
RETURNING user_id
"""
_RESUME = """
UPDATE execution.user_controls SET paused = false, reason = '', consecutive_errors = 0,
       updated_at = now()
 WHERE user_id = $1 AND paused
RETURNING user_id
"""


class UserControlRepository:
    async def count_error(self, conn: asyncpg.Connection, user_id: str) -> int:
        row = await conn.fetchrow(_COUNT_ERROR, user_id)
        return int(row["consecutive_errors"])

    async def pause(self, conn: asyncpg.Connection, user_id: str, reason: str) -> bool:
        """True if this call paused the user (False: already paused)."""
        return await conn.fetchval(_PAUSE, user_id, reason) is not None

    async def resume(self, conn: asyncpg.Connection, user_id: str) -> bool:
        return await conn.fetchval(_RESUME, user_id) is not None
