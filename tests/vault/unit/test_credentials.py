"""Credential rules: venues, trimmed secrets, labels and the venue's verdict. No database."""

from __future__ import annotations

import pytest

from modules.kernel.refusal import Kind, Refused
from modules.vault.domain.credentials import (
    MAX_SECRET_LENGTH,
    MIN_SECRET_LENGTH,
    VENUES,
    check_venue,
    clean_label,
    clean_passphrase,
    clean_secret,
    credential_not_found,
    credential_revoked,
    judge_verification,
    key_hint,
    revoked_by,
)


def test_venues_are_matched_ignoring_case_and_spaces() -> None:
    assert check_venue("  Kraken ") == "kraken"
    assert {check_venue(v.upper()) for v in VENUES} == set(VENUES)


@pytest.mark.parametrize("raw", ["", "ftx", "coin base", "binance.us"])
def test_unknown_venues_are_refused_naming_the_known_ones(raw: str) -> None:
    with pytest.raises(Refused) as raised:
        check_venue(raw)
    assert (raised.value.kind, raised.value.code) == (Kind.INVALID, "unknown_venue")
    assert raised.value.reason == "Unknown venue; supported venues are coinbase, kraken, binance"


def test_secrets_are_trimmed_then_bounded() -> None:
    shortest = "k" * MIN_SECRET_LENGTH
    assert clean_secret("api_key", f"  {shortest}\n") == shortest
    assert clean_secret("api_key", "x" * MAX_SECRET_LENGTH) == "x" * MAX_SECRET_LENGTH
    # Whitespace does not count towards the minimum.
    for bad in (shortest[1:], f"   {shortest[1:]}   "):
        with pytest.raises(Refused):
            clean_secret("api_key", bad)
    with pytest.raises(Refused):
        clean_secret("api_key", "x" * (MAX_SECRET_LENGTH + 1))


def test_a_refused_secret_is_named_never_echoed() -> None:
    secret = "sk-live"  # one character short
    with pytest.raises(Refused) as raised:
        clean_secret("api_secret", f"  {secret}  ")
    assert (raised.value.kind, raised.value.code) == (Kind.INVALID, "invalid_credential")
    assert raised.value.reason == (
        f"api_secret must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters"
        " without surrounding whitespace"
    )
    assert secret not in raised.value.reason


def test_a_passphrase_is_optional_but_not_blank() -> None:
    assert clean_passphrase(None) is None
    assert clean_passphrase(" pass ") == "pass"
    with pytest.raises(Refused) as raised:
        clean_passphrase("   ")
    assert (raised.value.code, raised.value.reason) == (
        "invalid_credential",
        "passphrase must not be blank",
    )


def test_labels_and_key_hints() -> None:
    assert clean_label("  main  ") == "main"
    assert clean_label("   ") is None
    assert clean_label(None) is None
    assert key_hint("ABCDEFGH1234") == "1234"


def test_the_refusals_clients_see() -> None:
    missing, revoked = credential_not_found(), credential_revoked()
    assert (missing.kind.value, missing.code, missing.reason) == (
        404,
        "credential_not_found",
        "No such credential",
    )
    assert (revoked.kind.value, revoked.code) == (409, "credential_revoked")


def test_who_the_log_names_for_a_revocation() -> None:
    assert revoked_by("user", "u-1") == "u-1"
    assert revoked_by("replaced", "u-1") == "u-1"
    assert revoked_by("refused", "u-1") == "vault"


def test_a_working_trade_only_key_is_verified() -> None:
    verdict = judge_verification(True, ["trade", "read"], "")
    assert verdict.verified and verdict.refusal is None and verdict.verification == "verified"


def test_a_key_that_may_withdraw_is_refused_even_when_it_works() -> None:
    verdict = judge_verification(True, ["trade", "withdraw"], "")
    assert not verdict.verified and verdict.verification == "refused"
    assert verdict.refusal == "the key may withdraw funds"
    # The withdrawal reason wins over the venue's own.
    assert (
        judge_verification(False, ["withdraw"], "bad key").refusal == "the key may withdraw funds"
    )


def test_a_failing_key_is_refused_with_the_venues_reason() -> None:
    assert judge_verification(False, ["trade"], "invalid signature").refusal == "invalid signature"
    assert judge_verification(False, [], "").refusal == "rejected"
