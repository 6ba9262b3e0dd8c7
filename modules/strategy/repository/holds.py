"""What halts trading, as the bot learned it: kill switches (a user's or everyone's), a user's
suspension, execution's pause of a user. A bot cannot start while one holds."""

from __future__ import annotations

import asyncpg

GLOBAL = "global"


class HoldRepository:
    async def hold(self, conn: asyncpg.Connection, subject: str, kind: str, reason: str) -> None:
        await conn.execute(
            "INSERT INTO strategy.holds (subject, kind, reason) VALUES ($1, $2, $3) "
            "ON CONFLICT (subject, kind) DO UPDATE SET reason = $3",
            subject,
            kind,
            reason,
        )

    async def release(self, conn: asyncpg.Connection, subject: str, kind: str) -> None:
        await conn.execute(
            "DELETE FROM strategy.holds WHERE subject = $1 AND kind = $2", subject, kind
        )

    async def holds_on(self, conn: asyncpg.Connection, user_id: str) -> list[str]:
        rows = await conn.fetch(
            "SELECT kind FROM strategy.holds WHERE subject = $1 "
            "OR (subject = $2 AND kind = 'kill_switch')",
            user_id,
            GLOBAL,
        )
        return sorted({r["kind"] for r in rows})
