"""The Dashboard screen in one request: bot, equity and balances, P&L by period, open positions
marked to market, the last trade and the latest activity.

Every read is by the trader's id on an index (their row, their balances, at most 30 day rows
and one all-time sum, each venue's equity at four instants, their open positions, the newest
few fills and account events), on one connection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from modules.dashboard.schemas.screens import Overview
from modules.dashboard.views.activity import ActivityFilter, merged, recent_events, recent_trades
from modules.dashboard.views.positions import open_positions
from modules.dashboard.views.reads import fetch_all, fetch_one
from modules.dashboard.views.shapes import balance_view, bot_view
from modules.dashboard.views.statistics import periods
from modules.kernel.db import Database

ACTIVITY_SHOWN = 5


class OverviewViews:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def overview(self, user_id: str) -> Overview:
        now = self._clock()
        everything = ActivityFilter()
        async with self._db.connection() as conn:
            state = await fetch_one(
                conn,
                "SELECT timezone, bot_status, bot_previous, bot_reason, bot_changed_at, "
                "bot_revision FROM dashboard.user_state WHERE user_id = $1",
                user_id,
            )
            zone_name = "UTC" if state is None else state["timezone"]
            balances = await fetch_all(
                conn, "SELECT * FROM dashboard.balances WHERE user_id = $1 ORDER BY venue", user_id
            )
            pnl = await periods(conn, user_id, zone_name, now)
            positions = await open_positions(conn, user_id, now)
            trades = await recent_trades(conn, user_id, everything, ACTIVITY_SHOWN, None)
            events = await recent_events(conn, user_id, everything, ACTIVITY_SHOWN, None)
        activity, _ = merged(trades, events, ACTIVITY_SHOWN)
        last_trade, _ = merged(trades[:1], [], 1)
        shown = [balance_view(row) for row in balances]
        return Overview(
            timezone=zone_name,
            bot=bot_view(state),
            equity_usd=sum((b.equity_usd for b in shown), Decimal(0)),
            balances=shown,
            pnl=pnl,
            unrealised_pnl=sum((p.unrealised_pnl for p in positions), Decimal(0)),
            open_positions=positions,
            last_trade=last_trade[0] if last_trade else None,
            activity=activity,
        )
