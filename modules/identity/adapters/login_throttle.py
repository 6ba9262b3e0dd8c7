"""Brute-force limits on sign-in: failures counted per typed address and per client IP."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from modules.identity.adapters.common import IdentityPart, security_event
from modules.identity.adapters.rows import UserRow
from modules.kernel.errors import ProblemError

log = logging.getLogger("nija.identity")

LOCKOUT_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURE_LIMIT = 5
IP_FAILURE_LIMIT = 20


def _retry_after(oldest_counted: datetime, now: datetime) -> str:
    seconds = (oldest_counted + LOCKOUT_WINDOW - now).total_seconds()
    return str(max(1, math.ceil(seconds)))


class LoginThrottle(IdentityPart):
    async def check(self, address: str, ip: str) -> None:
        """429 while the address or the client IP has too many recent failures.

        Counted per typed address, known or not, so a locked-out answer says nothing about
        whether the account exists.
        """
        now = self._now()
        since = now - LOCKOUT_WINDOW
        checks = [(await self._repo.failures_for_email(address, since), ACCOUNT_FAILURE_LIMIT)]
        if ip:
            checks.insert(0, (await self._repo.failures_for_ip(ip, since), IP_FAILURE_LIMIT))
        for failures, limit in checks:
            if len(failures) >= limit:
                raise ProblemError(
                    429,
                    "too_many_attempts",
                    "Too many failed sign-in attempts; try again later",
                    headers={"Retry-After": _retry_after(failures[limit - 1], now)},
                )

    async def record_failure(self, address: str, ip: str, user: UserRow | None) -> None:
        now = self._now()
        async with self._uow() as uow:
            await self._repo.forget_failures_before(now - 4 * LOCKOUT_WINDOW)
            await self._repo.add_failure(email=address[:320], ip=ip[:64], now=now)
            recent = await self._repo.failures_for_email(address, now - LOCKOUT_WINDOW)
            if user is not None and len(recent) == ACCOUNT_FAILURE_LIMIT:
                security_event(uow, user.id, "lockout", "sign-in locked for 15 minutes")
        if user is not None and len(recent) == ACCOUNT_FAILURE_LIMIT:
            log.warning("account locked out", extra={"user_id": str(user.id)})
