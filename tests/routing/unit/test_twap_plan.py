"""The TWAP slice plan: when an order goes out as slices, and how big each slice is."""

from __future__ import annotations

from decimal import Decimal

from modules.routing.domain.twap import slice_quantity, slice_size, uses_twap

D = Decimal


def test_twap_only_above_the_threshold_and_with_more_than_one_slice() -> None:
    assert not uses_twap(D(10_000), threshold=D(10_000), slices=5)
    assert uses_twap(D("10000.01"), threshold=D(10_000), slices=5)
    assert not uses_twap(D(1_000_000), threshold=D(10_000), slices=1)


def test_slice_size_rounds_down_to_the_amount_step() -> None:
    assert slice_size(D(1), 3) == D("0.33333333")
    assert slice_size(D(10), 4) == D("2.5")
    assert slice_size(D("0.00000004"), 5) == D(0)


def test_the_last_slice_takes_the_remainder_and_the_slices_add_up() -> None:
    total, slices = D(1), 3
    size = slice_size(total, slices)
    plan = [slice_quantity(i, slices=slices, size=size, total=total) for i in range(slices)]
    assert plan == [(D("0.33333333"), False), (D("0.33333333"), False), (D("0.33333334"), True)]
    assert sum(q for q, _ in plan) == total


def test_even_slices_when_the_quantity_divides() -> None:
    plan = [slice_quantity(i, slices=4, size=D("2.5"), total=D(10)) for i in range(4)]
    assert [q for q, _ in plan] == [D("2.5")] * 4
    assert [last for _, last in plan] == [False, False, False, True]
