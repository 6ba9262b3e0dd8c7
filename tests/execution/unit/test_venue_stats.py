"""A venue's recent outcomes and latencies on this replica, and its executor knobs."""

from __future__ import annotations

from modules.execution.domain.venue_stats import VenueLimits, VenueStats


def test_with_no_outcomes_a_venue_counts_as_healthy_and_instant() -> None:
    stats = VenueStats()
    assert stats.success_rate() == 1.0
    assert stats.percentile(0.5) == 0.0
    assert stats.percentile(0.99) == 0.0


def test_success_rate_is_the_share_of_good_outcomes() -> None:
    stats = VenueStats()
    for ok in (True, True, False, True):
        stats.add(ok, 10.0)
    assert stats.success_rate() == 0.75


def test_only_the_last_hundred_placements_count() -> None:
    stats = VenueStats()
    for _ in range(100):
        stats.add(False, 500.0)
    for _ in range(100):
        stats.add(True, 5.0)
    assert stats.success_rate() == 1.0
    assert stats.percentile(0.99) == 5.0


def test_percentiles_pick_from_the_sorted_latencies() -> None:
    stats = VenueStats()
    for latency in range(100, 0, -1):  # 100 .. 1 ms, unsorted on arrival
        stats.add(True, float(latency))
    assert stats.percentile(0.5) == 51.0
    assert stats.percentile(0.99) == 100.0
    assert stats.percentile(1.0) == 100.0  # never past the slowest
    assert stats.percentile(0.0) == 1.0


def test_a_single_latency_is_every_percentile() -> None:
    stats = VenueStats()
    stats.add(True, 42.0)
    assert stats.percentile(0.5) == stats.percentile(0.99) == 42.0


def test_default_limits() -> None:
    limits = VenueLimits()
    assert (limits.orders_per_second, limits.burst) == (200.0, 400.0)
    assert limits.place_timeout_seconds == 5.0
    assert limits.max_in_flight == 128
