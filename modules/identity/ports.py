"""What identity needs from outside itself: password hashing, and the list of common passwords."""

from __future__ import annotations

from typing import Protocol

from modules.identity.domain.password_policy import ListedPasswords


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True only if `password_hash` exists and matches.

        With no hash (unknown account) it still does the full work and answers False, so an
        unknown email costs the same time as a wrong password and cannot be told apart.
        """
        ...

    def needs_rehash(self, password_hash: str) -> bool: ...

    def close(self) -> None: ...


class PasswordList(Protocol):
    def common_passwords(self) -> ListedPasswords:
        """Passwords too common to allow, lower-case."""
        ...
