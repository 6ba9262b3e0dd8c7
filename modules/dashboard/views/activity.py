"""Activity: every fill, close, bot status change and security event, newest first; and the
fills as a tax-ready CSV.

Fills and account events live in two tables, each read newest first by its own index; a page
merges the two. The sort key is (time, source, id) with fills before account events at the
same instant, and the cursor is the key of the last line shown.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
import msgspec

from modules.dashboard.domain.paging import csv_number, csv_text, decode_cursor, encode_cursor
from modules.dashboard.schemas.screens import ActivityItem, ActivityPage, ActivityType
from modules.dashboard.views.reads import fetch_all
from modules.dashboard.views.shapes import (
    TRADE_COLUMNS,
    TRADE_PNL,
    TRADES_FROM,
    event_item,
    trade_item,
)
from modules.kernel.db import Database

_TRADES, _EVENTS = 1, 0


class Key(msgspec.Struct, frozen=True, array_like=True, order=True):
    """Where a line sorts: its time, its source (fills before account events), its row id."""

    at: datetime
    source: int
    id: int


CSV_HEADER = (
    "time_utc",
    "venue",
    "symbol",
    "side",
    "quantity",
    "price",
    "fee",
    "fee_currency",
    "realised_pnl",
    "order_id",
    "client_order_id",
)
EXPORT_PAGE = 500


class ActivityFilter(msgspec.Struct, frozen=True, kw_only=True):
    type: ActivityType | None = None
    venue: str | None = None
    symbol: str | None = None
    pnl: Literal["positive", "negative"] | None = None
    start: datetime | None = None
    end: datetime | None = None

    def wants_trades(self) -> bool:
        return self.type in (None, "trade", "close")

    def wants_events(self) -> bool:
        markets = self.venue is not None or self.symbol is not None or self.pnl is not None
        return self.type in (None, "bot", "security") and not markets


class _Query:
    """WHERE clauses with their numbered arguments."""

    def __init__(self, user_id: str) -> None:
        self.args: list[Any] = [user_id]
        self.clauses: list[str] = []

    def add(self, clause: str, *values: Any) -> None:
        names = []
        for value in values:
            self.args.append(value)
            names.append(f"${len(self.args)}")
        self.clauses.append(clause.format(*names))

    def where(self) -> str:
        return "".join(f" AND {c}" for c in self.clauses)


def _trade_query(user_id: str, flt: ActivityFilter, after: Key | None) -> _Query:
    query = _Query(user_id)
    if flt.type == "trade":
        query.add("NOT t.closes")
    elif flt.type == "close":
        query.add("t.closes")
    if flt.venue is not None:
        query.add("t.venue = {}", flt.venue)
    if flt.symbol is not None:
        query.add("t.symbol = {}", flt.symbol)
    if flt.pnl is not None:
        query.add(f"{TRADE_PNL} {'>' if flt.pnl == 'positive' else '<'} 0")
    if flt.start is not None:
        query.add("t.executed_at >= {}", flt.start)
    if flt.end is not None:
        query.add("t.executed_at < {}", flt.end)
    if after is not None:
        if after.source == _TRADES:
            query.add("(t.executed_at, t.id) < ({}, {})", after.at, after.id)
        else:
            query.add("t.executed_at < {}", after.at)
    return query


def _event_query(user_id: str, flt: ActivityFilter, after: Key | None) -> _Query:
    query = _Query(user_id)
    if flt.type in ("bot", "security"):
        query.add("kind = {}", flt.type)
    if flt.start is not None:
        query.add("at >= {}", flt.start)
    if flt.end is not None:
        query.add("at < {}", flt.end)
    if after is not None:
        if after.source == _EVENTS:
            query.add("(at, id) < ({}, {})", after.at, after.id)
        else:
            query.add("at <= {}", after.at)
    return query


async def recent_trades(
    conn: asyncpg.Connection, user_id: str, flt: ActivityFilter, limit: int, after: Key | None
) -> list[Any]:
    query = _trade_query(user_id, flt, after)
    return list(
        await fetch_all(
            conn,
            f"SELECT {TRADE_COLUMNS} {TRADES_FROM} WHERE t.user_id = $1 "
            f"AND t.executed_at IS NOT NULL{query.where()} "
            f"ORDER BY t.executed_at DESC, t.id DESC LIMIT {int(limit)}",
            *query.args,
        )
    )


async def recent_events(
    conn: asyncpg.Connection, user_id: str, flt: ActivityFilter, limit: int, after: Key | None
) -> list[Any]:
    query = _event_query(user_id, flt, after)
    return list(
        await fetch_all(
            conn,
            "SELECT id, kind, at, code, previous, reason FROM dashboard.account_events "  # noqa: S608
            f"WHERE user_id = $1{query.where()} ORDER BY at DESC, id DESC LIMIT {int(limit)}",
            *query.args,
        )
    )


def merged(
    trades: list[Any], events: list[Any], limit: int
) -> tuple[list[ActivityItem], Key | None]:
    """The newest `limit` of both, and the key of the last when there are more."""
    keyed = [(Key(row["executed_at"], _TRADES, row["id"]), row, True) for row in trades]
    keyed += [(Key(row["at"], _EVENTS, row["id"]), row, False) for row in events]
    keyed.sort(key=lambda item: item[0], reverse=True)
    page = keyed[:limit]
    items = [trade_item(row) if is_trade else event_item(row) for _, row, is_trade in page]
    more = len(keyed) > limit
    return items, (page[-1][0] if more and page else None)


class ActivityViews:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def page(
        self, user_id: str, flt: ActivityFilter, limit: int, cursor: str | None
    ) -> ActivityPage:
        after = None if cursor is None else decode_cursor(cursor, Key)
        async with self._db.connection() as conn:
            trades = (
                await recent_trades(conn, user_id, flt, limit + 1, after)
                if flt.wants_trades()
                else []
            )
            events = (
                await recent_events(conn, user_id, flt, limit + 1, after)
                if flt.wants_events()
                else []
            )
        items, last = merged(trades, events, limit)
        return ActivityPage(items=items, next_cursor=None if last is None else encode_cursor(last))

    async def export_csv(self, user_id: str, flt: ActivityFilter) -> AsyncIterator[bytes]:
        """The user's fills, oldest first, as CSV lines, read a page at a time so a long
        history never sits in memory (nor holds a connection between pages)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        yield _drain(buffer)
        after: tuple[datetime, int] | None = None
        while True:
            query = _trade_query(user_id, msgspec.structs.replace(flt, type=None, pnl=None), None)
            if after is not None:
                query.add("(t.executed_at, t.id) > ({}, {})", *after)
            async with self._db.connection() as conn:
                rows = await fetch_all(
                    conn,
                    f"SELECT {TRADE_COLUMNS} {TRADES_FROM} WHERE t.user_id = $1 "
                    f"AND t.executed_at IS NOT NULL{query.where()} "
                    f"ORDER BY t.executed_at, t.id LIMIT {EXPORT_PAGE}",
                    *query.args,
                )
            for row in rows:
                writer.writerow(_csv_row(row))
            if rows:
                yield _drain(buffer)
                after = (rows[-1]["executed_at"], rows[-1]["id"])
            if len(rows) < EXPORT_PAGE:
                return


def _csv_row(row: Any) -> list[str]:
    executed: datetime = row["executed_at"]
    return [
        executed.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        csv_text(row["venue"]),
        csv_text(row["symbol"]),
        csv_text(row["side"]),
        csv_number(row["quantity"]),
        csv_number(row["price"]),
        csv_number(row["fee"]),
        csv_text(row["fee_currency"]),
        csv_number(row["realised_delta"]),
        csv_text(row["trader_order_id"] or row["order_id"]),
        csv_text(row["client_order_id"]),
    ]


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")


async def trades_by_id(conn: asyncpg.Connection, ids: list[int]) -> list[Any]:
    """Fills (with their fill half) by row id, for the pushes of the folds that wrote them."""
    return list(
        await fetch_all(
            conn,
            f"SELECT {TRADE_COLUMNS} {TRADES_FROM} "
            "WHERE t.id = ANY($1::bigint[]) AND t.executed_at IS NOT NULL ORDER BY t.id",
            ids,
        )
    )
