"""A claim locks the orders it chose by their primary keys, however long the queue.

A queue's statistics are whatever it held when last analysed (often nothing: a young database,
or an empty queue), so the planner believes the queue's partial index returns a row or two.
With that belief the claim's UPDATE read the whole queue once per chosen order: 14 ms a claim
with 800 orders queued in `bench/orders.py`, and a cost that grows with the backlog exactly when
a venue falls behind. Only choosing the orders reads the queue now; locking them goes by key.
"""

from __future__ import annotations

from typing import Any

import pytest

from modules.execution.repository.orders import _CLAIM_NEXT
from tests.plans import generic_plan

_A_BACKLOG = """
INSERT INTO execution.orders (order_id, user_id, client_order_id, venue, credential_id, symbol,
                              side, order_type, quantity, status, filled_quantity, fees,
                              created_at, updated_at, priority, queued_at)
SELECT 'order-' || n, 'user-' || n % 20, 'client-' || n, 'kraken', 'credential-' || n % 20,
       'BTC/USD', 'buy', 'market', 1, CASE WHEN n % 3 = 0 THEN 'queued' ELSE 'filled' END, 0, 0,
       now(), now(), 3, now() - n * interval '1 ms'
  FROM generate_series(1, 3000) AS n
"""


@pytest.mark.parametrize("analyse", [False, True], ids=["young database", "analysed"])
async def test_only_choosing_the_orders_reads_the_queue(running: Any, analyse: bool) -> None:
    plan = await generic_plan(
        running,
        _A_BACKLOG,
        "execution.orders",
        _CLAIM_NEXT,
        "('kraken', '{}', 'replica-a', 20)",
        analyse=analyse,
    )
    # Choosing (the `queued` CTE) reads the queue as the planner sees fit; locking the chosen
    # orders and claiming them go by key.
    assert "CTE locked" in plan, plan
    locking_and_claiming = plan.split("CTE locked", 1)[1].split("CTE turn", 1)[0]
    assert "orders_queued" not in locking_and_claiming, plan
    assert "Seq Scan on orders" not in locking_and_claiming, plan
    assert locking_and_claiming.count("Index Scan using orders_pkey") == 2, plan
