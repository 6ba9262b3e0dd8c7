"""A batch of fills finds each attempt's order by primary keys, whatever the statistics.

A young database has no statistics on `routing.orders` yet (autovacuum analyses a table a minute
or more after it grows), so the planner guesses that few orders have no parent. It then read
every top-level order through the parent index and joined the batch to them: 5.7 ms a statement
after 2,000 orders in `bench/orders.py`, growing with the history. The fill statement now looks
each order up on its own, its UPDATE names the orders' keys, and the parent index no longer
holds the top-level orders.
"""

from __future__ import annotations

from typing import Any

import pytest

from modules.routing.repository.fills import _FILL_SINGLES
from tests.plans import generic_plan

_TOP_LEVEL_ORDERS = """
WITH made AS (
    INSERT INTO routing.orders (id, user_id, client_order_id, symbol, side, order_type, quantity,
                                status, venue, credential_id, filled_quantity, fees, created_at,
                                updated_at)
    SELECT md5('order-' || n)::uuid, 'user-' || n % 20, 'client-' || n, 'BTC/USD', 'buy',
           'market', 1, 'filled', 'kraken', 'credential', 1, 0, now(), now()
      FROM generate_series(1, 3000) AS n
    RETURNING id, client_order_id
)
INSERT INTO routing.route_attempts (attempt_id, order_id, attempt, venue, client_order_id,
                                    credential_id, routed_at)
SELECT md5('attempt-' || id)::uuid, id, 0, 'kraken', client_order_id, 'credential', now()
  FROM made
"""
_A_BATCH = (
    "('{00000000-0000-0000-0000-000000000001}', '{1}', '{100}', '{filled}', '{fill-1}', '{100}',"
    " '{1}', '{0}', '{USD}', '{taker}', '{2026-12-05T00:00:00Z}', '{kraken}', '{BTC/USD}',"
    " '{venue-1}', '2026-12-05T00:00:00Z')"
)


@pytest.mark.parametrize("analyse", [False, True], ids=["young database", "analysed"])
async def test_each_fills_order_is_found_by_its_primary_key(running: Any, analyse: bool) -> None:
    plan = await generic_plan(
        running, _TOP_LEVEL_ORDERS, "routing.orders", _FILL_SINGLES, _A_BATCH, analyse=analyse
    )
    assert "orders_parent_order_id" not in plan, plan
    assert "Index Scan using route_attempts_pkey" in plan, plan
    assert "Index Scan using orders_pkey on orders o " in plan, plan
    assert "Seq Scan on orders" not in plan, plan  # the UPDATE too finds its rows by key
