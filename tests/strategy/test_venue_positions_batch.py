"""The bot's note of what execution says a user holds: a batch of position reports that empty
nothing keeps each holding's newest version in one statement; a report that empties a position
is taken in turn (it may close a bot's position: tests/strategy/test_bot_events.py)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from app import create_app
from modules.execution.contracts import PositionChanged
from modules.strategy import StrategyModule
from tests.conftest import RunningApp, serve, truncate_all
from tests.group_commits import deliver_together


def _report(user_id: str, symbol: str, version: int, quantity: str) -> PositionChanged:
    return PositionChanged(
        position_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{user_id}:{symbol}")),
        user_id=user_id,
        venue="kraken",
        symbol=symbol,
        quantity=Decimal(quantity),
        average_entry=Decimal(100),
        realised_pnl=Decimal(0),
        fees=Decimal(0),
        fill_id=uuid.uuid4().hex,
        status="open",
        version=version,
        realised_delta=Decimal(0),
        occurred_at=datetime.now(UTC),
    )


async def _deliver(running: RunningApp, events: list[PositionChanged]) -> Counter[str]:
    # What the batch cost, not what the module's own loops (bars, outbox polls) sent meanwhile.
    return await deliver_together(
        running,
        StrategyModule,
        "position-changed",
        list(events),
        lambda text: "strategy.inbox" in text or "venue_positions" in text,
    )


async def test_reports_that_empty_nothing_keep_each_holdings_newest_version_in_one_statement(
    make_settings: Any, database_url: str
) -> None:
    await truncate_all(database_url)
    settings = make_settings(modules=("strategy",), db_statement_stats=True)
    async with serve(create_app(settings)) as running:
        user = str(uuid.uuid4())
        reports = [
            _report(user, "BTC/USD", 2, "0.3"),
            _report(user, "BTC/USD", 1, "0.1"),  # older, arriving after
            _report(user, "ETH/USD", 1, "2"),
        ]
        texts = await _deliver(running, reports)
        assert sum(texts.values()) == 2, texts  # the inbox, then one statement for all three
        later = await _deliver(running, [_report(user, "ETH/USD", 1, "5")])  # not newer
        assert sum(later.values()) == 2, later
        connection = await asyncpg.connect(database_url)
        try:
            rows = await connection.fetch(
                "SELECT symbol, version, quantity FROM strategy.venue_positions "
                "WHERE user_id = $1 ORDER BY symbol",
                user,
            )
        finally:
            await connection.close()
        assert [(r["symbol"], r["version"], r["quantity"]) for r in rows] == [
            ("BTC/USD", 2, Decimal("0.3")),
            ("ETH/USD", 1, Decimal("2")),
        ]
