"""Routing decision time: score the venues of one order over realistic books, p50/p99 in µs.

The books are the simulated venues' own (same depth and spread models as `nija run`), taken at
many instants so prices move between decisions; orders vary in side, type and size (small
retail tickets up to ones that walk most of a book). Measured in-process: this is the
scorer's budget (target p99 ≤ 50 µs), not an HTTP round trip.

    .venv/bin/python bench/routing.py [--decisions 20000] [--symbol BTC/USD]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from modules.execution.adapters.sim_venue.venue import SimVenue
from modules.execution.domain.sim_market import PROFILES, SYMBOLS, build_levels
from modules.routing.domain.split import plan_split
from modules.routing.domain.venue_monitor import VenueMonitor
from modules.routing.domain.venue_scoring import Intent, Quote, VenueScorer


def _quotes(symbol: str, t: float, now: datetime) -> list[Quote]:
    quotes = []
    for name, profile in PROFILES.items():
        if symbol not in profile.symbols:
            continue
        bids, asks = build_levels(7, profile, symbol, t)
        fees = SimVenue.real_fees(name)
        quotes.append(
            Quote(
                venue=name,
                symbol=symbol,
                bids=tuple((level.price, level.size) for level in bids),
                asks=tuple((level.price, level.size) for level in asks),
                bid_depth=sum((level.size for level in bids), Decimal(0)),
                ask_depth=sum((level.size for level in asks), Decimal(0)),
                taker_fee=fees.taker,
                maker_fee=fees.maker,
                latency_ms=profile.latency_ms,
                success_rate=1.0,
                at=now,
            )
        )
    return quotes


def _intents(symbol: str, count: int, rng: random.Random) -> list[Intent]:
    unit = Decimal(repr(SYMBOLS[symbol].level_size))
    intents = []
    for _ in range(count):
        quantity = (unit * Decimal(repr(rng.uniform(0.02, 12.0)))).quantize(Decimal("0.0001"))
        limit = rng.random() < 0.2
        intents.append(
            Intent(
                symbol=symbol,
                side=rng.choice(("buy", "sell")),
                order_type="limit" if limit else "market",
                quantity=quantity,
                limit_price=Decimal(repr(SYMBOLS[symbol].base_price)) if limit else None,
            )
        )
    return intents


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return p50, p99, statistics.fmean(ordered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--symbol", default="BTC/USD")
    parser.add_argument("--books", type=int, default=200, help="distinct book instants")
    args = parser.parse_args()

    rng = random.Random(11)
    now = datetime.now(UTC)
    scorer = VenueScorer(max_book_age=timedelta(seconds=5))
    monitor = VenueMonitor()
    for venue in PROFILES:
        for _ in range(100):
            monitor.record(venue, args.symbol, rng.random() < 0.97)
    books = [_quotes(args.symbol, 1_700_000_000 + i * 0.7, now) for i in range(args.books)]
    credentialed = frozenset(PROFILES)
    intents = _intents(args.symbol, args.decisions, rng)

    for intent in intents[:500]:  # warm-up
        scorer.score(intent, books[0], credentialed, now)

    decide: list[float] = []
    chosen: dict[str, int] = {}
    split_times: list[float] = []
    for i, intent in enumerate(intents):
        quotes = books[i % len(books)]
        started = time.perf_counter()
        stats = monitor.stats(args.symbol, (q.venue for q in quotes), time.monotonic())
        decision = scorer.score(intent, quotes, credentialed, now, stats)
        decide.append((time.perf_counter() - started) * 1e6)
        venue = decision.chosen.venue if decision.chosen else "none"
        chosen[venue] = chosen.get(venue, 0) + 1
        if decision.chosen is None:
            started = time.perf_counter()
            plan_split(scorer, intent, decision, quotes, credentialed, now, stats)
            split_times.append((time.perf_counter() - started) * 1e6)

    p50, p99, mean = _percentiles(decide)
    print(f"routing decisions   {len(decide)} over {args.books} book instants of {args.symbol}")
    print(f"decision p50        {p50:8.1f} µs")
    print(
        f"decision p99        {p99:8.1f} µs   (target ≤ 50 µs: {'met' if p99 <= 50 else 'MISSED'})"
    )
    print(f"decision mean       {mean:8.1f} µs")
    if split_times:
        s50, s99, _ = _percentiles(split_times)
        print(f"split plan p50/p99  {s50:8.1f} / {s99:.1f} µs  ({len(split_times)} orders too big)")
    print("winners             " + ", ".join(f"{v} {n}" for v, n in sorted(chosen.items())))


if __name__ == "__main__":
    main()
