"""P&L over periods, daily statistics and performance in the trader's time zone, and what
routing saved. Days come from `dashboard.daily` (one row per trader and local day, kept by the
folds), so no read here scans fills."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.dashboard.domain import stats
from modules.dashboard.domain.days import Period, day_start, first_day, local_day
from modules.dashboard.domain.paging import decode_cursor, encode_cursor
from modules.dashboard.domain.positions import percent
from modules.dashboard.domain.stats import DayFigures, Totals
from modules.dashboard.schemas.screens import (
    DailyStatistics,
    DayPnl,
    DayStats,
    EquityPoint,
    Performance,
    PeriodFigures,
    Periods,
    RoutingSavings,
    SavingsTotal,
    SavingView,
)
from modules.dashboard.views.reads import fetch_all, fetch_totals, plain, plain_or_none
from modules.kernel.db import Database
from modules.kernel.refusal import Kind, Refused

_DAY_COLUMNS = "day, trades, volume, fees, pnl, closed, wins, losses, won, lost"
_FIGURES = ("trades", "volume", "fees", "pnl", "closed", "wins", "losses", "won", "lost")
MAX_DAYS = 366
_ALL_TIME = datetime(1970, 1, 1, tzinfo=zoneinfo.ZoneInfo("UTC"))


class SavingsKey(msgspec.Struct, frozen=True, array_like=True):
    routed_at: datetime
    order_id: str


# Each venue's equity at an instant: its last report then, or its first one after; summed
# per trader and instant (s.k numbers a trader's instants from 1), for several traders at once.
_EQUITY_AT = """
SELECT s.u AS user_id, s.k, sum(coalesce(before.equity_usd, after.equity_usd)) AS equity
FROM unnest($1::text[], $2::timestamptz[], $3::int[]) AS s(u, t, k)
CROSS JOIN LATERAL (SELECT venue FROM dashboard.balances b WHERE b.user_id = s.u) AS v
LEFT JOIN LATERAL (
    SELECT equity_usd FROM dashboard.equity_reports e
    WHERE e.user_id = s.u AND e.venue = v.venue AND e.reported_at <= s.t
    ORDER BY e.reported_at DESC LIMIT 1) AS before ON true
LEFT JOIN LATERAL (
    SELECT equity_usd FROM dashboard.equity_reports e
    WHERE e.user_id = s.u AND e.venue = v.venue AND e.reported_at > s.t
    ORDER BY e.reported_at LIMIT 1) AS after ON before.equity_usd IS NULL
GROUP BY s.u, s.k
"""


def zone(name: str) -> tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


async def user_zone(conn: asyncpg.Connection, user_id: str) -> str:
    name = await conn.fetchval(
        "SELECT timezone FROM dashboard.user_state WHERE user_id = $1", user_id
    )
    return str(name or "UTC")


async def equity_of(
    conn: asyncpg.Connection, instants: dict[str, list[datetime]]
) -> dict[str, list[Decimal | None]]:
    """Each trader's equity over their venues at each of their instants (None before any
    report), in one read."""
    users, times, numbers = [], [], []
    for user_id, theirs in instants.items():
        for number, instant in enumerate(theirs, start=1):
            users.append(user_id)
            times.append(instant)
            numbers.append(number)
    rows = await fetch_all(conn, _EQUITY_AT, users, times, numbers)
    found = {(row["user_id"], row["k"]): plain(row["equity"]) for row in rows}
    return {
        user_id: [found.get((user_id, n + 1)) for n in range(len(theirs))]
        for user_id, theirs in instants.items()
    }


async def equity_at(
    conn: asyncpg.Connection, user_id: str, instants: list[datetime]
) -> list[Decimal | None]:
    """The trader's equity over their venues at each instant (None before any report)."""
    return (await equity_of(conn, {user_id: instants}))[user_id]


async def day_rows(
    conn: asyncpg.Connection, user_id: str, first: date, last: date
) -> list[DayFigures]:
    rows = await fetch_all(
        conn,
        f"SELECT {_DAY_COLUMNS} FROM dashboard.daily "  # noqa: S608
        "WHERE user_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
        user_id,
        first,
        last,
    )
    return [
        msgspec.convert(
            {k: plain(v) if isinstance(v, Decimal) else v for k, v in row.items()}, DayFigures
        )
        for row in rows
    ]


