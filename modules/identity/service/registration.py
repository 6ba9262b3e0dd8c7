"""New accounts: traders registering themselves, and admins made by an operator (`nija users`)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from modules.identity.contracts import Role, UserRegistered
from modules.identity.domain.email import normalise_email
from modules.identity.domain.password_policy import PasswordPolicy
from modules.identity.ports import PasswordHasher
from modules.identity.repository.identity import IdentityRepository
from modules.identity.repository.users import UserRow
from modules.identity.service.part import IdentityPart, profile_changed
from modules.kernel.logs import register_secret
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.refusal import Kind, Refused

log = logging.getLogger("nija.identity")


class Registration(IdentityPart):
    def __init__(
        self,
        runtime: Runtime,
        unit_of_work: Callable[[], UnitOfWork],
        repo: IdentityRepository,
        *,
        passwords: PasswordHasher,
        policy: PasswordPolicy,
    ) -> None:
        super().__init__(runtime, unit_of_work, repo)
        self._passwords = passwords
        self._policy = policy

    async def register(self, email: str, password: str) -> UserRow:
        email = normalise_email(email)
        self._policy.check(password)
        return await self._create_user(email, password, role="trader")

    async def create_admin(self, email: str, password: str) -> str:
        """Create an admin, or promote the existing account (its password is left unchanged)."""
        email = normalise_email(email)
        self._policy.check(password)
        async with self._uow():
            promoted = await self._repo.users.promote_to_admin(email, self._now())
        if promoted is not None:
            log.info("user promoted to admin", extra={"user_id": str(promoted.id)})
            return str(promoted.id)
        try:
            user = await self._create_user(email, password, role="admin")
        except Refused as refusal:
            if refusal.code != "email_taken":
                raise
            # Registered between our promote and insert: promote that account instead.
            return await self.create_admin(email, password)
        return str(user.id)

    async def _create_user(self, email: str, password: str, *, role: Role) -> UserRow:
        mask = register_secret(password)
        password_hash = await self._passwords.hash(password)
        async with self._uow() as uow:
            user = await self._repo.users.insert(
                email=email, password_hash=password_hash, role=role, tier="basic", now=self._now()
            )
            if user is None:
                raise Refused(
                    Kind.CONFLICT, "email_taken", "An account with this email already exists"
                )
            uow.publish(UserRegistered(user_id=str(user.id), role=user.role, tier=user.tier))
            uow.publish(profile_changed(user))
        del mask
        log.info("user registered", extra={"user_id": str(user.id), "role": user.role})
        return user
