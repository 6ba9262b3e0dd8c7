"""Time-ordered ids: version 7 UUIDs, and derived ids placed beside the order they are about."""

from __future__ import annotations

import uuid

from modules.kernel.ids import derived_uuid, time_ordered_uuid

NAMESPACE = uuid.UUID("5b0f8a52-3c1e-4a8e-9b7d-6a1f2e4c9d10")


def test_a_time_ordered_id_is_a_version_7_uuid_carrying_its_millisecond() -> None:
    made = time_ordered_uuid(1_764_000_000_123)
    assert made.version == 7 and made.variant == uuid.RFC_4122
    assert made.int >> 80 == 1_764_000_000_123


def test_later_ids_sort_after_earlier_ones_as_text_and_as_uuids() -> None:
    ids = [time_ordered_uuid(ms) for ms in (1_000, 1_001, 2_000, 1_764_000_000_000)]
    assert ids == sorted(ids)
    assert [str(i) for i in ids] == sorted(str(i) for i in ids)


def test_ids_of_one_millisecond_differ_in_their_random_bits() -> None:
    made = {time_ordered_uuid(5_000) for _ in range(1_000)}
    assert len(made) == 1_000


def test_a_derived_id_is_the_same_everywhere_and_sits_beside_its_order() -> None:
    order = time_ordered_uuid(1_764_000_000_000)
    first = derived_uuid(NAMESPACE, f"{order}:accepted", str(order))
    assert first == derived_uuid(NAMESPACE, f"{order}:accepted", str(order))
    assert first.int >> 80 == order.int >> 80, "the order's time"
    assert first != derived_uuid(NAMESPACE, f"{order}:fill:t-1", str(order))
    plain = uuid.uuid5(NAMESPACE, f"{order}:accepted")
    assert first.int & ((1 << 80) - 1) == plain.int & ((1 << 80) - 1)


def test_without_a_time_ordered_neighbour_a_derived_id_is_the_plain_uuid5() -> None:
    for near in (None, "", "not-a-uuid", str(uuid.uuid4()), "user-7"):
        assert derived_uuid(NAMESPACE, "user-7:balance", near) == uuid.uuid5(
            NAMESPACE, "user-7:balance"
        )
