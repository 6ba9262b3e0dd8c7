"""Planning an intent's route: one venue, a split across venues, or TWAP slices.

The scorer ranks the venues (domain/venue_scoring.py) on the monitor's measured figures; an order
bigger than the best venue holds within the slippage limit is split (domain/split.py); one above
the TWAP notional threshold goes out as equal slices over time (domain/twap.py). Here the rules
meet the clocks and the latency histogram.
"""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import msgspec

from modules.kernel.module import Runtime
from modules.routing.config import RoutingConfig
from modules.routing.domain.plan import Plan, unroutable
from modules.routing.domain.split import plan_split
from modules.routing.domain.twap import slice_size, uses_twap
from modules.routing.domain.venue_monitor import VenueMonitor
from modules.routing.domain.venue_scoring import Decision, Intent, Quote, VenueScorer


class Planner:
    def __init__(self, runtime: Runtime, config: RoutingConfig, monitor: VenueMonitor) -> None:
        self._runtime = runtime
        self._config = config
        self._monitor = monitor
        tick = runtime.settings.market_tick_seconds
        self._scorer = VenueScorer(
            max_book_age=timedelta(seconds=max(5 * tick, 5.0)),
            slippage_limit_bps=config.split_slippage_bps,
            failure_cost_bps=config.failure_cost_bps,
            queue_cost_bps=config.queue_cost_bps,
        )
        self._latency = runtime.metrics.histogram(
            "nija_routing_latency_seconds",
            "Time to score the venues of one order",
            [],
            buckets=(1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2),
        )

    def decide(
        self,
        intent: Intent,
        quotes: list[Quote],
        credentials: dict[str, str],
        exclude: set[str] | frozenset[str] = frozenset(),
    ) -> Decision:
        started = time.perf_counter()
        stats = self._monitor.stats(intent.symbol, (q.venue for q in quotes), time.monotonic())
        decision = self._scorer.score(
            intent, quotes, credentials.keys(), self._runtime.clock(), stats, exclude
        )
        self._latency.observe(time.perf_counter() - started)
        return decision

    def plan(
        self, intent: Intent, quotes: list[Quote], credentials: dict[str, str], notional: Decimal
    ) -> Plan:
        slices = self._config.twap_slices
        if uses_twap(notional, threshold=self._config.twap_threshold_usd, slices=slices):
            size = slice_size(intent.quantity, slices)
            # Refuse now what no slice could ever be routed with, rather than fail it later.
            first = self._route_plan(
                msgspec.structs.replace(intent, quantity=size), quotes, credentials
            )
            return Plan(kind="twap", decision=first.decision)
        return self._route_plan(intent, quotes, credentials)

    def _route_plan(self, intent: Intent, quotes: list[Quote], credentials: dict[str, str]) -> Plan:
        decision = self.decide(intent, quotes, credentials)
        chosen = decision.chosen
        fits = chosen is not None and (
            chosen.liquidity_at_limit is None or intent.quantity <= chosen.liquidity_at_limit
        )
        if not fits:
            stats = self._monitor.stats(intent.symbol, (q.venue for q in quotes), time.monotonic())
            children = plan_split(
                self._scorer,
                intent,
                decision,
                quotes,
                credentials.keys(),
                self._runtime.clock(),
                stats,
            )
            if children:
                return Plan(kind="split", decision=decision, children=children)
        if chosen is None:
            raise unroutable(decision)
        return Plan(kind="single", decision=decision)
