"""Prometheus metrics: one registry per app instance, so parallel test apps never collide.

The kernel's own series are declared here; a module declares its own through `counter`, `gauge`
and `histogram` where it measures them. `nomad/grafana/nija.json` and `nomad/prometheus/alerts.yml`
read these names, and `tests/ops/test_metrics_exposed.py` fails when one of them goes missing.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

M = TypeVar("M", Counter, Gauge, Histogram)


class Labelled(Generic[M]):
    """A labelled metric whose children are looked up once each: prometheus_client's `labels()`
    converts every value and takes a lock on each call, and the order path made some twenty
    such calls an order (about 1 % of the app's CPU under load). Label values are bounded sets
    (routes, venues, message types), so the cache is too."""

    def __init__(self, metric: M) -> None:
        self.metric: M = metric
        self._children: dict[tuple[str, ...], M] = {}

    def labels(self, *values: str) -> M:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self.metric.labels(*values)
        return child


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Labelled(
            Counter(
                "nija_http_requests_total",
                "HTTP requests by route template, method and status",
                ["route", "method", "status"],
                registry=self.registry,
            )
        )
        self.http_latency = Labelled(
            Histogram(
                "nija_http_request_duration_seconds",
                "HTTP request latency by route template",
                ["route", "method"],
                registry=self.registry,
                buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            )
        )
        self.events_published = Counter(
            "nija_events_published_total",
            "Integration events relayed from outboxes",
            ["topic"],
            registry=self.registry,
        )
        self.events_handled = Counter(
            "nija_events_handled_total",
            "Integration events handled, by subscriber and outcome",
            ["topic", "subscriber", "outcome"],
            registry=self.registry,
        )

        self.outbox_lag = Gauge(
            "nija_outbox_lag_seconds",
            "Age of the oldest outbox row the relay found unpublished on its last round "
            "(0 when it found none), by module",
            ["module"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "nija_dead_letters_total",
            "Messages that exhausted their deliveries and reached the dead-letter topic, "
            "by the topic they were first published on",
            ["topic"],
            registry=self.registry,
        )
        self.worker_failures = Counter(
            "nija_worker_failures_total",
            "Failed rounds of background workers, by worker",
            ["worker"],
            registry=self.registry,
        )

    def counter(self, name: str, doc: str, labels: list[str]) -> Counter:
        return Counter(name, doc, labels, registry=self.registry)

    def gauge(self, name: str, doc: str, labels: list[str]) -> Gauge:
        return Gauge(name, doc, labels, registry=self.registry)

    def histogram(
        self, name: str, doc: str, labels: list[str], buckets: tuple[float, ...]
    ) -> Histogram:
        return Histogram(name, doc, labels, registry=self.registry, buckets=buckets)
