"""Splitting an order too big for one venue across several (child orders).

A venue can take at most what its book holds within the slippage limit of its mid, and no more
than the liquidity-cover rule allows (book at least 2x the child). Venues are filled cheapest first,
judged by the score per unit of a child as big as the venue can take.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

import msgspec

from modules.routing.domain.venue_scoring import (
    AMOUNT_STEP,
    Candidate,
    Decision,
    Intent,
    Quote,
    VenueScorer,
    VenueStats,
)

# Reasons that rule a venue out of a split whatever the child's size.
_HARD_REASONS = frozenset({"no_credentials", "failed_over", "stale_market_data"})


class Child(msgspec.Struct, frozen=True, kw_only=True):
    intent: Intent
    decision: Decision


def _capacity(candidate: Candidate, cover: Decimal) -> Decimal:
    if candidate.liquidity is None or candidate.liquidity_at_limit is None:
        return Decimal(0)
    cap = min(candidate.liquidity_at_limit, candidate.liquidity / cover)
    return cap.quantize(AMOUNT_STEP, rounding=ROUND_DOWN)


def plan_split(
    scorer: VenueScorer,
    intent: Intent,
    full: Decision,
    quotes: Sequence[Quote],
    credentialed: Collection[str],
    now: datetime,
    stats: Mapping[str, VenueStats],
    exclude: Collection[str] = (),
) -> list[Child] | None:
    """Children over two or more venues covering `intent`, or None if no split can take it."""
    by_venue = {q.venue: q for q in quotes}
    ranked: list[tuple[Decimal, str, Decimal]] = []
    for candidate in full.candidates:
        if candidate.reason in _HARD_REASONS or candidate.venue not in by_venue:
            continue
        cap = min(_capacity(candidate, scorer.liquidity_cover), intent.quantity)
        if cap <= 0:
            continue
        probe = msgspec.structs.replace(intent, quantity=cap)
        scored = scorer.score(probe, [by_venue[candidate.venue]], credentialed, now, stats)
        chosen = scored.chosen
        if chosen is None or chosen.score is None:
            continue
        ranked.append((chosen.score / cap, candidate.venue, cap))
    ranked.sort()
    allocation: list[tuple[str, Decimal]] = []
    remaining = intent.quantity
    for _, venue, cap in ranked:
        if remaining <= 0:
            break
        take = min(cap, remaining)
        allocation.append((venue, take))
        remaining -= take
    if remaining > 0 or len(allocation) < 2:
        return None
    children = []
    for venue, quantity in allocation:
        child = msgspec.structs.replace(intent, quantity=quantity)
        decision = scorer.score(child, quotes, credentialed, now, stats, exclude)
        pick = next((c for c in decision.candidates if c.venue == venue and c.eligible), None)
        if pick is None:
            return None
        children.append(
            Child(intent=child, decision=Decision(chosen=pick, candidates=decision.candidates))
        )
    return children
