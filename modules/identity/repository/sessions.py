"""Sessions and their refresh-token families.

A refresh token is spent with one conditional UPDATE ... RETURNING, so of two concurrent
requests presenting it exactly one wins, no locks held.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from modules.identity.tables import RefreshToken, Session


class SessionRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user_id: uuid.UUID
    method: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    second_factor_at: datetime | None
    revoked_at: datetime | None
    user_agent: str
    ip: str


class SessionRepository:
    # Sessions -------------------------------------------------------------------------------
    async def create(self, session: SessionRow) -> None:
        await Session.insert(Session(**msgspec.structs.asdict(session)))

    async def session(self, session_id: uuid.UUID) -> SessionRow | None:
        row = await Session.select().where(Session.id == session_id).first()
        return msgspec.convert(row, SessionRow) if row else None

    async def touch(self, session_id: uuid.UUID, now: datetime, expires_at: datetime) -> None:
        await Session.update({Session.last_used_at: now, Session.expires_at: expires_at}).where(
            Session.id == session_id
        )

    async def revoke(
        self,
        user_id: uuid.UUID,
        *,
        reason: str,
        now: datetime,
        session_id: uuid.UUID | None = None,
    ) -> int:
        """Revoke one session of the user (or all of them) and every token of the family."""
        where: Any = (Session.user_id == user_id) & Session.revoked_at.is_null()
        if session_id is not None:
            where = where & (Session.id == session_id)
        rows = (
            await Session.update({Session.revoked_at: now, Session.revoked_reason: reason})
            .where(where)
            .returning(Session.id)
        )
        token_where: Any = (RefreshToken.user_id == user_id) & RefreshToken.revoked_at.is_null()
        if session_id is not None:
            token_where = token_where & (RefreshToken.session_id == session_id)
        await RefreshToken.update({RefreshToken.revoked_at: now}).where(token_where)
        return len(rows)

    # Refresh tokens -------------------------------------------------------------------------
    async def add_refresh_token(
        self,
        *,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        token_hash: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        await RefreshToken.insert(
            RefreshToken(
                user_id=user_id,
                session_id=session_id,
                token_hash=token_hash,
                created_at=now,
                expires_at=expires_at,
            )
        )

    async def consume_refresh_token(
        self, token_hash: str, now: datetime
    ) -> tuple[uuid.UUID, uuid.UUID | None] | None:
        """Revoke a live token; (owner, session) to the one caller that wins a race for it."""
        rows = (
            await RefreshToken.update({RefreshToken.revoked_at: now})
            .where(
                (RefreshToken.token_hash == token_hash)
                & RefreshToken.revoked_at.is_null()
                & (RefreshToken.expires_at > now)
            )
            .returning(RefreshToken.user_id, RefreshToken.session_id)
        )
        return (rows[0]["user_id"], rows[0]["session_id"]) if rows else None

    async def spent_token(self, token_hash: str) -> tuple[uuid.UUID, uuid.UUID | None] | None:
        row = (
            await RefreshToken.select(RefreshToken.user_id, RefreshToken.session_id)
            .where((RefreshToken.token_hash == token_hash) & RefreshToken.revoked_at.is_not_null())
            .first()
        )
        return (row["user_id"], row["session_id"]) if row else None

    async def live_token(self, token_hash: str, now: datetime) -> tuple[uuid.UUID, Any] | None:
        row = (
            await RefreshToken.select(RefreshToken.user_id, RefreshToken.session_id)
            .where(
                (RefreshToken.token_hash == token_hash)
                & RefreshToken.revoked_at.is_null()
                & (RefreshToken.expires_at > now)
            )
            .first()
        )
        return (row["user_id"], row["session_id"]) if row else None