def _figures(total: Totals, start_equity: Decimal | None) -> PeriodFigures:
    return PeriodFigures(
        pnl=total.pnl,
        pnl_pct=percent(total.pnl, start_equity),
        trades=total.trades,
        closed=total.closed,
        win_rate=stats.win_rate(total.wins, total.closed),
        fees=total.fees,
    )


# Column names are the module's own constants, never input.
_SUMS = ", ".join(f"coalesce(sum({name}), 0) AS {name}" for name in _FIGURES)
# Per trader: the all-time sums (day NULL; a row even with no day), then each day from their
# first to their last (their own local days).
_PERIOD_DAYS = (
    f"SELECT u.u AS user_id, NULL::date AS day, {_SUMS} "  # noqa: S608
    "FROM unnest($1::text[]) AS u(u) LEFT JOIN dashboard.daily d ON d.user_id = u.u "
    "GROUP BY u.u "
    f"UNION ALL (SELECT d.user_id, {_DAY_COLUMNS} FROM dashboard.daily d "
    "JOIN unnest($1::text[], $2::date[], $3::date[]) AS w(u, first, last) "
    "ON d.user_id = w.u AND d.day >= w.first AND d.day <= w.last)"
)


def _plain_fields(row: Any) -> dict[str, Any]:
    return {k: plain(v) if isinstance(v, Decimal) else v for k, v in row.items()}


async def periods_of(
    conn: asyncpg.Connection, zones: dict[str, str], now: datetime
) -> dict[str, Periods]:
    """Each trader's P&L for today, 7 and 30 days and all time, in their own zone (`zones`:
    trader -> zone name): one read of days and one of equity for all of them."""
    where = {user_id: zone(name) for user_id, name in zones.items()}
    today = {user_id: local_day(now, tz) for user_id, tz in where.items()}
    users = sorted(zones)
    rows = await fetch_all(
        conn,
        _PERIOD_DAYS,
        users,
        [first_day("30d", today[u], None) for u in users],
        [today[u] for u in users],
    )
    all_time: dict[str, Totals] = {}
    recent: dict[str, list[DayFigures]] = {user_id: [] for user_id in users}
    for row in rows:
        fields = _plain_fields(row)
        user_id = fields.pop("user_id")
        if fields["day"] is None:
            del fields["day"]
            all_time[user_id] = msgspec.convert(fields, Totals)
        else:
            recent[user_id].append(msgspec.convert(fields, DayFigures))
    starts = {
        u: [day_start(first_day(p, today[u], None), where[u]) for p in ("today", "7d", "30d")]
        for u in users
    }
    equity = await equity_of(conn, {u: [*starts[u], _ALL_TIME] for u in users})
    return {u: _periods(today[u], recent[u], all_time[u], equity[u]) for u in users}


def _periods(
    today: date, recent: list[DayFigures], all_time: Totals, equity: list[Decimal | None]
) -> Periods:
    spans: list[Totals] = [
        stats.totals(r for r in recent if r.day >= first_day(p, today, None))
        for p in ("today", "7d", "30d")
    ]
    spans.append(all_time)
    figures = [_figures(total, start) for total, start in zip(spans, equity, strict=True)]
    return Periods(today=figures[0], last_7d=figures[1], last_30d=figures[2], all=figures[3])


async def periods(conn: asyncpg.Connection, user_id: str, zone_name: str, now: datetime) -> Periods:
    """Today, 7 and 30 days and all time, in the trader's zone."""
    return (await periods_of(conn, {user_id: zone_name}, now))[user_id]


