"""Users' data keys, wrapped by the transit key; every sealed copy of a user's keys uses one."""

from __future__ import annotations

from datetime import datetime

from modules.vault.tables import Credential, CredentialVersion, UserKey


class UserKeyRepository:
    async def lock(self, user_id: str) -> str | None:
        """The user's wrapped data key, row-locked: it serialises a user's credential writes."""
        row = (
            await UserKey.select(UserKey.wrapped_data_key)
            .where(UserKey.user_id == user_id)
            .lock_rows("UPDATE")
            .first()
        )
        return str(row["wrapped_data_key"]) if row else None

    async def add(self, user_id: str, wrapped_data_key: str, now: datetime) -> None:
        """Insert unless a concurrent first store already did; the first key wins."""
        await UserKey.insert(
            UserKey(user_id=user_id, wrapped_data_key=wrapped_data_key, created_at=now)
        ).on_conflict(target=UserKey.user_id, action="DO NOTHING")

    async def user_ids(self) -> list[str]:
        rows = await UserKey.select(UserKey.user_id).order_by(UserKey.user_id)
        return [str(row["user_id"]) for row in rows]

    async def replace_wrapping(self, user_id: str, old: str, new: str) -> None:
        """Swap a rewrapped data key in, wherever the old wrapping is stored (same data key)."""
        await UserKey.update({UserKey.wrapped_data_key: new}).where(UserKey.user_id == user_id)
        await Credential.update({Credential.wrapped_data_key: new}).where(
            (Credential.user_id == user_id) & (Credential.wrapped_data_key == old)
        )
        await CredentialVersion.update({CredentialVersion.wrapped_data_key: new}).where(
            (CredentialVersion.user_id == user_id) & (CredentialVersion.wrapped_data_key == old)
        )
