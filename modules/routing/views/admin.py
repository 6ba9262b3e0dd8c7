"""The admin's routing overview: recent route decisions (every candidate venue with the factors
it was scored on) and per-venue routing statistics.

Venue figures combine the database (orders routed and failed in the last 24 hours) with the
monitor's in-memory measures (orders in flight, success rate per pair, breakers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from modules.kernel.db import Database
from modules.routing.domain.venue_monitor import VenueMonitor
from modules.routing.schemas import (
    AdminKillSwitches,
    AdminRouting,
    DecisionSummary,
    KillSwitchEntry,
    VenueStatsView,
)
from modules.routing.views.orders import candidates
from modules.routing.views.settings import active_kill_switch


class AdminViews:
    def __init__(self, db: Database, clock: Callable[[], datetime], monitor: VenueMonitor) -> None:
        self._db = db
        self._clock = clock
        self._monitor = monitor

    async def admin_routing(self, limit: int) -> AdminRouting:
        since = self._clock() - timedelta(hours=24)
        async with self._db.connection() as conn:
            decisions = await conn.fetch(_RECENT_DECISIONS, limit)
            counted = await conn.fetch(_VENUE_COUNTS, since)
            switch = await active_kill_switch(conn, "")
        counts = {c["venue"]: dict(c) for c in counted}
        queue = self._monitor.queue_depths(time.monotonic())
        rates: dict[str, dict[str, float | None]] = {}
        for figures in self._monitor.figures():
            rates.setdefault(figures.venue, {})[figures.symbol] = figures.success_rate
        breakers = self._monitor.breakers(time.monotonic())
        venues = sorted(set(counts) | set(queue) | set(rates) | set(breakers))
        return AdminRouting(
            decisions=[decision_summary(dict(d)) for d in decisions],
            venues=[
                VenueStatsView(
                    venue=venue,
                    routed_24h=int(counts.get(venue, {}).get("routed", 0)),
                    failed_24h=int(counts.get(venue, {}).get("failed", 0)),
                    in_flight=queue.get(venue, 0),
                    breaker_state=breakers.get(venue),
                    success_rate_by_pair=rates.get(venue, {}),
                )
                for venue in venues
            ],
            global_kill_switch=switch == "global",
        )

    async def kill_switches(self) -> AdminKillSwitches:
        """The engaged kill switches: the global one, if engaged, and each user's."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(_ENGAGED)
        entries = [
            KillSwitchEntry(
                scope="global" if row["scope"] == "global" else "user",
                user_id=None if row["scope"] == "global" else row["scope"],
                set_by=row["set_by"],
                set_by_user_id=row["set_by_user_id"],
                reason=row["reason"],
                since=row["changed_at"],
            )
            for row in rows
        ]
        return AdminKillSwitches(
            global_switch=next((e for e in entries if e.scope == "global"), None),
            users=[e for e in entries if e.scope == "user"],
        )


_ENGAGED = (
    "SELECT scope, set_by, set_by_user_id, reason, changed_at FROM routing.kill_switches "
    "WHERE active ORDER BY changed_at DESC, scope"
)
_RECENT_DECISIONS = """
SELECT d.order_id AS decision_id, COALESCE(a.order_id, d.order_id) AS order_id, d.attempt,
       d.chosen, d.candidates, d.decided_at, d.why, o.user_id, o.symbol, o.side, o.quantity, o.kind
  FROM routing.route_decisions d
  LEFT JOIN routing.route_attempts a ON a.attempt_id = d.order_id
  JOIN routing.orders o ON o.id = COALESCE(a.order_id, d.order_id)
 ORDER BY d.decided_at DESC LIMIT $1
"""
_VENUE_COUNTS = """
SELECT venue, count(*) AS routed, count(failed_code) AS failed
  FROM routing.route_attempts WHERE routed_at >= $1 GROUP BY venue ORDER BY venue
"""


def decision_summary(row: dict[str, Any]) -> DecisionSummary:
    return DecisionSummary(
        order_id=str(row["order_id"]),
        attempt=row["attempt"],
        user_id=row["user_id"],
        symbol=row["symbol"],
        side=row["side"],
        quantity=row["quantity"],
        kind=row["kind"],
        chosen=row["chosen"],
        decided_at=row["decided_at"],
        why=row["why"],
        candidates=candidates(row["candidates"]),
    )
