"""A user's TOTP seed (sealed, on the users row) and recovery codes.

TOTP steps and recovery codes are spent with one conditional UPDATE ... RETURNING, so of two
concurrent requests presenting the same one exactly one wins, no locks held.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from modules.identity.tables import RecoveryCode, User


class TotpRepository:
    async def set_pending(self, user_id: uuid.UUID, sealed: str) -> None:
        await User.update({User.totp_pending_secret: sealed}).where(User.id == user_id)

    async def secrets(self, user_id: uuid.UUID) -> tuple[str | None, str | None]:
        """(active sealed secret, pending sealed secret)."""
        row = (
            await User.select(User.totp_secret, User.totp_pending_secret)
            .where(User.id == user_id)
            .first()
        )
        if row is None:
            return None, None
        return row["totp_secret"], row["totp_pending_secret"]

    async def enable(self, user_id: uuid.UUID, pending: str, step: int, now: datetime) -> bool:
        rows = (
            await User.update(
                {
                    User.totp_secret: pending,
                    User.totp_pending_secret: None,
                    User.totp_enabled_at: now,
                    User.totp_last_step: step,
                    User.updated_at: now,
                }
            )
            .where(
                (User.id == user_id)
                & (User.totp_pending_secret == pending)
                & User.totp_secret.is_null()
            )
            .returning(User.id)
        )
        return bool(rows)

    async def spend_step(self, user_id: uuid.UUID, step: int) -> bool:
        """Record `step` as used; False when it (or a later one) was already used: a replay."""
        rows = (
            await User.update({User.totp_last_step: step})
            .where((User.id == user_id) & (User.totp_last_step < step))
            .returning(User.id)
        )
        return bool(rows)

    async def disable(self, user_id: uuid.UUID, now: datetime) -> None:
        await User.update(
            {
                User.totp_secret: None,
                User.totp_pending_secret: None,
                User.totp_enabled_at: None,
                User.updated_at: now,
            }
        ).where(User.id == user_id)
        await RecoveryCode.delete().where(RecoveryCode.user_id == user_id)

    # Recovery codes -------------------------------------------------------------------------
    async def replace_recovery_codes(
        self, user_id: uuid.UUID, digests: list[str], now: datetime
    ) -> None:
        await RecoveryCode.delete().where(RecoveryCode.user_id == user_id)
        await RecoveryCode.insert(
            *[RecoveryCode(user_id=user_id, code_hash=d, created_at=now) for d in digests]
        )

    async def spend_recovery_code(self, user_id: uuid.UUID, digest: str, now: datetime) -> bool:
        rows = (
            await RecoveryCode.update({RecoveryCode.used_at: now})
            .where(
                (RecoveryCode.user_id == user_id)
                & (RecoveryCode.code_hash == digest)
                & RecoveryCode.used_at.is_null()
            )
            .returning(RecoveryCode.id)
        )
        return bool(rows)
