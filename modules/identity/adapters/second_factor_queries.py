"""Queries on second-factor state: TOTP seeds, recovery codes, login challenges, device keys.

Reached as `IdentityRepository.second_factor`. Single-use proofs (TOTP steps, recovery codes,
challenges) are spent with one conditional UPDATE ... RETURNING, so of two concurrent requests
exactly one wins, no locks held.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from modules.identity.adapters.rows import ChallengeRow, DeviceRow, challenge_columns
from modules.identity.tables import Device, LoginChallenge, RecoveryCode, User


class SecondFactorQueries:
    # TOTP -----------------------------------------------------------------------------------
    async def set_pending_totp(self, user_id: uuid.UUID, sealed: str) -> None:
        await User.update({User.totp_pending_secret: sealed}).where(User.id == user_id)

    async def totp_secrets(self, user_id: uuid.UUID) -> tuple[str | None, str | None]:
        """(active sealed secret, pending sealed secret)."""
        row = (
            await User.select(User.totp_secret, User.totp_pending_secret)
            .where(User.id == user_id)
            .first()
        )
        if row is None:
            return None, None
        return row["totp_secret"], row["totp_pending_secret"]

    async def enable_totp(self, user_id: uuid.UUID, pending: str, step: int, now: datetime) -> bool:
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

    async def spend_totp_step(self, user_id: uuid.UUID, step: int) -> bool:
        """Record `step` as used; False when it (or a later one) was already used: a replay."""
        rows = (
            await User.update({User.totp_last_step: step})
            .where((User.id == user_id) & (User.totp_last_step < step))
            .returning(User.id)
        )
        return bool(rows)

    async def disable_totp(self, user_id: uuid.UUID, now: datetime) -> None:
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

    # Challenges -----------------------------------------------------------------------------
    async def add_challenge(self, challenge: ChallengeRow, now: datetime) -> None:
        values = msgspec.structs.asdict(challenge)
        await LoginChallenge.insert(LoginChallenge(**values, created_at=now))

    async def live_challenge(
        self, challenge_id: uuid.UUID, purpose: str, now: datetime
    ) -> ChallengeRow | None:
        row = (
            await LoginChallenge.select(*challenge_columns())
            .where(
                (LoginChallenge.id == challenge_id)
                & (LoginChallenge.purpose == purpose)
                & LoginChallenge.used_at.is_null()
                & (LoginChallenge.expires_at > now)
            )
            .first()
        )
        return msgspec.convert(row, ChallengeRow) if row else None

    async def spend_challenge(self, challenge_id: uuid.UUID, now: datetime) -> bool:
        rows = (
            await LoginChallenge.update({LoginChallenge.used_at: now})
            .where((LoginChallenge.id == challenge_id) & LoginChallenge.used_at.is_null())
            .returning(LoginChallenge.id)
        )
        return bool(rows)

    async def count_challenge_miss(
        self, challenge_id: uuid.UUID, *, max_attempts: int, now: datetime
    ) -> None:
        """One more wrong answer; the challenge is spent once it has had `max_attempts`."""
        await LoginChallenge.update({LoginChallenge.attempts: LoginChallenge.attempts + 1}).where(
            LoginChallenge.id == challenge_id
        )
        await LoginChallenge.update({LoginChallenge.used_at: now}).where(
            (LoginChallenge.id == challenge_id) & (LoginChallenge.attempts >= max_attempts)
        )

    # Devices --------------------------------------------------------------------------------
    async def add_device(self, device: DeviceRow) -> None:
        await Device.insert(Device(**msgspec.structs.asdict(device)))

    async def devices(self, user_id: uuid.UUID) -> list[DeviceRow]:
        rows = (
            await Device.select()
            .where((Device.user_id == user_id) & Device.revoked_at.is_null())
            .order_by(Device.created_at)
        )
        return [msgspec.convert(row, DeviceRow) for row in rows]

    async def device(self, device_id: uuid.UUID) -> DeviceRow | None:
        row = (
            await Device.select()
            .where((Device.id == device_id) & Device.revoked_at.is_null())
            .first()
        )
        return msgspec.convert(row, DeviceRow) if row else None

    async def touch_device(self, device_id: uuid.UUID, now: datetime) -> None:
        await Device.update({Device.last_used_at: now}).where(Device.id == device_id)

    async def revoke_device(self, user_id: uuid.UUID, device_id: uuid.UUID, now: datetime) -> bool:
        rows = (
            await Device.update({Device.revoked_at: now})
            .where(
                (Device.id == device_id) & (Device.user_id == user_id) & Device.revoked_at.is_null()
            )
            .returning(Device.id)
        )
        return bool(rows)

    async def has_devices(self, user_id: uuid.UUID) -> bool:
        count = await Device.count().where(
            (Device.user_id == user_id) & Device.revoked_at.is_null()
        )
        return int(count) > 0
