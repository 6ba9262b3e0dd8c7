"""Whose turn it is to rotate the transit key, and when it was last rotated.

Replicas take turns through a PostgreSQL advisory lock held on its own connection (not the
caller's transaction), so the rotation it guards may run many short transactions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import msgspec

from modules.kernel.db import Database

ROTATION_LOCK = 0x5641554C54  # pg advisory lock id: one replica rotates at a time


class RotationTurn(msgspec.Struct, frozen=True, kw_only=True):
    last_rotated_at: datetime | None


class RotationLock:
    def __init__(self, db: Database) -> None:
        self._db = db

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[RotationTurn | None]:
        """This replica's turn (held for the block), or None while another replica has it."""
        async with self._db.connection() as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", ROTATION_LOCK):
                yield None
                return
            try:
                last = await conn.fetchval(
                    "SELECT max(at) FROM vault.audit_log WHERE action = 'rotate_keys'"
                )
                yield RotationTurn(last_rotated_at=last)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", ROTATION_LOCK)
