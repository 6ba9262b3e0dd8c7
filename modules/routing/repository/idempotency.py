"""Idempotency keys and the responses stored under them.

A key is claimed in the transaction that places the order, so a retried request either replays
the stored response or waits for (then loses to) the request holding the key.
"""

from __future__ import annotations

import asyncpg
import msgspec

from modules.routing.tables import IdempotencyKey


class StoredResponse(msgspec.Struct, frozen=True, kw_only=True):
    request_hash: str
    status: int | None
    body: bytes | None


class IdempotencyRepository:
    async def stored_response(self, user_id: str, key: str) -> StoredResponse | None:
        row = (
            await IdempotencyKey.select(
                IdempotencyKey.request_hash,
                IdempotencyKey.response_status,
                IdempotencyKey.response_body,
            )
            .where((IdempotencyKey.user_id == user_id) & (IdempotencyKey.key == key))
            .first()
        )
        if row is None:
            return None
        return StoredResponse(
            request_hash=row["request_hash"],
            status=row["response_status"],
            body=row["response_body"],
        )

    async def claim_key(
        self,
        conn: asyncpg.Connection,
        user_id: str,
        key: str,
        request_hash: str,
        status: int,
        body: bytes,
    ) -> bool:
        """Take the key for this request, with the response it will give (both commit with the
        order, or neither); waits for (then loses to) a concurrent holder."""
        claimed = await conn.fetchval(
            "INSERT INTO routing.idempotency_keys (user_id, key, request_hash, created_at, "
            "response_status, response_body) VALUES ($1, $2, $3, now(), $4, $5) "
            "ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
            user_id,
            key,
            request_hash,
            status,
            body,
        )
        return claimed is not None
