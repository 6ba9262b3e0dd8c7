"""Execution's reports of an order reach routing as one batch: one inbox statement, one commit.

The acceptance, the fills and the position they moved are published together; routing folds
them in a shared batch (inbox name `routing.order-path`) instead of a transaction per topic.
"""

from __future__ import annotations

from tests.conftest import RunningApp
from tests.e2e.trader import register_and_login, settled_order, store_credentials


async def test_an_orders_reports_are_folded_under_one_inbox_name(running: RunningApp) -> None:
    token = await register_and_login(running.client, "order path correct horse 3")
    headers = {"Authorization": f"Bearer {token}"}
    await store_credentials(running.client, headers)
    placed = await running.client.post(
        "/v1/orders",
        json={"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.002"},
        headers=headers,
    )
    assert placed.status_code == 202, placed.text
    order = await settled_order(running.client, placed.json()["id"], headers)
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
