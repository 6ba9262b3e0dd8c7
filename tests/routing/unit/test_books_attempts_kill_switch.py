"""Small rules: the latest book wins, attempt ids, and who may lift a kill switch."""

from __future__ import annotations

import uuid

import pytest

from modules.kernel.refusal import Kind, Refused
from modules.routing.domain.attempts import attempt_id, client_order_id
from modules.routing.domain.kill_switch import check_change
from modules.routing.domain.market_books import MarketBooks
from tests.routing.unit.books import quote


def test_a_late_older_book_never_replaces_a_newer_one() -> None:
    books = MarketBooks()
    assert books.empty and books.for_symbol("BTC/USD") == []
    newer, older = quote("a", mid="101"), quote("a", mid="99", age=1)
    books.update(newer)
    books.update(older)
    assert books.for_symbol("BTC/USD") == [newer]
    same_time = quote("a", mid="102")
    books.update(same_time)
    assert books.for_symbol("BTC/USD") == [same_time]
    assert not books.empty


def test_books_are_kept_per_venue_and_symbol() -> None:
    books = MarketBooks()
    books.update(quote("a"))
    books.update(quote("b"))
    books.update(quote("a", symbol="ETH/USD"))
    assert sorted(q.venue for q in books.for_symbol("BTC/USD")) == ["a", "b"]
    assert [q.venue for q in books.for_symbol("ETH/USD")] == ["a"]
    assert books.for_symbol("XRP/USD") == []


def test_the_first_attempt_is_the_order_and_re_routes_get_stable_new_ids() -> None:
    order = uuid.UUID("00000000-0000-4000-8000-000000000001")
    assert attempt_id(order, 0) == order
    first, second = attempt_id(order, 1), attempt_id(order, 2)
    assert len({order, first, second}) == 3
    assert attempt_id(order, 1) == first  # every replica derives the same id
    assert client_order_id(order) == "nija-00000000000040008000000000000001"


@pytest.mark.parametrize(
    ("active", "set_by", "current_active", "current_set_by"),
    [
        (False, "user", True, "user"),  # resume your own halt
        (False, "admin", True, "admin"),
        (False, "admin", True, "user"),
        (True, "user", True, "admin"),  # halting again is always allowed
        (False, "user", False, "admin"),  # already lifted
        (False, "user", False, None),
    ],
)
def test_kill_switch_changes_allowed(
    active: bool, set_by: str, current_active: bool, current_set_by: str | None
) -> None:
    check_change(
        active=active, set_by=set_by, current_active=current_active, current_set_by=current_set_by
    )


def test_a_user_cannot_lift_an_admin_halt() -> None:
    with pytest.raises(Refused) as refused:
        check_change(active=False, set_by="user", current_active=True, current_set_by="admin")
    assert (refused.value.kind, refused.value.code) == (Kind.FORBIDDEN, "kill_switch_admin_only")
    assert refused.value.reason == "An admin halted your trading; only an admin can resume it"
