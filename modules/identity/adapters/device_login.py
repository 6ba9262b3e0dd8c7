"""Device keys (biometric login): a device registers an EC P-256 public key, then signs in or
steps up by signing a one-use challenge with the matching private key.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import msgspec

from modules.identity.adapters import second_factor as sf
from modules.identity.adapters.common import (
    CONTROL,
    IdentityPart,
    parse_uuid,
    security_event,
    suspended,
)
from modules.identity.adapters.rows import ChallengeRow, DeviceRow, UserRow
from modules.identity.adapters.sessions import ClientInfo, IssuedTokens, Sessions
from modules.identity.repository import IdentityRepository
from modules.kernel.errors import ProblemError
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork

DEVICE_CHALLENGE_TTL = timedelta(minutes=2)


class DeviceChallenge(msgspec.Struct, frozen=True, kw_only=True):
    challenge_id: str
    challenge: str
    expires_in: int


class DeviceLogin(IdentityPart):
    def __init__(
        self,
        runtime: Runtime,
        unit_of_work: Callable[[], UnitOfWork],
        repo: IdentityRepository,
        *,
        sessions: Sessions,
    ) -> None:
        super().__init__(runtime, unit_of_work, repo)
        self._queries = repo.second_factor
        self._sessions = sessions

    async def register(self, user: UserRow, name: str, public_key: str) -> DeviceRow:
        try:
            pem = sf.load_device_key(public_key)
        except sf.InvalidPublicKey:
            raise ProblemError(
                422, "invalid_public_key", "The public key must be an EC P-256 key"
            ) from None
        label = CONTROL.sub("", name).strip() or "device"
        device = DeviceRow(
            id=uuid.uuid4(),
            user_id=user.id,
            name=label[:80],
            public_key=pem,
            created_at=self._now(),
            last_used_at=None,
            revoked_at=None,
        )
        async with self._uow() as uow:
            await self._queries.add_device(device)
            security_event(uow, user.id, "new_device", label[:80])
        return device

    async def registered(self, user: UserRow) -> list[DeviceRow]:
        return await self._queries.devices(user.id)

    async def revoke(self, user: UserRow, device_id: uuid.UUID) -> None:
        async with self._uow():
            revoked = await self._queries.revoke_device(user.id, device_id, self._now())
        if not revoked:
            raise ProblemError(404, "device_not_found", "No such device")

    async def challenge(self, device_id: str, client: ClientInfo) -> DeviceChallenge:
        """A nonce for the device to sign; an unknown device gets one too, just never usable."""
        did = parse_uuid(device_id)
        device = await self._queries.device(did) if did else None
        nonce = sf.new_challenge()
        challenge_id = uuid.uuid4()
        ttl = DEVICE_CHALLENGE_TTL
        if device is not None:
            now = self._now()
            async with self._uow():
                await self._queries.add_challenge(
                    ChallengeRow(
                        id=challenge_id,
                        user_id=device.user_id,
                        purpose="device",
                        device_id=device.id,
                        nonce=nonce,
                        expires_at=now + ttl,
                        used_at=None,
                        attempts=0,
                        user_agent=client.user_agent[:200],
                        ip=client.ip[:64],
                    ),
                    now,
                )
        return DeviceChallenge(
            challenge_id=str(challenge_id), challenge=nonce, expires_in=int(ttl.total_seconds())
        )

    async def spend_proof(
        self, challenge_id: str, signature: str, user_id: uuid.UUID | None = None
    ) -> tuple[UserRow, DeviceRow] | None:
        """Spend the challenge (one try) and check its signature (call inside a unit of work)."""
        cid = parse_uuid(challenge_id)
        now = self._now()
        challenge = await self._queries.live_challenge(cid, "device", now) if cid else None
        if challenge is None or challenge.device_id is None:
            return None
        if user_id is not None and challenge.user_id != user_id:
            return None
        if not await self._queries.spend_challenge(challenge.id, now):
            return None
        device = await self._queries.device(challenge.device_id)
        user = await self._repo.by_id(challenge.user_id)
        if device is None or user is None:
            return None
        if not sf.verify_device_signature(device.public_key, challenge.nonce, signature):
            return None
        await self._queries.touch_device(device.id, now)
        return user, device

    async def login(self, challenge_id: str, signature: str, client: ClientInfo) -> IssuedTokens:
        tokens: IssuedTokens | None = None
        is_suspended = False
        async with self._uow():
            proof = await self.spend_proof(challenge_id, signature)
            if proof is not None and proof[0].suspended:
                is_suspended = True
            elif proof is not None:
                tokens = await self._sessions.start(proof[0], "device", self._now(), client)
        if tokens is not None:
            return tokens
        if is_suspended:
            raise suspended()
        raise ProblemError(401, "invalid_device_signature", "The device proof is not valid")
