"""Which bars this module has already published, read from its own outbox.

A bar's event id is derived from the bar, so a second replica (or a restarted process) that
computes the same bar would write the same id again, which the outbox's unique event id
refuses with an error that would abort the whole batch. Writers serialise on one advisory lock
and skip the ids already there; the outbox keeps published rows, so that is every bar ever
published.
"""

from __future__ import annotations

import asyncpg

_LOCK = "execution:bars"


class BarRepository:
    async def lock(self, conn: asyncpg.Connection) -> None:
        """Serialise bar writers until the transaction ends, so the check below is race-free."""
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", _LOCK)

    async def published(self, conn: asyncpg.Connection, event_ids: list[str]) -> set[str]:
        rows = await conn.fetch(
            "SELECT event_id FROM execution.outbox WHERE event_id = ANY($1::text[])", event_ids
        )
        return {row["event_id"] for row in rows}
