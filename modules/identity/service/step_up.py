"""Step-up: a fresh second-factor proof (a TOTP code or a device signature) for a sensitive act.

The access token it returns is stamped with the time of the proof, which the `step_up`
dependency (`modules.kernel.auth`) demands be recent.
"""

from __future__ import annotations

from collections.abc import Callable

from modules.identity.repository.identity import IdentityRepository
from modules.identity.repository.users import UserRow
from modules.identity.service.devices import DeviceLogin
from modules.identity.service.part import IdentityPart
from modules.identity.service.sessions import Sessions
from modules.identity.service.totp import TotpFactor
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.refusal import Kind, Refused


class StepUp(IdentityPart):
    def __init__(
        self,
        runtime: Runtime,
        unit_of_work: Callable[[], UnitOfWork],
        repo: IdentityRepository,
        *,
        totp: TotpFactor,
        devices: DeviceLogin,
        sessions: Sessions,
    ) -> None:
        super().__init__(runtime, unit_of_work, repo)
        self._totp = totp
        self._devices = devices
        self._sessions = sessions

    async def prove(
        self,
        user: UserRow,
        *,
        code: str | None,
        challenge_id: str | None,
        signature: str | None,
        session_id: str | None,
    ) -> str:
        """A fresh access token of the same session, stamped with a proof made just now."""
        if code is None and (challenge_id is None or signature is None):
            raise Refused(
                Kind.INVALID,
                "second_factor_missing",
                "Send a TOTP code or a device challenge signature",
            )
        async with self._uow():
            if code is not None:
                ok = await self._totp.check_code(user, code, allow_recovery=False)
            else:
                assert challenge_id is not None and signature is not None
                ok = await self._devices.spend_proof(challenge_id, signature, user.id) is not None
        if not ok:
            raise Refused(Kind.FORBIDDEN, "invalid_second_factor", "The second-factor proof failed")
        return await self._sessions.access_token(user, self._now(), session_id)