class StatisticsViews:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def daily(self, user_id: str, start: date | None, end: date | None) -> DailyStatistics:
        async with self._db.connection() as conn:
            zone_name = await user_zone(conn, user_id)
            today = local_day(self._clock(), zone(zone_name))
            last = end or today
            first = start or last - timedelta(days=29)
            if first > last or (last - first).days >= MAX_DAYS:
                raise Refused(
                    Kind.INVALID,
                    "invalid_date_range",
                    f"from must not be after to, and the range at most {MAX_DAYS} days",
                )
            rows = await day_rows(conn, user_id, first, last)
        return DailyStatistics(
            timezone=zone_name,
            start=first,
            end=last,
            days=[_day_stats(day) for day in stats.zero_filled(rows, first, last)],
        )

    async def performance(self, user_id: str, period: Period) -> Performance:
        async with self._db.connection() as conn:
            zone_name = await user_zone(conn, user_id)
            where = zone(zone_name)
            today = local_day(self._clock(), where)
            earliest = await conn.fetchval(
                "SELECT min(day) FROM dashboard.daily WHERE user_id = $1", user_id
            )
            first = first_day(period, today, earliest)
            rows = stats.zero_filled(await day_rows(conn, user_id, first, today), first, today)
            [start_equity] = await equity_at(conn, user_id, [day_start(first, where)])
        total = stats.totals(rows)
        curve = stats.curve(start_equity, [row.pnl for row in rows])
        return Performance(
            period=period,
            timezone=zone_name,
            start=first,
            end=today,
            trades=total.trades,
            closed=total.closed,
            wins=total.wins,
            losses=total.losses,
            win_rate=stats.win_rate(total.wins, total.closed),
            profit_factor=stats.profit_factor(total.won, total.lost),
            sharpe=curve.sharpe,
            max_drawdown=curve.max_drawdown,
            max_drawdown_pct=curve.max_drawdown_pct,
            fees=total.fees,
            net_pnl=total.pnl,
            gross_profit=total.won,
            gross_loss=total.lost,
            starting_equity=start_equity,
            daily_pnl=[DayPnl(date=row.day, pnl=row.pnl) for row in rows],
            equity_curve=[
                EquityPoint(date=row.day, equity=equity)
                for row, equity in zip(rows, curve.equity, strict=True)
            ],
        )

    async def routing_savings(self, user_id: str, limit: int, cursor: str | None) -> RoutingSavings:
        args: list[Any] = [user_id]
        after = ""
        if cursor is not None:
            key = decode_cursor(cursor, SavingsKey)
            args += [key.routed_at, key.order_id]
            after = " AND (routed_at, order_id) < ($2, $3)"
        async with self._db.connection() as conn:
            rows = await fetch_all(
                conn,
                "SELECT * FROM dashboard.savings WHERE user_id = $1"  # noqa: S608
                f"{after} ORDER BY routed_at DESC, order_id DESC LIMIT {int(limit) + 1}",
                *args,
            )
            total = await fetch_totals(
                conn,
                "SELECT count(*) AS orders, coalesce(sum(route_cost), 0) AS route_cost, "
                "coalesce(sum(best_cost), 0) AS best_cost FROM dashboard.savings "
                "WHERE user_id = $1 AND route_cost IS NOT NULL AND best_cost IS NOT NULL",
                user_id,
            )
        shown = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            next_cursor = encode_cursor(SavingsKey(shown[-1]["routed_at"], shown[-1]["order_id"]))
        return RoutingSavings(
            total=SavingsTotal(
                orders=total["orders"],
                route_cost=plain(total["route_cost"]),
                best_single_cost=plain(total["best_cost"]),
                savings=plain(total["best_cost"] - total["route_cost"]),
            ),
            items=[_saving(row) for row in shown],
            next_cursor=next_cursor,
        )


def _day_stats(day: DayFigures) -> DayStats:
    return DayStats(
        date=day.day,
        trades=day.trades,
        volume=day.volume,
        fees=day.fees,
        pnl=day.pnl,
        closed=day.closed,
        wins=day.wins,
        losses=day.losses,
    )


def _saving(row: Any) -> SavingView:
    route, best = plain_or_none(row["route_cost"]), plain_or_none(row["best_cost"])
    return SavingView(
        order_id=row["order_id"],
        symbol=row["symbol"],
        side=row["side"],
        quantity=plain(row["quantity"]),
        venues=msgspec.json.decode(row["venues"], type=list[str]),
        routed_at=row["routed_at"],
        route_cost=route,
        best_single_venue=row["best_venue"],
        best_single_cost=best,
        savings=None if route is None or best is None else plain(best - route),
    )
