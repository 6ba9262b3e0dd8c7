"""An intent's route plan: one venue, a split across venues, or TWAP slices; and why.

Also what an intent is worth (its notional, which the risk gate and the TWAP threshold judge)
and the refusals of an intent no venue can take.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from modules.kernel.refusal import Kind, Refused
from modules.routing.domain.split import Child
from modules.routing.domain.venue_scoring import AMOUNT_STEP, Decision, Intent, Quote, explain

# A venue that lacks only the liquidity cover could still have filled the whole order alone.
_COULD_TAKE_IT = frozenset({None, "insufficient_liquidity"})


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # single | split | twap
    decision: Decision
    children: list[Child] = msgspec.field(default_factory=list)


def notional(intent: Intent, quotes: list[Quote]) -> Decimal:
    """The order's worth in the quote currency, at the limit price or the venues' mid."""
    if intent.limit_price is not None:
        return intent.quantity * intent.limit_price
    mids = [q.mid for q in quotes if q.mid is not None]
    if not mids:
        raise market_data_unavailable()
    return intent.quantity * sum(mids, Decimal(0)) / len(mids)


def unroutable(decision: Decision) -> Refused:
    """Why no venue can take the order: stale books everywhere, or no eligible venue."""
    usable = [c for c in decision.candidates if c.reason != "no_credentials"]
    if usable and all(c.reason == "stale_market_data" for c in usable):
        return market_data_unavailable()
    return Refused(
        Kind.INVALID,
        "no_eligible_venue",
        "No venue you hold credentials for can take this order now",
        errors=[{"venue": c.venue, "reason": c.reason} for c in decision.candidates],
    )


def market_data_unavailable() -> Refused:
    return Refused(
        Kind.UNAVAILABLE,
        "market_data_unavailable",
        "No fresh market data from the venues; retry shortly",
        retry_after=1,
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


class Benchmark(msgspec.Struct, frozen=True):
    """The cheapest single venue for a quantity, and its expected cost (the route's yardstick)."""

    venue: str
    cost: Decimal


def best_single_venue(decision: Decision) -> Benchmark | None:
    """The venue whose book could have filled the decision's whole quantity at the lowest
    expected cost (ties: the name), judged on cost alone, not on the blended score; None when
    no venue the trader can use could fill it alone."""
    costed = [
        c for c in decision.candidates if c.expected_cost is not None and c.reason in _COULD_TAKE_IT
    ]
    if not costed:
        return None
    best = min(costed, key=lambda c: (c.expected_cost, c.venue))
    assert best.expected_cost is not None
    return Benchmark(venue=best.venue, cost=best.expected_cost)


def shares(benchmark: Benchmark, quantities: list[Decimal]) -> list[Benchmark]:
    """`benchmark` shared among children of these quantities, pro rata to 1e-8, the last
    taking the rest: the shares add up to the whole exactly."""
    total = sum(quantities, Decimal(0))
    parts: list[Benchmark] = []
    given = Decimal(0)
    for index, quantity in enumerate(quantities):
        if index == len(quantities) - 1:
            cost = benchmark.cost - given
        else:
            cost = (benchmark.cost * quantity / total).quantize(AMOUNT_STEP)
            given += cost
        parts.append(Benchmark(venue=benchmark.venue, cost=cost))
    return parts
