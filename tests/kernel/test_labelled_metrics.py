"""A labelled metric's children are looked up once each, and count where the registry sees them."""

from __future__ import annotations

from prometheus_client import generate_latest

from modules.kernel.metrics import Labelled, Metrics


def test_a_child_is_looked_up_once_and_counts_in_the_registry() -> None:
    metrics = Metrics()
    pushes = Labelled(metrics.counter("nija_test_pushes_total", "test", ["type"]))
    first = pushes.labels("order.updated")
    assert pushes.labels("order.updated") is first
    assert pushes.labels("order.filled") is not first
    first.inc(2)
    pushes.labels("order.filled").inc()
    text = generate_latest(metrics.registry).decode()
    assert 'nija_test_pushes_total{type="order.updated"} 2.0' in text
    assert 'nija_test_pushes_total{type="order.filled"} 1.0' in text
