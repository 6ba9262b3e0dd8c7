"""Routing's in-memory view of each venue: orders in flight and recent outcomes."""

from __future__ import annotations

from modules.routing.domain.venue_monitor import VenueMonitor


def test_orders_in_flight_count_per_venue_until_settled() -> None:
    monitor = VenueMonitor()
    monitor.routed("a", "kraken", 100.0)
    monitor.routed("b", "kraken", 101.0)
    monitor.routed("c", "binance", 102.0)
    assert monitor.queue_depths(103.0) == {"kraken": 2, "binance": 1}

    monitor.settled("a")
    monitor.settled("a")  # a repeated acknowledgement must not count twice
    monitor.settled("unknown")
    assert monitor.queue_depths(103.0) == {"kraken": 1, "binance": 1}

    monitor.settled("c")
    assert monitor.queue_depths(103.0) == {"kraken": 1}


def test_orders_without_news_for_30_seconds_stop_counting() -> None:
    monitor = VenueMonitor()
    monitor.routed("old", "coinbase", 0.0)
    monitor.routed("new", "coinbase", 20.0)
    assert monitor.queue_depths(29.0) == {"coinbase": 2}
    assert monitor.queue_depths(31.0) == {"coinbase": 1}
    assert monitor.queue_depths(51.0) == {}
    monitor.settled("new")  # already expired: nothing to take back
    assert monitor.queue_depths(51.0) == {}


def test_a_reroute_under_the_same_id_moves_the_order_to_its_new_venue() -> None:
    monitor = VenueMonitor()
    monitor.routed("a", "kraken", 0.0)
    monitor.routed("b", "kraken", 10.0)
    monitor.routed("a", "binance", 20.0)
    assert monitor.queue_depths(21.0) == {"kraken": 1, "binance": 1}
    # "a" was handed off again at 20 s: it outlives "b", handed off at 10 s.
    assert monitor.queue_depths(45.0) == {"binance": 1}


def test_queue_load_feeds_the_scorer_unless_execution_reported() -> None:
    monitor = VenueMonitor()
    monitor.routed("a", "kraken", 0.0)
    stats = monitor.stats("BTC/USD", ["kraken", "binance"], 1.0)
    assert stats["kraken"].queue_load == 1
    assert stats["binance"].queue_load == 0


def test_the_success_rate_is_over_the_last_window_of_outcomes_only() -> None:
    monitor = VenueMonitor(window=4, min_samples=2)
    monitor.record("kraken", "BTC/USD", True)
    assert monitor.success_rate("kraken", "BTC/USD") is None  # too few to tell
    for ok in (False, True, True):
        monitor.record("kraken", "BTC/USD", ok)
    assert monitor.success_rate("kraken", "BTC/USD") == 0.75
    # Two failures push the two oldest outcomes (a success, the failure) out of the window.
    monitor.record("kraken", "BTC/USD", False)
    monitor.record("kraken", "BTC/USD", False)
    assert monitor.success_rate("kraken", "BTC/USD") == 0.5
    for _ in range(4):
        monitor.record("kraken", "BTC/USD", True)
    assert monitor.success_rate("kraken", "BTC/USD") == 1.0
    assert monitor.success_rate("kraken", "ETH/USD") is None
