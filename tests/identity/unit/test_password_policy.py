"""The password policy over a small list passed in: no file, no database, no app."""

from __future__ import annotations

import pytest

from modules.identity.adapters.bundled_password_list import BundledPasswordList
from modules.identity.domain.password_policy import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PasswordPolicy,
    parse_password_list,
)
from modules.kernel.refusal import Kind, Refused

POLICY = PasswordPolicy(frozenset({"dragon", "password", "letmein", "correcthorse"}))


def test_the_length_bounds_are_inclusive() -> None:
    assert POLICY.violation("abcdefghijk" + "l") is None  # exactly the minimum
    assert POLICY.violation("abcd" * (MAX_PASSWORD_LENGTH // 4)) is None  # exactly the maximum
    too_short = POLICY.violation("a1b2c3d4e5f")
    assert too_short == (
        f"The password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long"
    )
    assert POLICY.violation("abcd" * (MAX_PASSWORD_LENGTH // 4) + "e") == too_short


@pytest.mark.parametrize(
    "password",
    [
        "correcthorse",  # on the list
        "CorrectHorse",  # ignoring case
        "dragon2024!!!!",  # padded with digits and punctuation
        "!!!dragon123456",  # padded at the front too
        "__password__12",
    ],
)
def test_listed_passwords_are_refused_even_padded(password: str) -> None:
    assert POLICY.violation(password) == (
        "This password is too common; choose one that is not on breach lists"
    )


def test_a_listed_word_inside_a_longer_phrase_is_fine() -> None:
    assert POLICY.violation("my dragon sleeps at noon") is None
    assert POLICY.violation("dragonfly2024!!") is None


def test_too_few_distinct_characters_are_refused() -> None:
    assert POLICY.violation("abcabcabcabc") == "The password repeats too few distinct characters"
    assert POLICY.violation("abcdabcdabcd") is None  # four distinct is enough
    assert POLICY.violation("AaAaBbBbCcCc") is not None  # counted ignoring case


def test_check_raises_the_refusal_clients_see() -> None:
    with pytest.raises(Refused) as raised:
        POLICY.check("short")
    assert raised.value.kind is Kind.INVALID and raised.value.kind.value == 422
    assert raised.value.code == "weak_password"
    assert raised.value.reason.startswith("The password must be")
    POLICY.check("a perfectly fine passphrase")


def test_the_list_file_format() -> None:
    lines = ["# a comment\n", "dragon\n", "  \n", "Password  \n", "\n", "  #not a comment\n"]
    listed = parse_password_list(lines)
    assert set(listed) == {"dragon", "Password", "#not a comment"} and len(listed) == 3
    assert "dragon" in listed and "Password" in listed
    # Only whole entries match: not a part of one, nor two joined across the line break.
    for absent in ("drag", "ragon", "dragon\nPassword", "", "password", 7):
        assert absent not in listed


def test_the_bundled_list_is_the_breach_list() -> None:
    listed = BundledPasswordList().common_passwords()
    assert len(listed) > 29_000
    assert all(word in listed for word in ("password", "dragon", "letmein"))
    assert all(word == word.strip() and word for word in listed)
    assert PasswordPolicy(listed).violation("Dragon2024!!!!") is not None
