"""Failed sign-ins, counted per typed address and per client IP (see domain/throttle.py)."""

from __future__ import annotations

from datetime import datetime

from modules.identity.tables import LoginFailure


class LoginFailureRepository:
    async def add(self, *, email: str, ip: str, now: datetime) -> None:
        await LoginFailure.insert(LoginFailure(email=email, ip=ip, at=now))

    async def for_email(self, email: str, since: datetime) -> list[datetime]:
        """Failure times for the address since `since`, newest first."""
        rows = (
            await LoginFailure.select(LoginFailure.at)
            .where((LoginFailure.email == email) & (LoginFailure.at > since))
            .order_by(LoginFailure.at, ascending=False)
        )
        return [row["at"] for row in rows]

    async def for_ip(self, ip: str, since: datetime) -> list[datetime]:
        """Failure times from the client IP since `since`, newest first."""
        rows = (
            await LoginFailure.select(LoginFailure.at)
            .where((LoginFailure.ip == ip) & (LoginFailure.at > since))
            .order_by(LoginFailure.at, ascending=False)
        )
        return [row["at"] for row in rows]

    async def clear(self, email: str) -> None:
        await LoginFailure.delete().where(LoginFailure.email == email)

    async def forget_before(self, cutoff: datetime) -> None:
        await LoginFailure.delete().where(LoginFailure.at < cutoff)
