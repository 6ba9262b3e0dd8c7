"""Email normalisation and the address sign-ins are counted under."""

from __future__ import annotations

import pytest

from modules.identity.domain.email import MAX_EMAIL_LENGTH, login_address, normalise_email
from modules.kernel.refusal import Kind, Refused


def test_addresses_are_trimmed_and_lower_cased() -> None:
    assert normalise_email("  Ada.Lovelace+Nija@Example.COM \n") == "ada.lovelace+nija@example.com"


@pytest.mark.parametrize(
    "raw",
    [
        "nobody",
        "no@dot",
        "two@@example.com",
        "@example.com",
        "a@-example.com",
        "a@example-.com",
        "a b@example.com",
        "a@exa_mple.com",
        "x" * 65 + "@example.com",  # local part over 64
        "",
    ],
)
def test_malformed_addresses_are_refused(raw: str) -> None:
    with pytest.raises(Refused) as raised:
        normalise_email(raw)
    assert (raised.value.kind, raised.value.code) == (Kind.INVALID, "invalid_email")
    assert raised.value.reason == "The email address is not valid"


def test_the_length_limit_is_254() -> None:
    local = "a" * 64
    domain_at_limit = ".".join(["b" * 63, "c" * 63, "d" * (MAX_EMAIL_LENGTH - 64 - 1 - 128)])
    at_limit = f"{local}@{domain_at_limit}"
    assert len(at_limit) == MAX_EMAIL_LENGTH
    assert normalise_email(at_limit) == at_limit
    with pytest.raises(Refused):
        normalise_email(at_limit + "e")


def test_login_addresses_are_not_format_checked_but_lose_control_characters() -> None:
    assert login_address(" Not An Email ") == "not an email"
    assert login_address("ada\x00@Example.com\x7f") == "ada@example.com"
    assert login_address("\t\n") == ""
