"""Positions: the list with its filters and summary, one position with its strategy block, and
its price chart. Another user's position is never found (404)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import asyncpg
import msgspec

from modules.dashboard.domain.charts import anchored, downsample, timeframes, window
from modules.dashboard.domain.paging import decode_cursor, encode_cursor
from modules.dashboard.schemas.screens import (
    ChartPoint,
    PositionCard,
    PositionChart,
    PositionDetail,
    PositionPage,
    PositionSummary,
    StrategyBlock,
)
from modules.dashboard.views.reads import fetch_all, fetch_one, plain, plain_or_none
from modules.dashboard.views.shapes import (
    POSITION_COLUMNS,
    POSITION_PNL,
    POSITIONS_FROM,
    position_view,
)
from modules.kernel.db import Database
from modules.kernel.refusal import Kind, Refused


class Key(msgspec.Struct, frozen=True, array_like=True):
    opened_at: datetime
    position_id: str
    cycle: int


OPEN_POSITIONS_SHOWN = 100
_ORDER = "ORDER BY p.opened_at DESC, p.position_id DESC, p.open_version DESC"


class PositionFilter(msgspec.Struct, frozen=True, kw_only=True):
    venue: str | None = None
    symbol: str | None = None
    status: Literal["open", "closed"] | None = None
    pnl: Literal["positive", "negative"] | None = None


def _not_found() -> Refused:
    return Refused(Kind.NOT_FOUND, "position_not_found", "No such position")


def _market_clauses(flt: PositionFilter, args: list[Any]) -> str:
    clauses = ""
    for column, value in (("venue", flt.venue), ("symbol", flt.symbol)):
        if value is not None:
            args.append(value)
            clauses += f" AND p.{column} = ${len(args)}"
    return clauses


# Each trader's open positions, newest first, at most OPEN_POSITIONS_SHOWN each: one read for
# all the traders a fold pushes to.
_OPEN_OF = (
    f"SELECT * FROM (SELECT {POSITION_COLUMNS}, "  # noqa: S608 - the module's own constants
    f"row_number() OVER (PARTITION BY p.user_id {_ORDER}) AS shown {POSITIONS_FROM} "
    "WHERE p.user_id = ANY($1::text[]) AND p.status = 'open') AS s "
    f"WHERE s.shown <= {OPEN_POSITIONS_SHOWN} ORDER BY s.user_id, s.shown"
)


async def open_positions_of(
    conn: asyncpg.Connection, user_ids: list[str], now: datetime
) -> dict[str, list[PositionCard]]:
    """Each trader's open positions as the overview shows them (every trader named has a
    list, empty when nothing is open)."""
    held: dict[str, list[PositionCard]] = {user_id: [] for user_id in user_ids}
    for row in await fetch_all(conn, _OPEN_OF, sorted(held)):
        held[row["user_id"]].append(position_view(row, now))
    return held


async def open_positions(
    conn: asyncpg.Connection, user_id: str, now: datetime
) -> list[PositionCard]:
    return (await open_positions_of(conn, [user_id], now))[user_id]


class PositionViews:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def page(
        self, user_id: str, flt: PositionFilter, limit: int, cursor: str | None
    ) -> PositionPage:
        args: list[Any] = [user_id]
        where = _market_clauses(flt, args)
        markets, market_args = where, list(args)
        if flt.status is not None:
            args.append(flt.status)
            where += f" AND p.status = ${len(args)}"
        if flt.pnl is not None:
            where += f" AND {POSITION_PNL} {'>' if flt.pnl == 'positive' else '<'} 0"
        if cursor is not None:
            after = decode_cursor(cursor, Key)
            args += [after.opened_at, after.position_id, after.cycle]
            where += (
                f" AND (p.opened_at, p.position_id, p.open_version) < "
                f"(${len(args) - 2}, ${len(args) - 1}, ${len(args)})"
            )
        now = self._clock()
        async with self._db.connection() as conn:
            rows = await fetch_all(
                conn,
                f"SELECT {POSITION_COLUMNS} {POSITIONS_FROM} "
                f"WHERE p.user_id = $1{where} {_ORDER} LIMIT {int(limit) + 1}",
                *args,
            )
            summary = await self._summary(conn, markets, market_args, now)
        shown = rows[:limit]
        last = shown[-1] if len(rows) > limit else None
        next_cursor = None
        if last is not None:
            key = Key(last["opened_at"], last["position_id"], last["open_version"])
            next_cursor = encode_cursor(key)
        return PositionPage(
            items=[position_view(row, now) for row in shown],
            next_cursor=next_cursor,
            summary=summary,
        )

    async def _summary(
        self, conn: asyncpg.Connection, where: str, args: list[Any], now: datetime
    ) -> PositionSummary:
        """Open and closed counts, and the open ones' value and unrealised P&L, for the venue
        and symbol asked (not the status or P&L sign: the screen's tabs show both counts)."""
        closed = await conn.fetchval(
            f"SELECT count(*) FROM dashboard.positions p WHERE p.user_id = $1{where} "  # noqa: S608
            "AND p.status = 'closed'",
            *args,
        )
        opened = await fetch_all(
            conn,
            f"SELECT {POSITION_COLUMNS} {POSITIONS_FROM} "
            f"WHERE p.user_id = $1{where} AND p.status = 'open'",
            *args,
        )
        views = [position_view(row, now) for row in opened]
        return PositionSummary(
            open=len(views),
            closed=int(closed),
            value=sum((v.value for v in views), Decimal(0)),
            unrealised=sum((v.unrealised_pnl for v in views), Decimal(0)),
        )

    async def _row(
        self, conn: asyncpg.Connection, user_id: str, position_id: str, cycle: int | None
    ) -> Any:
        """The position's latest cycle, or the one asked for; 404 for anyone but its owner."""
        args: list[Any] = [position_id, user_id]
        which = ""
        if cycle is not None:
            args.append(cycle)
            which = " AND p.open_version = $3"
        row = await fetch_one(
            conn,
            f"SELECT {POSITION_COLUMNS}, ot.order_id AS entry_exec_order, "
            "coalesce(orr.trader_order_id, ot.order_id) AS entry_order_id "
            f"{POSITIONS_FROM} "
            "LEFT JOIN dashboard.trades ot ON ot.position_id = p.position_id "
            "AND ot.version = p.open_version "
            "LEFT JOIN dashboard.routes orr ON orr.order_id = ot.order_id "
            f"WHERE p.position_id = $1 AND p.user_id = $2{which} "
            "ORDER BY p.open_version DESC LIMIT 1",
            *args,
        )
        if row is None:
            raise _not_found()
        return row

    async def detail(self, user_id: str, position_id: str, cycle: int | None) -> PositionDetail:
        async with self._db.connection() as conn:
            row = await self._row(conn, user_id, position_id, cycle)
            strategy = await _strategy(conn, user_id, row["entry_order_id"])
        view = position_view(row, self._clock())
        return PositionDetail(
            **msgspec.structs.asdict(view),
            marked_at=row["marked_at"],
            entry_order_id=row["entry_order_id"],
            exit_order_id=row["exit_order_id"],
            strategy=strategy,
        )

    async def chart(
        self, user_id: str, position_id: str, cycle: int | None, chart_range: str
    ) -> PositionChart:
        now = self._clock()
        async with self._db.connection() as conn:
            row = await self._row(conn, user_id, position_id, cycle)
            strategy = await _strategy(conn, user_id, row["entry_order_id"])
            start, end = window(chart_range, row["opened_at"], row["closed_at"], now)
            timeframe, bars = await _bars(conn, row, start, end)
            if not bars:
                latest = await fetch_one(
                    conn,
                    "SELECT max(start) AS start FROM dashboard.bars "
                    "WHERE venue = $1 AND symbol = $2 AND start < $3",
                    row["venue"],
                    row["symbol"],
                    end,
                )
                moved = anchored(start, end, latest and latest["start"])
                if moved is not None:
                    start, end = moved
                    timeframe, bars = await _bars(conn, row, start, end)
        points = downsample([(bar["start"], plain(bar["close"])) for bar in bars])
        return PositionChart(
            position_id=position_id,
            cycle=row["open_version"],
            range=chart_range,
            timeframe=timeframe,
            start=start,
            end=end,
            points=[ChartPoint(t=t, price=price) for t, price in points],
            entry=plain(row["entry_price"]),
            exit=plain_or_none(row["exit_price"]) if row["status"] == "closed" else None,
            stop=None if strategy is None else strategy.stop,
            targets=[] if strategy is None else strategy.targets,
        )


async def _bars(
    conn: asyncpg.Connection, row: Any, start: datetime, end: datetime
) -> tuple[str | None, list[Any]]:
    """The finest timeframe with bars in [start, end), and those bars."""
    for candidate in timeframes(start, end):
        bars = await fetch_all(
            conn,
            "SELECT start, close FROM dashboard.bars WHERE venue = $1 AND symbol = $2 "
            "AND timeframe = $3 AND start >= $4 AND start < $5 ORDER BY start",
            row["venue"],
            row["symbol"],
            candidate,
            start,
            end,
        )
        if bars:
            return candidate, bars
    return None, []


async def _strategy(
    conn: asyncpg.Connection, user_id: str, entry_order_id: str | None
) -> StrategyBlock | None:
    """The bot's block for a position its entry order opened (the intent id is the order id)."""
    if entry_order_id is None:
        return None
    row = await fetch_one(
        conn,
        "SELECT bp.*, s.signal_id, s.action, s.timeframe, s.bar_start, s.score, s.conditions "
        "FROM dashboard.bot_positions bp "
        "LEFT JOIN dashboard.signal_intents si ON si.intent_id = bp.entry_intent_id "
        "LEFT JOIN dashboard.signals s ON s.signal_id = si.signal_id "
        "WHERE bp.entry_intent_id = $1 AND bp.user_id = $2 ORDER BY bp.version DESC LIMIT 1",
        entry_order_id,
        user_id,
    )
    if row is None:
        return None
    conditions = row["conditions"]
    return StrategyBlock(
        signal_id=row["signal_id"],
        signal=row["action"],
        timeframe=row["timeframe"],
        signal_at=row["bar_start"],
        entry_score=row["score"],
        conditions=[] if conditions is None else msgspec.json.decode(conditions, type=list[str]),
        stop=plain(row["stop"]),
        targets=msgspec.json.decode(row["targets"], type=list[Decimal]),
        targets_hit=row["targets_hit"],
        trailing=row["trailing_stop"],
        bot_status=row["status"],
        close_reason=row["close_reason"],
    )


async def cycles(
    conn: asyncpg.Connection, keys: list[tuple[str, int]], now: datetime
) -> list[PositionCard]:
    """Positions by (position id, cycle), for the pushes of the folds that wrote them."""
    rows = await fetch_all(
        conn,
        f"SELECT {POSITION_COLUMNS} {POSITIONS_FROM} "  # noqa: S608
        "WHERE (p.position_id, p.open_version) IN "
        "(SELECT * FROM unnest($1::text[], $2::int[])) ORDER BY p.position_id, p.open_version",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    return [position_view(row, now) for row in rows]
