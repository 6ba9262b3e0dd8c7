"""Verified tokens are remembered: the signature is checked once, the expiry every time, and
a key's rotation or retirement forgets what was verified with it."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from modules.kernel import auth
from modules.kernel.auth import Principal, TokenCodec
from modules.kernel.errors import ProblemError

SECRET = "a-signing-secret-" + "x" * 40
TRADER = Principal(user_id="u-1", role="trader", tier="pro")


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _counting_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    decoded: list[str] = []
    real = jwt.decode

    def decode(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(auth.jwt, "decode", decode)
    return decoded


def test_a_token_is_verified_once_then_answered_from_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    codec = TokenCodec(SECRET)
    token = codec.issue(TRADER)
    decoded = _counting_decodes(monkeypatch)
    first, second = codec.verify(token), codec.verify(token)
    assert first == second and first.user_id == "u-1" and first.tier == "pro"
    assert decoded == [token]


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    clock = Clock(time.time())
    codec = TokenCodec(SECRET, clock=clock)
    token = codec.issue(TRADER, ttl_seconds=60)
    codec.verify(token)
    clock.now += 61
    with pytest.raises(ProblemError) as refused:
        codec.verify(token)
    assert refused.value.status == 401 and refused.value.code == "token_expired"


def test_retiring_or_rotating_a_key_forgets_the_tokens_it_verified(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    codec = TokenCodec(SECRET)
    old = codec.issue(TRADER)
    codec.verify(old)
    old_kid = codec.current_kid
    codec.rotate("the-next-signing-secret-" + "z" * 40)
    decoded = _counting_decodes(monkeypatch)
    assert codec.verify(old).user_id == "u-1"
    assert decoded == [old], "verified again after the rotation"
    codec.retire(old_kid)
    with pytest.raises(ProblemError) as refused:
        codec.verify(old)
    assert refused.value.code == "invalid_token"


def test_a_token_changed_by_one_character_is_not_taken_for_the_remembered_one() -> None:
    codec = TokenCodec(SECRET)
    token = codec.issue(TRADER)
    codec.verify(token)
    header, payload, signature = token.split(".")
    tampered = ".".join(
        (header, payload, signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1])
    )
    with pytest.raises(ProblemError) as refused:
        codec.verify(tampered)
    assert refused.value.code == "invalid_token"
