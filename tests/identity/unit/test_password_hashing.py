"""Password hashing: production's argon2id cost, and the cheap test cost kept out of production.

The rest of the suite hashes at `TEST_ONLY` cost (tests/conftest.py); these tests pin what a
deployed process uses.
"""

from __future__ import annotations

import msgspec
import pytest
from argon2 import extract_parameters

from modules.identity.adapters.argon2_hasher import PRODUCTION, TEST_ONLY, Argon2Hasher
from modules.kernel.settings import Settings, load_settings


async def test_production_hashes_with_argon2id_at_64_mib_three_passes_four_lanes() -> None:
    hasher = Argon2Hasher()
    try:
        stored = await hasher.hash("correct horse battery staple")
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        parameters = extract_parameters(stored)
        assert (parameters.salt_len, parameters.hash_len) == (16, 32)
        assert parameters == PRODUCTION
        assert await hasher.verify(stored, "correct horse battery staple")
        assert not await hasher.verify(stored, "correct horse battery stapler")
        # A hash made at the test cost is upgraded at the next login.
        assert hasher.needs_rehash(stored) is False
        cheap = Argon2Hasher(parameters=TEST_ONLY)
        try:
            assert hasher.needs_rehash(await cheap.hash("x")) is True
        finally:
            cheap.close()
    finally:
        hasher.close()


def test_settings_hash_at_production_cost_unless_told_otherwise_in_a_test() -> None:
    assert Settings().password_hash_cost == "production"
    assert load_settings(environ={}).password_hash_cost == "production"
    assert load_settings(environ={}, env="test", password_hash_cost="test").password_hash_cost == (
        "test"
    )


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_test_cost_is_refused_outside_tests(env: str) -> None:
    with pytest.raises((ValueError, msgspec.ValidationError), match="test suite only"):
        load_settings(environ={"NIJA_ENV": env, "NIJA_PASSWORD_HASH_COST": "test"})
    with pytest.raises(ValueError, match="test suite only"):
        Settings(env=env, password_hash_cost="test")  # type: ignore[arg-type]
