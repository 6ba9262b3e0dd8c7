"""Account rules (who may act, suspending), profile fields and client text."""

from __future__ import annotations

import uuid

import pytest

from modules.identity.domain.accounts import (
    account_gone,
    account_suspended,
    invalid_credentials,
    parse_uuid,
    search_text,
    suspension_reason,
)
from modules.identity.domain.profile import display_name, locale, timezone_name
from modules.identity.domain.text import has_control, without_control
from modules.kernel.refusal import Kind, Refused

ADMIN, USER = uuid.uuid4(), uuid.uuid4()


def test_client_text_loses_control_characters_only() -> None:
    assert without_control("a\x00b\x1fc\x7fd é\u200b") == "abcd é\u200b"
    assert has_control("tab\there") and not has_control("plain text")


def test_ids_that_are_not_uuids_read_as_unknown() -> None:
    some = uuid.uuid4()
    assert parse_uuid(str(some)) == some
    assert parse_uuid(some.hex) == some
    assert parse_uuid("not-a-uuid") is None
    assert parse_uuid("") is None


def test_the_refusals_keep_their_status_code_and_wording() -> None:
    cases = [
        (account_suspended(), 403, "user_suspended", "This account is suspended; contact support"),
        (account_gone(), 401, "invalid_token", "The access token's account no longer exists"),
        (
            invalid_credentials(),
            401,
            "invalid_credentials",
            "The email address or password is not correct",
        ),
    ]
    for refusal, status, code, reason in cases:
        assert (refusal.kind.value, refusal.code, refusal.reason) == (status, code, reason)


def test_a_suspension_needs_a_reason_after_cleaning() -> None:
    assert suspension_reason("  fraud\x00 review ", admin_id=ADMIN, user_id=USER) == "fraud review"
    for blank in ("", "   ", "\x00\x01\n"):
        with pytest.raises(Refused) as raised:
            suspension_reason(blank, admin_id=ADMIN, user_id=USER)
        assert (raised.value.kind, raised.value.code) == (Kind.INVALID, "reason_required")


def test_an_admin_cannot_suspend_themselves() -> None:
    with pytest.raises(Refused) as raised:
        suspension_reason("because", admin_id=ADMIN, user_id=ADMIN)
    assert (raised.value.kind, raised.value.code) == (Kind.CONFLICT, "cannot_suspend_self")


def test_the_reason_is_checked_before_who_is_suspended() -> None:
    with pytest.raises(Refused) as raised:
        suspension_reason(" ", admin_id=ADMIN, user_id=ADMIN)
    assert raised.value.code == "reason_required"


def test_admin_search_text() -> None:
    assert search_text("  Ada@EXAMPLE\x00 ") == "ada@example"
    assert search_text(None) is None
    assert search_text("") is None
    assert search_text("\x00") == ""


def test_display_names_are_trimmed_and_cleaned() -> None:
    assert display_name("  Ada\x07 Lovelace  ") == "Ada Lovelace"
    assert display_name("") == ""


@pytest.mark.parametrize("tag", ["en", "en-GB", "fra", "zh_Hant_TW", "sr-Latn-RS", "de-1996"])
def test_language_tags_are_accepted(tag: str) -> None:
    assert locale(tag) == tag


@pytest.mark.parametrize("tag", ["e", "english", "en-", "en-G", "12", "en GB", "en-GB-x-a-b-c"])
def test_other_locales_are_refused(tag: str) -> None:
    with pytest.raises(Refused) as raised:
        locale(tag)
    assert (raised.value.kind, raised.value.code) == (Kind.INVALID, "invalid_locale")
    assert raised.value.reason == "Use a language tag such as en-GB"


def test_time_zone_names_with_control_characters_are_refused_before_any_lookup() -> None:
    assert timezone_name("Europe/Paris") == "Europe/Paris"
    with pytest.raises(Refused) as raised:
        timezone_name("Europe/Paris\x00")
    assert (raised.value.kind, raised.value.code) == (Kind.INVALID, "invalid_timezone")
