"""Sessions: access tokens, refresh-token families and their rotation, sign-out.

A session is a family of refresh tokens: each refresh spends the presented token and issues the
next one in the same family, so revoking the session ends every token it ever issued. Access
tokens name their session (`sid`); ending sessions also writes a revocation marker
(`runtime.revocations`) so the access tokens already out stop working on every replica too. The
marker is written before the sessions' rows change: a failure in between leaves tokens dead
(the client signs in again), never alive.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime, timedelta

import msgspec

from modules.identity.domain.accounts import account_suspended
from modules.identity.domain.tokens import digest_token
from modules.identity.repository.sessions import SessionRow
from modules.identity.repository.users import UserRow
from modules.identity.service.part import IdentityPart
from modules.kernel.auth import Principal
from modules.kernel.refusal import Kind, Refused

log = logging.getLogger("nija.identity")


class IssuedTokens(msgspec.Struct, frozen=True, kw_only=True):
    access_token: str
    refresh_token: str
    expires_in: int


class ClientInfo(msgspec.Struct, frozen=True, kw_only=True):
    ip: str = ""
    user_agent: str = ""


class Sessions(IdentityPart):
    def _refresh_ttl(self) -> timedelta:
        return timedelta(seconds=self._runtime.settings.refresh_token_ttl_seconds)

    async def _has_second_factor(self, user: UserRow) -> bool:
        return user.totp_enabled_at is not None or await self._repo.devices.has_devices(user.id)

    async def access_token(
        self, user: UserRow, proved_at: datetime | None, session_id: str | None
    ) -> str:
        principal = Principal(
            user_id=str(user.id),
            role=user.role,
            tier=user.tier,
            second_factor=await self._has_second_factor(user),
            second_factor_at=int(proved_at.timestamp()) if proved_at else None,
            session_id=session_id,
        )
        return self._runtime.tokens.issue(principal)

    async def start(
        self, user: UserRow, method: str, proved_at: datetime | None, client: ClientInfo
    ) -> IssuedTokens:
        """A new session family with its first refresh token (call inside a unit of work)."""
        now = self._now()
        session = SessionRow(
            id=uuid.uuid4(),
            user_id=user.id,
            method=method,
            created_at=now,
            last_used_at=now,
            expires_at=now + self._refresh_ttl(),
            second_factor_at=proved_at,
            revoked_at=None,
            user_agent=client.user_agent[:200],
            ip=client.ip[:64],
        )
        await self._repo.sessions.create(session)
        return await self._issue(user, session)

    async def _issue(self, user: UserRow, session: SessionRow) -> IssuedTokens:
        refresh = secrets.token_urlsafe(32)  # 256 bits
        now = self._now()
        await self._repo.sessions.add_refresh_token(
            user_id=user.id,
            session_id=session.id,
            token_hash=digest_token(refresh),
            now=now,
            expires_at=now + self._refresh_ttl(),
        )
        return IssuedTokens(
            access_token=await self.access_token(user, session.second_factor_at, str(session.id)),
            refresh_token=refresh,
            expires_in=self._runtime.tokens.ttl_seconds,
        )

    async def refresh(self, refresh_token: str, client: ClientInfo) -> IssuedTokens:
        """Rotate: the presented token is spent and a new pair is issued in the same session.

        Presenting an already-spent token means it was copied (OAuth 2.0 Security BCP, refresh
        token reuse): its whole session family is revoked, so thief and victim both lose it.
        """
        token_hash = digest_token(refresh_token)
        now = self._now()
        tokens: IssuedTokens | None = None
        is_suspended = reused = False
        spent: tuple[uuid.UUID, uuid.UUID | None] | None = None
        sessions = self._repo.sessions
        async with self._uow():
            consumed = await sessions.consume_refresh_token(token_hash, now)
            if consumed is not None:
                user = await self._repo.users.by_id(consumed[0])
                session = await sessions.session(consumed[1]) if consumed[1] else None
                if user is not None and user.suspended:
                    is_suspended = True
                elif user is not None and consumed[1] is None:
                    tokens = await self.start(user, "password", None, client)
                elif user is not None and session is not None and session.revoked_at is None:
                    await sessions.touch(session.id, now, now + self._refresh_ttl())
                    tokens = await self._issue(user, session)
            else:
                spent = await sessions.spent_token(token_hash)
                if spent is not None:
                    reused = True
                    await sessions.revoke(
                        spent[0], reason="refresh_token_reuse", now=now, session_id=spent[1]
                    )
        if tokens is not None:
            return tokens
        if is_suspended:
            raise account_suspended()
        if reused and spent is not None:
            log.warning("spent refresh token presented again; its session family is revoked")
            await self._revoke_access_tokens(spent[0], spent[1])
        raise Refused(
            Kind.UNAUTHENTICATED, "invalid_refresh_token", "The refresh token is not valid"
        )

    async def logout(self, refresh_token: str) -> None:
        """End the session the refresh token belongs to; unknown tokens are quietly ignored."""
        token_hash = digest_token(refresh_token)
        now = self._now()
        found = await self._repo.sessions.live_token(token_hash, now)
        if found is None:
            return
        await self._revoke_access_tokens(found[0], found[1])
        async with self._uow():
            await self._repo.sessions.revoke(
                found[0], reason="logout", now=now, session_id=found[1]
            )

    async def _revoke_access_tokens(self, user_id: uuid.UUID, session_id: uuid.UUID | None) -> None:
        """Kill the session's access tokens (all of the user's for a token without a session)."""
        if session_id is None:
            await self._runtime.revocations.revoke_user(str(user_id))
        else:
            await self._runtime.revocations.revoke_session(str(user_id), str(session_id))

    async def revoke(self, user: UserRow, session_id: uuid.UUID) -> None:
        await self._revoke_access_tokens(user.id, session_id)
        async with self._uow():
            count = await self._repo.sessions.revoke(
                user.id, reason="revoked", now=self._now(), session_id=session_id
            )
        if count == 0:
            raise Refused(Kind.NOT_FOUND, "session_not_found", "No such active session")

    async def revoke_all(self, user: UserRow) -> int:
        await self._runtime.revocations.revoke_user(str(user.id))
        async with self._uow():
            return await self._repo.sessions.revoke(
                user.id, reason="signed_out_everywhere", now=self._now()
            )
