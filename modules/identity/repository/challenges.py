"""Login challenges: a half-done sign-in awaiting its second factor, or a nonce a device signs.

A challenge is spent with one conditional UPDATE ... RETURNING, so of two concurrent requests
answering it exactly one wins, no locks held.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from modules.identity.tables import LoginChallenge


class ChallengeRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user_id: uuid.UUID
    purpose: str
    device_id: uuid.UUID | None
    nonce: str
    expires_at: datetime
    used_at: datetime | None
    attempts: int
    user_agent: str
    ip: str


_COLUMNS = tuple(getattr(LoginChallenge, f.name) for f in msgspec.structs.fields(ChallengeRow))


class ChallengeRepository:
    async def add(self, challenge: ChallengeRow, now: datetime) -> None:
        values = msgspec.structs.asdict(challenge)
        await LoginChallenge.insert(LoginChallenge(**values, created_at=now))

    async def live(
        self, challenge_id: uuid.UUID, purpose: str, now: datetime
    ) -> ChallengeRow | None:
        row = (
            await LoginChallenge.select(*_COLUMNS)
            .where(
                (LoginChallenge.id == challenge_id)
                & (LoginChallenge.purpose == purpose)
                & LoginChallenge.used_at.is_null()
                & (LoginChallenge.expires_at > now)
            )
            .first()
        )
        return msgspec.convert(row, ChallengeRow) if row else None

    async def spend(self, challenge_id: uuid.UUID, now: datetime) -> bool:
        rows = (
            await LoginChallenge.update({LoginChallenge.used_at: now})
            .where((LoginChallenge.id == challenge_id) & LoginChallenge.used_at.is_null())
            .returning(LoginChallenge.id)
        )
        return bool(rows)

    async def count_miss(
        self, challenge_id: uuid.UUID, *, max_attempts: int, now: datetime
    ) -> None:
        """One more wrong answer; the challenge is spent once it has had `max_attempts`."""
        await LoginChallenge.update({LoginChallenge.attempts: LoginChallenge.attempts + 1}).where(
            LoginChallenge.id == challenge_id
        )
        await LoginChallenge.update({LoginChallenge.used_at: now}).where(
            (LoginChallenge.id == challenge_id) & (LoginChallenge.attempts >= max_attempts)
        )
