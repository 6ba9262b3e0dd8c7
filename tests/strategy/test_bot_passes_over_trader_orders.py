"""The bot follows its own orders only: a trader's order costs it no transaction.

Routing says who placed an order (`OrderRouted.source`) and execution repeats it on every report
of that order, so the strategy module passes over a trader's own orders without a lookup; it
still follows every position change (a trader selling what the bot holds closes the bot's
position).
"""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import RunningApp
from tests.e2e.trader import a_new_traders_filled_order


async def _sources(running: RunningApp, schema: str, topic: str) -> list[Any]:
    async with running.runtime.db.connection() as conn:
        rows = await conn.fetch(
            f"SELECT envelope FROM {schema}.outbox WHERE topic = $1",
            topic,
        )
    return [json.loads(bytes(row["envelope"]))["data"].get("source") for row in rows]


async def test_a_traders_order_leaves_the_bot_nothing_to_do(running: RunningApp) -> None:
    await a_new_traders_filled_order(running.client, "bot passes over correct horse 5")
    await running.settle()

    assert await _sources(running, "routing", "routing.order-routed.v1") == ["trader"]
    filled = await _sources(running, "execution", "execution.order-filled.v1")
    accepted = await _sources(running, "execution", "execution.order-accepted.v1")
    assert filled and set(filled) == {"trader"} and accepted == ["trader"]
    async with running.runtime.db.connection() as conn:
        followed = dict(
            await conn.fetch("SELECT handler, count(*) FROM strategy.inbox GROUP BY handler")
        )
    assert "strategy.order-routed" not in followed
    assert "strategy.order-filled" not in followed
    assert followed.get("strategy.position-changed", 0) >= 1, followed
