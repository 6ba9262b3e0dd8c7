"""Execution's reports of an order reach routing as one batch: one inbox statement, one commit.

The acceptance, the fills and the position they moved are published together; routing folds
them in a shared batch (inbox name `routing.order-path`) instead of a transaction per topic.
"""

from __future__ import annotations

from tests.conftest import RunningApp
from tests.e2e.trader import a_new_traders_filled_order


async def test_an_orders_reports_are_folded_under_one_inbox_name(running: RunningApp) -> None:
    order = await a_new_traders_filled_order(running.client, "order path correct horse 3")
    await running.settle()

    async with running.runtime.db.connection() as conn:
        rows = await conn.fetch("SELECT handler, topic FROM routing.inbox")
    handlers = {row["handler"] for row in rows}
    topics = {row["topic"] for row in rows if row["handler"] == "routing.order-path"}
    assert {
        "execution.order-accepted.v1",
        "execution.order-filled.v1",
        "execution.position-changed.v1",
    } <= topics, rows
    assert not handlers & {"routing.order-accepted", "routing.order-filled"}, handlers
    # What the trader reads is folded from that batch: the order filled, at the venue's figures.
    assert order["status"] == "filled" and order["fills"]
