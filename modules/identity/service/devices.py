"""Device keys (biometric login): a device registers an EC P-256 public key, then signs in or
steps up by signing a one-use challenge with the matching private key.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable

import msgspec

from modules.identity.config import DEVICE_CHALLENGE_TTL
from modules.identity.domain.accounts import account_suspended, parse_uuid
from modules.identity.domain.device_keys import (
    device_key_pem,
    device_label,
    verify_device_signature,
)
from modules.identity.repository.challenges import ChallengeRow
from modules.identity.repository.devices import DeviceRow
from modules.identity.repository.identity import IdentityRepository
from modules.identity.repository.users import UserRow
from modules.identity.service.part import IdentityPart, security_event
from modules.identity.service.sessions import ClientInfo, IssuedTokens, Sessions
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.refusal import Kind, Refused


class DeviceChallenge(msgspec.Struct, frozen=True, kw_only=True):
    challenge_id: str
    challenge: str
    expires_in: int


def _new_nonce() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


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
        self._sessions = sessions

    async def register(self, user: UserRow, name: str, public_key: str) -> DeviceRow:
        pem = device_key_pem(public_key)
        device = DeviceRow(
            id=uuid.uuid4(),
            user_id=user.id,
            name=device_label(name),
            public_key=pem,
            created_at=self._now(),
            last_used_at=None,
            revoked_at=None,
        )
        async with self._uow() as uow:
            await self._repo.devices.add(device)
            security_event(uow, user.id, "new_device", device.name)
        return device

    async def revoke(self, user: UserRow, device_id: uuid.UUID) -> None:
        async with self._uow():
            revoked = await self._repo.devices.revoke(user.id, device_id, self._now())
        if not revoked:
            raise Refused(Kind.NOT_FOUND, "device_not_found", "No such device")

    async def challenge(self, device_id: str, client: ClientInfo) -> DeviceChallenge:
        """A nonce for the device to sign; an unknown device gets one too, just never usable."""
        did = parse_uuid(device_id)
        device = await self._repo.devices.device(did) if did else None
        nonce = _new_nonce()
        challenge_id = uuid.uuid4()
        ttl = DEVICE_CHALLENGE_TTL
        if device is not None:
            now = self._now()
            async with self._uow():
                await self._repo.challenges.add(
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
        challenges = self._repo.challenges
        challenge = await challenges.live(cid, "device", now) if cid else None
        if challenge is None or challenge.device_id is None:
            return None
        if user_id is not None and challenge.user_id != user_id:
            return None
        if not await challenges.spend(challenge.id, now):
            return None
        device = await self._repo.devices.device(challenge.device_id)
        user = await self._repo.users.by_id(challenge.user_id)
        if device is None or user is None:
            return None
        if not verify_device_signature(device.public_key, challenge.nonce, signature):
            return None
        await self._repo.devices.touch(device.id, now)
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
            raise account_suspended()
        raise Refused(
            Kind.UNAUTHENTICATED, "invalid_device_signature", "The device proof is not valid"
        )
