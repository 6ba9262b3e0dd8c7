"""Users' venue credentials as routing knows them from the vault: ids and venues, no secrets.

Writes take the transaction's asyncpg connection (`uow.conn`). A revocation overtaking its own
`CredentialStored` leaves a tombstone the late store respects.
"""

from __future__ import annotations

import asyncpg

from modules.routing.repository.user_views import with_bump
from modules.routing.tables import UserVenue
from modules.vault.contracts import CredentialRevoked, CredentialStored

_STORE_CREDENTIAL = with_bump(
    """
INSERT INTO routing.user_venues AS u (credential_id, user_id, venue, version, stored_at)
VALUES ($1, $2, $3, $4, now())
ON CONFLICT (credential_id) DO UPDATE SET version = EXCLUDED.version, stored_at = now()
 WHERE u.revoked_at IS NULL AND u.version < EXCLUDED.version
""",
    "$2",
)
_REVOKE_CREDENTIAL = with_bump(
    """
INSERT INTO routing.user_venues AS u (credential_id, user_id, venue, version, stored_at, revoked_at)
VALUES ($1, $2, $3, 0, now(), now())
ON CONFLICT (credential_id) DO UPDATE SET revoked_at = COALESCE(u.revoked_at, now())
""",
    "$2",
)


class CredentialRepository:
    async def store_credential(self, conn: asyncpg.Connection, event: CredentialStored) -> None:
        await conn.execute(
            _STORE_CREDENTIAL, event.credential_id, event.user_id, event.venue, event.version
        )

    async def revoke_credential(self, conn: asyncpg.Connection, event: CredentialRevoked) -> None:
        await conn.execute(_REVOKE_CREDENTIAL, event.credential_id, event.user_id, event.venue)

    async def active_credentials(self, user_id: str) -> dict[str, str]:
        """venue -> credential id, the newest active credential per venue."""
        rows = (
            await UserVenue.select(UserVenue.venue, UserVenue.credential_id)
            .where((UserVenue.user_id == user_id) & UserVenue.revoked_at.is_null())
            .order_by(UserVenue.stored_at)
        )
        return {row["venue"]: row["credential_id"] for row in rows}

    async def credentials_in(self, conn: asyncpg.Connection, user_id: str) -> dict[str, str]:
        """The same, read in the caller's transaction."""
        rows = await conn.fetch(
            "SELECT venue, credential_id FROM routing.user_venues "
            "WHERE user_id = $1 AND revoked_at IS NULL ORDER BY stored_at",
            user_id,
        )
        return {row["venue"]: row["credential_id"] for row in rows}
