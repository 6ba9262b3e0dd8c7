"""Planning an intent's route: one venue, a split across venues, or TWAP slices.

The scorer ranks the venues (venue_scoring.py) on the monitor's measured figures; an order
bigger than the best venue holds within the slippage limit is split (split.py); one above the
TWAP notional threshold goes out as equal slices over time (twap.py).
"""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

import msgspec

from modules.kernel.errors import ProblemError
from modules.kernel.module import Runtime
from modules.routing.adapters.config import RoutingConfig
from modules.routing.adapters.split import Child, plan_split
from modules.routing.adapters.venue_monitor import VenueMonitor
from modules.routing.adapters.venue_scoring import (
    AMOUNT_STEP,
    Decision,
    Intent,
    Quote,
    VenueScorer,
    explain,
)


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # single | split | twap
    decision: Decision
    children: list[Child] = msgspec.field(default_factory=list)


class Planner:
    def __init__(self, runtime: Runtime, config: RoutingConfig, monitor: VenueMonitor) -> None:
        self._runtime = runtime
        self._config = config
        self._monitor = monitor
        tick = runtime.settings.market_tick_seconds
        self.scorer = VenueScorer(
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
        decision = self.scorer.score(
            intent, quotes, credentials.keys(), self._runtime.clock(), stats, exclude
        )
        self._latency.observe(time.perf_counter() - started)
        return decision

    def plan(
        self, intent: Intent, quotes: list[Quote], credentials: dict[str, str], notional: Decimal
    ) -> Plan:
        if self._config.twap_slices > 1 and notional > self._config.twap_threshold_usd:
            size = (intent.quantity / self._config.twap_slices).quantize(
                AMOUNT_STEP, rounding=ROUND_DOWN
            )
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
                self.scorer,
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
            _refuse(decision)
        return Plan(kind="single", decision=decision)


def _refuse(decision: Decision) -> None:
    usable = [c for c in decision.candidates if c.reason != "no_credentials"]
    if usable and all(c.reason == "stale_market_data" for c in usable):
        raise market_data_unavailable()
    raise ProblemError(
        422,
        "no_eligible_venue",
        "No venue you hold credentials for can take this order now",
        errors=[{"venue": c.venue, "reason": c.reason} for c in decision.candidates],
    )


def why(plan: Plan) -> str:
    if plan.kind == "split":
        parts = ", ".join(
            f"{c.intent.quantity} on {c.decision.chosen.venue}"
            for c in plan.children
            if c.decision.chosen is not None
        )
        return f"split: larger than any one venue holds within the slippage limit; {parts}"
    if plan.kind == "twap":
        return "twap: above the TWAP notional threshold; sent as equal slices over time"
    return explain(plan.decision)


def market_data_unavailable() -> ProblemError:
    return ProblemError(
        503,
        "market_data_unavailable",
        "No fresh market data from the venues; retry shortly",
        headers={"Retry-After": "1"},
    )
