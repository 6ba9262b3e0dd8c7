"""Password hashing with argon2id, off the event loop and with bounded memory.

Each argon2id hash holds `memory_cost` KiB (64 MiB by default) while it runs, so hashing goes
through a small dedicated thread pool: a burst of logins queues instead of exhausting memory or
starving the default executor that the rest of the process relies on.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
from concurrent.futures import ThreadPoolExecutor

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

# RFC 9106's second recommendation (argon2-cffi's defaults): argon2id, t=3, m=64 MiB, p=4.
PRODUCTION = profiles.RFC_9106_LOW_MEMORY
# The same algorithm and lengths at the smallest cost, for the test suite only: settings refuse
# it outside env "test" (`Settings.password_hash_cost`).
TEST_ONLY = dataclasses.replace(PRODUCTION, time_cost=1, memory_cost=8, parallelism=1)


class Argon2Hasher:
    def __init__(self, *, workers: int | None = None, parameters: Parameters = PRODUCTION) -> None:
        self._hasher = PasswordHasher.from_parameters(parameters)
        self._executor = ThreadPoolExecutor(
            max_workers=workers or min(4, os.cpu_count() or 1), thread_name_prefix="argon2"
        )
        # Verified instead of a real hash when the account does not exist, so an unknown email
        # costs the same time as a wrong password and cannot be told apart by timing.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        loop = asyncio.get_running_loop()
        candidate = password_hash if password_hash is not None else self._dummy_hash
        try:
            await loop.run_in_executor(self._executor, self._hasher.verify, candidate, password)
        except (VerificationError, InvalidHashError):
            return False
        return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
