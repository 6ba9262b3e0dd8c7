"""Idempotency keys: valid keys, request fingerprints, and when a stored response replays."""

from __future__ import annotations

import pytest

from modules.kernel.refusal import Kind, Refused
from modules.routing.domain.idempotency import check_key, check_replay, key_in_use, request_hash
from modules.routing.domain.venue_scoring import Intent
from tests.routing.unit.books import D, market


def test_keys_are_1_to_255_printable_ascii_characters() -> None:
    check_key("a")
    check_key("~" * 255)
    check_key("order-2026-01-05/#1!")
    for bad in ("", "x" * 256, "has space", "tab\t", "é"):
        with pytest.raises(Refused) as refused:
            check_key(bad)
        assert (refused.value.kind, refused.value.code) == (
            Kind.MALFORMED,
            "invalid_idempotency_key",
        )


def test_the_fingerprint_ignores_how_numbers_are_spelled() -> None:
    assert request_hash(market("buy", "1.50")) == request_hash(market("buy", "1.5"))
    limit = Intent(
        symbol="BTC/USD", side="buy", order_type="limit", quantity=D(1), limit_price=D("100.0")
    )
    same = Intent(
        symbol="BTC/USD", side="buy", order_type="limit", quantity=D(1), limit_price=D(100)
    )
    assert request_hash(limit) == request_hash(same)


def test_the_fingerprint_tells_different_orders_and_signals_apart() -> None:
    base = request_hash(market("buy", "1"))
    assert request_hash(market("sell", "1")) != base
    assert request_hash(market("buy", "1.00000001")) != base
    assert request_hash(market("buy", "1"), "entry") == base
    assert request_hash(market("buy", "1"), "exit") != base


def test_a_completed_request_with_the_same_fingerprint_replays() -> None:
    check_replay("h", "h", completed=True)


def test_a_key_reused_for_another_request_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        check_replay("h", "other", completed=True)
    assert (refused.value.kind, refused.value.code) == (Kind.INVALID, "idempotency_key_reused")
    with pytest.raises(Refused) as refused:
        check_replay("h", "other", completed=False)
    assert refused.value.code == "idempotency_key_reused"


def test_a_key_whose_request_is_still_running_asks_for_a_retry() -> None:
    with pytest.raises(Refused) as refused:
        check_replay("h", "h", completed=False)
    assert (refused.value.kind, refused.value.code) == (Kind.CONFLICT, "idempotency_key_in_use")
    assert (key_in_use().kind, key_in_use().code) == (Kind.CONFLICT, "idempotency_key_in_use")
