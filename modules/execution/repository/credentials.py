"""Execution's sealed copies of vault's credentials.

Credential writes are order-insensitive: a store and a revocation travel on different topics
and may arrive in either order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
import msgspec

from modules.kernel.outbox import OutboxInsert
from modules.kernel.sealing import SealedSecret
from modules.vault.contracts import CredentialRevoked, CredentialStored, UserDataKeyRewrapped


class StoredCredential(msgspec.Struct, frozen=True, kw_only=True):
    credential_id: str
    user_id: str
    venue: str
    version: int
    sealed: SealedSecret | None
    revoked: bool
    environment: str = "simulated"


class Standing(msgspec.Struct, frozen=True, kw_only=True):
    """A credential (None when not known here) and whether its user's trading is paused."""

    credential: StoredCredential | None
    paused: bool


class OrderStanding(Standing, frozen=True, kw_only=True):
    """The same for a queued order's credential, with the order's status, the order locked."""

    status: str


# The credential and the user's pause in one round trip: an order needs both as it is queued
# (read by the statement that queues it: repository/orders.py), and again (with its row
# locked) before its credential is opened (below); a verification needs them too.
_STANDING = """
SELECT c.*, coalesce((SELECT paused FROM execution.user_controls WHERE user_id = $2), false)
       AS user_paused
  FROM (SELECT 1) AS one LEFT JOIN execution.credentials c ON c.credential_id = $1
"""
# Before queued orders' credentials are opened (a claim's batch, or one order): each order
# locked, with its status, its credential and its user's pause, and the audit event of each
# opening written (`audit`, an outbox insert with one event per order, in the orders' order) only
# for the orders whose opening may go ahead, in one statement that commits by itself. The
# condition is `Credentials.settle`'s own: the order is not over, a placement is not for a paused
# user, the copy is sealed, belongs to the order's user and venue, and there is a client for its
# environment (a simulated one only on the venues simulated here).
_OPEN_ORDER_CREDENTIALS = """
WITH standing AS (
SELECT w.n, o.order_id AS locked_order_id, o.user_id AS order_user_id, o.venue AS order_venue,
       o.status AS order_status, c.*,
       coalesce((SELECT paused FROM execution.user_controls u WHERE u.user_id = o.user_id), false)
       AS user_paused
  FROM unnest($1::text[]) WITH ORDINALITY AS w(order_id, n)
  JOIN execution.orders o ON o.order_id = w.order_id
  LEFT JOIN execution.credentials c ON c.credential_id = o.credential_id
 ORDER BY o.order_id
   FOR UPDATE OF o
), audit AS ({audit})
SELECT s.*, a.id AS audit_id
  FROM standing s LEFT JOIN audit a ON a.event_id = ($5::text[])[s.n]
"""
_MAY_OPEN = """u.n IN (SELECT s.n FROM standing s
 WHERE s.order_status <> ALL($2::text[]) AND NOT (s.user_paused AND $3::boolean)
   AND s.ciphertext IS NOT NULL AND s.wrapped_data_key IS NOT NULL
   AND s.user_id = s.order_user_id AND s.venue = s.order_venue
   AND (s.environment IN ('live', 'sandbox')
        OR s.environment = 'simulated' AND s.order_venue = ANY($4::text[])))"""
_STORE_CREDENTIAL = """
INSERT INTO execution.credentials AS c
       (credential_id, user_id, venue, version, key_hint, ciphertext, wrapped_data_key, stored_at,
        environment)
VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8)
ON CONFLICT (credential_id) DO UPDATE
   SET version = EXCLUDED.version, key_hint = EXCLUDED.key_hint,
       environment = EXCLUDED.environment,
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
# Only copies still wrapped under the previous wrapping change: a copy stored later already
# carries the new one, and replaying the event changes nothing.
_REWRAP_CREDENTIALS = """
UPDATE execution.credentials SET wrapped_data_key = $3
 WHERE user_id = $1 AND wrapped_data_key = $2
"""


class CredentialRepository:
    async def rewrap(self, conn: asyncpg.Connection, event: UserDataKeyRewrapped) -> None:
        await conn.execute(
            _REWRAP_CREDENTIALS,
            event.user_id,
            event.previous_wrapped_data_key,
            event.wrapped_data_key,
        )

    async def store(self, conn: asyncpg.Connection, event: CredentialStored) -> None:
        await conn.execute(
            _STORE_CREDENTIAL,
            event.credential_id,
            event.user_id,
            event.venue,
            event.version,
            event.key_hint[-4:],
            event.sealed.ciphertext,
            event.sealed.wrapped_data_key,
            event.environment,
        )

    async def revoke(self, conn: asyncpg.Connection, event: CredentialRevoked) -> None:
        await conn.execute(_REVOKE_CREDENTIAL, event.credential_id, event.user_id, event.venue)

    async def standing(
        self, conn: asyncpg.Connection, credential_id: str, user_id: str
    ) -> Standing:
        return standing_of(await conn.fetchrow(_STANDING, credential_id, user_id))

    async def open_order_credentials(
        self,
        conn: asyncpg.Connection,
        order_ids: Sequence[str],
        *,
        terminal: list[str],
        refuse_paused: bool,
        simulated_venues: list[str],
        audit: OutboxInsert,
    ) -> dict[str, tuple[OrderStanding, int | None]]:
        """Each order's standing (orders not known here are left out) and the id of its audit
        row: None when its credential may not be opened for it. `audit` holds one event per
        order, in the order of `order_ids`."""
        rows = await conn.fetch(
            _OPEN_ORDER_CREDENTIALS.format(audit=audit.sql(first=5, when=_MAY_OPEN)),
            list(order_ids),
            terminal,
            refuse_paused,
            simulated_venues,
            *audit.args,
        )
        return {
            row["locked_order_id"]: (
                OrderStanding(
                    status=row["order_status"],
                    credential=_credential_or_none(row),
                    paused=row["user_paused"],
                ),
                row["audit_id"],
            )
            for row in rows
        }

    async def live(self, conn: asyncpg.Connection) -> list[StoredCredential]:
        rows = await conn.fetch(
            "SELECT c.* FROM execution.credentials c "
            "LEFT JOIN execution.user_controls u ON u.user_id = c.user_id "
            "WHERE c.revoked_at IS NULL AND c.ciphertext IS NOT NULL "
            "AND NOT coalesce(u.paused, false)"
        )
        return [_credential(r) for r in rows]


def standing_of(row: Any) -> Standing:
    """A row of a credential's columns (all null when it is not known) and `user_paused`."""
    return Standing(credential=_credential_or_none(row), paused=row["user_paused"])


def _credential_or_none(row: Any) -> StoredCredential | None:
    return None if row["credential_id"] is None else _credential(row)


def _credential(row: Any) -> StoredCredential:
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
        environment=row["environment"],
    )
