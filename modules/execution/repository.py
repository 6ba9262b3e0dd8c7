"""Execution's queries.

Everything runs on the handler's transaction connection (`uow.conn`), so it commits or rolls back
with the inbox row and the outbox events. Credential writes are order-insensitive: a store and a
revocation travel on different topics and may arrive in either order.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import asyncpg
import msgspec

from modules.execution.adapters.venue import VenueFill
from modules.kernel.sealing import SealedSecret
from modules.routing.contracts import OrderRouted
from modules.vault.contracts import CredentialRevoked, CredentialStored


class StoredCredential(msgspec.Struct, frozen=True, kw_only=True):
    credential_id: str
    user_id: str
    venue: str
    version: int
    sealed: SealedSecret | None
    revoked: bool


_STORE_CREDENTIAL = """
INSERT INTO execution.credentials AS c
       (credential_id, user_id, venue, version, key_hint, ciphertext, wrapped_data_key, stored_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, now())
ON CONFLICT (credential_id) DO UPDATE
   SET version = EXCLUDED.version, key_hint = EXCLUDED.key_hint,
       ciphertext = EXCLUDED.ciphertext, wrapped_data_key = EXCLUDED.wrapped_data_key,
       stored_at = now()
 WHERE c.revoked_at IS NULL AND c.version < EXCLUDED.version
"""
# A revocation that overtakes its own `CredentialStored` leaves a tombstone, so the late
# store cannot bring the credential back.
_REVOKE_CREDENTIAL = """
INSERT INTO execution.credentials AS c
       (credential_id, user_id, venue, version, stored_at, revoked_at)
VALUES ($1, $2, $3, 0, now(), now())
ON CONFLICT (credential_id) DO UPDATE
   SET ciphertext = NULL, wrapped_data_key = NULL, revoked_at = COALESCE(c.revoked_at, now())
"""
_CLAIM_ORDER = """
INSERT INTO execution.orders
       (order_id, user_id, client_order_id, venue, credential_id, symbol, side, order_type,
        quantity, limit_price, status, filled_quantity, fees, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'placing', 0, 0, now(), now())
ON CONFLICT DO NOTHING
RETURNING order_id
"""
_INSERT_FILL = """
INSERT INTO execution.fills
       (fill_id, order_id, venue, price, quantity, fee, fee_currency, liquidity, filled_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (fill_id) DO NOTHING
"""


class ExecutionRepository:
    async def store_credential(self, conn: asyncpg.Connection, event: CredentialStored) -> None:
        await conn.execute(
            _STORE_CREDENTIAL,
            event.credential_id,
            event.user_id,
            event.venue,
            event.version,
            event.key_hint[-4:],
            event.sealed.ciphertext,
            event.sealed.wrapped_data_key,
        )

    async def revoke_credential(self, conn: asyncpg.Connection, event: CredentialRevoked) -> None:
        await conn.execute(_REVOKE_CREDENTIAL, event.credential_id, event.user_id, event.venue)

    async def credential(
        self, conn: asyncpg.Connection, credential_id: str
    ) -> StoredCredential | None:
        row = await conn.fetchrow(
            "SELECT * FROM execution.credentials WHERE credential_id = $1", credential_id
        )
        if row is None:
            return None
        sealed = None
        if row["ciphertext"] is not None and row["wrapped_data_key"] is not None:
            sealed = SealedSecret(
                ciphertext=row["ciphertext"], wrapped_data_key=row["wrapped_data_key"]
            )
        return StoredCredential(
            credential_id=row["credential_id"],
            user_id=row["user_id"],
            venue=row["venue"],
            version=row["version"],
            sealed=sealed,
            revoked=row["revoked_at"] is not None,
        )

    async def claim_order(self, conn: asyncpg.Connection, event: OrderRouted) -> bool:
        """Record the order; False if this order (or its client order id) is already handled."""
        claimed = await conn.fetchval(
            _CLAIM_ORDER,
            event.order_id,
            event.user_id,
            event.client_order_id,
            event.venue,
            event.credential_id,
            event.symbol,
            event.side,
            event.order_type,
            event.quantity,
            event.limit_price,
        )
        return claimed is not None

    async def mark_rejected(self, conn: asyncpg.Connection, order_id: str, code: str) -> None:
        await conn.execute(
            "UPDATE execution.orders SET status = 'rejected', reject_code = $2, updated_at = now() "
            "WHERE order_id = $1",
            order_id,
            code,
        )

    async def record_placement(
        self,
        conn: asyncpg.Connection,
        *,
        order_id: str,
        venue: str,
        venue_order_id: str,
        status: str,
        fills: Sequence[VenueFill],
        average_price: Decimal | None,
    ) -> None:
        await conn.executemany(
            _INSERT_FILL,
            [
                (
                    f.trade_id,
                    order_id,
                    venue,
                    f.price,
                    f.quantity,
                    f.fee,
                    f.fee_currency,
                    f.liquidity,
                    f.at,
                )
                for f in fills
            ],
        )
        await conn.execute(
            "UPDATE execution.orders SET status = $2, venue_order_id = $3, filled_quantity = $4, "
            "average_price = $5, fees = $6, updated_at = now() WHERE order_id = $1",
            order_id,
            status,
            venue_order_id,
            sum((f.quantity for f in fills), Decimal(0)),
            average_price,
            sum((f.fee for f in fills), Decimal(0)),
        )
