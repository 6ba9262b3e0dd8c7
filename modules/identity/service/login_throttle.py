"""Brute-force limits on sign-in, applied: check before a password is tried, count each failure."""

from __future__ import annotations

import logging
from collections.abc import Callable

from modules.identity.domain.throttle import (
    ACCOUNT_FAILURE_LIMIT,
    FAILURE_RETENTION,
    IP_FAILURE_LIMIT,
    LOCKOUT_NOTICE,
    LOCKOUT_WINDOW,
    lockout,
    locks_account,
)
from modules.identity.repository.identity import IdentityRepository
from modules.identity.repository.users import UserRow
from modules.identity.service.part import IdentityPart, security_event
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork

log = logging.getLogger("nija.identity")


class LoginThrottle(IdentityPart):
    def __init__(
        self, runtime: Runtime, unit_of_work: Callable[[], UnitOfWork], repo: IdentityRepository
    ) -> None:
        super().__init__(runtime, unit_of_work, repo)
        # Known or not: a burst of lock-outs over many addresses is what credential stuffing
        # looks like, and the alert on it must not depend on the guessed addresses existing.
        self._lockouts = runtime.metrics.counter(
            "nija_identity_lockouts_total", "Sign-in addresses locked out by failed attempts", []
        )

    async def check(self, address: str, ip: str) -> None:
        """Refuse (429) while the address or the client IP has too many recent failures."""
        now = self._now()
        since = now - LOCKOUT_WINDOW
        failures = self._repo.login_failures
        checks = [(await failures.for_email(address, since), ACCOUNT_FAILURE_LIMIT)]
        if ip:
            checks.insert(0, (await failures.for_ip(ip, since), IP_FAILURE_LIMIT))
        for recent, limit in checks:
            refusal = lockout(recent, limit, now)
            if refusal is not None:
                raise refusal

    async def record_failure(self, address: str, ip: str, user: UserRow | None) -> None:
        now = self._now()
        failures = self._repo.login_failures
        async with self._uow() as uow:
            await failures.forget_before(now - FAILURE_RETENTION)
            await failures.add(email=address[:320], ip=ip[:64], now=now)
            recent = await failures.for_email(address, now - LOCKOUT_WINDOW)
            reached = locks_account(len(recent))
            locked = user is not None and reached
            if locked and user is not None:
                security_event(uow, user.id, "lockout", LOCKOUT_NOTICE)
        if reached:
            self._lockouts.inc()
        if locked and user is not None:
            log.warning("account locked out", extra={"user_id": str(user.id)})

    async def clear(self, address: str) -> None:
        """Forget the address's failures once a sign-in fully succeeded (in its unit of work)."""
        await self._repo.login_failures.clear(address)
