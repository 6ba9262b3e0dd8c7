"""Orders routed together are queued together: one statement for the batch, each order still
refused or kept as it would be alone, a redelivery queued once."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import msgspec

from app import create_app
from modules.execution import ExecutionModule
from tests.conftest import serve, truncate_all
from tests.execution.support import routed
from tests.group_commits import deliver_together
from tests.routing.support import connect, new_trader, revoke


async def test_orders_routed_together_are_queued_in_one_statement(
    make_settings: Any, database_url: str
) -> None:
    await truncate_all(database_url)
    settings = make_settings(modules=("execution",), db_statement_stats=True)
    async with serve(create_app(settings)) as running:
        trader, revoked = new_trader(running), new_trader(running)
        await connect(running, trader, ["kraken"])
        await connect(running, revoked, ["kraken"])
        gone = routed(revoked, "kraken")  # names the credential before it is revoked
        await revoke(running, revoked, "kraken")
        earlier = routed(trader, "kraken")

        async def deliver(events: list[Any]) -> int:
            texts = await deliver_together(
                running,
                ExecutionModule,
                "order-routed",
                events,
                lambda text: "execution.inbox" in text or "WITH routed AS" in text,
            )
            return sum(texts.values())

        assert await deliver([earlier]) == 2
        # The same order again under a new event id: known to the queue, not to the inbox.
        again = msgspec.structs.replace(earlier, event_id=str(uuid.uuid4()))
        batch = [routed(trader, "kraken"), gone, routed(trader, "kraken"), earlier, again]
        # The inbox (which drops the redelivered event), then one statement for the rest.
        assert await deliver(batch) == 2
        connection = await asyncpg.connect(database_url)
        try:
            rows = await connection.fetch(
                "SELECT order_id, status FROM execution.orders WHERE order_id = ANY($1)",
                [event.order_id for event in batch],
            )
        finally:
            await connection.close()
        status = {row["order_id"]: row["status"] for row in rows}
        assert len(rows) == 4 and status[gone.order_id] == "rejected"  # `again` is `earlier`
        assert all(status[event.order_id] != "rejected" for event in batch if event is not gone)
