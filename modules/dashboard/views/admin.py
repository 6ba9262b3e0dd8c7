"""The admin's overview: users, bots, trading, the order path and the venues, one request.

Figures come from the dashboard's own read models (orders and fills it folds, accounts and bots
it keeps from identity's and strategy's events) and the venue board this replica keeps from
execution's health reports; a handful of aggregate queries on indexed columns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from modules.dashboard.domain.admin import (
    VenueBoard,
    breaker_summary,
    per_minute,
    share,
)
from modules.dashboard.schemas.admin import (
    AdminOverview,
    BotCounts,
    OrderPathLatency,
    TradingFigures,
    UserCounts,
    VenueHealthReport,
    VenueSummary,
)
from modules.kernel.db import Database
from modules.kernel.refusal import Kind, Refused

RATE_WINDOW = timedelta(minutes=15)
STALE_AFTER = timedelta(minutes=1)

_USERS = "SELECT tier, status, count(*) AS n FROM dashboard.account_directory GROUP BY tier, status"
_BOTS = "SELECT status, count(*) AS n FROM dashboard.bot_states GROUP BY status"
_FILLS = (
    "SELECT count(*) AS trades, coalesce(sum(price * quantity), 0) AS volume "
    "FROM dashboard.fills WHERE executed_at >= $1"
)
_ORDERS = (
    "SELECT count(*) AS total, count(*) FILTER (WHERE status = 'rejected') AS rejected, "
    "count(*) FILTER (WHERE created_at >= $2) AS recent "
    "FROM dashboard.orders WHERE created_at >= $1"
)
_ORDER_PATH = """
SELECT count(*) AS samples,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
  FROM (SELECT extract(epoch FROM (min(f.executed_at) - o.created_at)) * 1000 AS ms
          FROM dashboard.orders o JOIN dashboard.fills f ON f.order_id = o.order_id
         WHERE o.created_at >= $1 GROUP BY o.order_id, o.created_at) latencies
 WHERE ms >= 0
"""
_KNOWN_USER = """
SELECT EXISTS (SELECT 1 FROM dashboard.account_directory WHERE user_id = $1)
    OR EXISTS (SELECT 1 FROM dashboard.orders WHERE user_id = $1)
    OR EXISTS (SELECT 1 FROM dashboard.push_devices WHERE user_id = $1)
"""


class AdminViews:
    def __init__(self, db: Database, clock: Callable[[], datetime], board: VenueBoard) -> None:
        self._db = db
        self._clock = clock
        self._board = board

    async def overview(self) -> AdminOverview:
        now = self._clock()
        day_ago = now - timedelta(hours=24)
        async with self._db.connection() as conn:
            users = await conn.fetch(_USERS)
            bots = {row["status"]: row["n"] for row in await conn.fetch(_BOTS)}
            fills = await conn.fetchrow(_FILLS, day_ago)
            orders = await conn.fetchrow(_ORDERS, day_ago, now - RATE_WINDOW)
            path = await conn.fetchrow(_ORDER_PATH, day_ago)
        by_tier: dict[str, int] = {}
        by_status: dict[str, int] = {}
        for row in users:
            by_tier[row["tier"]] = by_tier.get(row["tier"], 0) + row["n"]
            by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
        reports = self._board.reports()
        return AdminOverview(
            users=UserCounts(total=sum(by_tier.values()), by_tier=by_tier, by_status=by_status),
            bots=BotCounts(
                running=bots.get("running", 0), paused=bots.get("paused", 0), off=bots.get("off", 0)
            ),
            trading=TradingFigures(
                volume_24h=fills["volume"],
                trades_24h=fills["trades"],
                orders_24h=orders["total"],
                orders_per_minute=per_minute(orders["recent"], RATE_WINDOW),
                error_rate=share(orders["rejected"], orders["total"]),
            ),
            order_path=OrderPathLatency(
                samples=path["samples"],
                p50_ms=None if path["p50"] is None else round(float(path["p50"]), 1),
                p99_ms=None if path["p99"] is None else round(float(path["p99"]), 1),
            ),
            venues=VenueSummary(
                breakers=breaker_summary(reports, now, STALE_AFTER),
                venues=[
                    VenueHealthReport(
                        venue=r.venue,
                        breaker_state=r.breaker_state,
                        success_rate=r.success_rate,
                        queue_depth=r.queue_depth,
                        latency_p50_ms=r.latency_p50_ms,
                        latency_p99_ms=r.latency_p99_ms,
                        as_of=r.as_of,
                    )
                    for r in reports
                ],
            ),
            as_of=now,
        )

    async def known_user(self, user_id: str) -> None:
        """Refuse (404) a user the dashboard has never heard of."""
        async with self._db.connection() as conn:
            known = await conn.fetchval(_KNOWN_USER, user_id)
        if not known:
            raise Refused(Kind.NOT_FOUND, "user_not_found", "No such user")
