"""Rotating the transit key: on demand (`nija vault rotate-keys`) or when a rotation is due.

The data keys never change: each user's is rewrapped under the new transit key version, so the
sealed credentials (and execution's copies) stay valid throughout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.sealing import TRANSIT_KEY
from modules.vault.config import SYSTEM_USER
from modules.vault.contracts import UserDataKeyRewrapped
from modules.vault.domain.audit_chain import AuditDraft
from modules.vault.domain.key_rotation import rotation_due, wrapped_under
from modules.vault.repository.audit_log import AuditLogRepository
from modules.vault.repository.key_rotation import RotationLock
from modules.vault.repository.user_keys import UserKeyRepository

log = logging.getLogger("nija.vault")


class TransitKeys:
    def __init__(
        self,
        runtime: Runtime,
        unit_of_work: Callable[[], UnitOfWork],
        user_keys: UserKeyRepository,
        audit_log: AuditLogRepository,
        lock: RotationLock,
    ) -> None:
        self._runtime = runtime
        self._uow = unit_of_work
        self._keys = user_keys
        self._audit_log = audit_log
        self._lock = lock

    async def rotate(self, actor_id: str = SYSTEM_USER) -> dict[str, int]:
        """Rotate the transit key, then rewrap every user's data key under the new version.

        Each user is rewrapped in its own short transaction holding that user's key row lock,
        so credential writes of other users go on.
        """
        keyring = self._runtime.keyring
        version = await asyncio.to_thread(keyring.rotate, TRANSIT_KEY)
        rewrapped = 0
        for user_id in await self._keys.user_ids():
            async with self._uow() as uow:
                old = await self._keys.lock(user_id)
                if old is None or wrapped_under(old, version):
                    continue
                new = await asyncio.to_thread(
                    keyring.rewrap, TRANSIT_KEY, old, context=user_id.encode()
                )
                await self._keys.replace_wrapping(user_id, old, new)
                uow.publish(
                    UserDataKeyRewrapped(
                        user_id=user_id,
                        previous_wrapped_data_key=old,
                        wrapped_data_key=new,
                        transit_version=version,
                    )
                )
                rewrapped += 1
        async with self._uow():
            await self._audit_log.append(
                [
                    AuditDraft(
                        user_id=SYSTEM_USER,
                        action="rotate_keys",
                        at=self._runtime.clock(),
                        actor_id=actor_id,
                        details={"transit_version": version, "rewrapped": rewrapped},
                    )
                ]
            )
        log.info("transit key rotated", extra={"version": version, "rewrapped": rewrapped})
        return {"version": version, "rewrapped": rewrapped}

    async def rotate_when_due(self) -> dict[str, int] | None:
        """Rotate if the last rotation is older than the configured interval (one replica at a
        time); None when it was not due or another replica has the turn."""
        interval = self._runtime.settings.key_rotation_interval_seconds
        async with self._lock.turn() as turn:
            if turn is None or not rotation_due(
                turn.last_rotated_at, self._runtime.clock(), interval
            ):
                return None
            return await self.rotate(actor_id="schedule")
