"""The dashboard's per-order statements stay index-bounded however long the history grows.

Like tests/execution/test_sim_history_indexes.py: a history is written and analysed inside a
transaction that is rolled back, and the generic plan (the one a prepared statement soon uses
for any parameters) is asked for directly.
"""

from __future__ import annotations

from typing import Any

from modules.dashboard.repository.orders import _ADD_FILLS_SQL
from tests.plans import generic_plan

_OLD_FILLS = """
INSERT INTO dashboard.fills (order_id, fill_id, user_id, venue, price, quantity, fee,
                             fee_currency, liquidity, executed_at)
SELECT 'old-order-' || n, 'old-fill-' || n, 'old-user', 'kraken', 100, 1, 0.1, 'USD', 'taker',
       now() - n * interval '1 minute'
  FROM generate_series(1, 20000) AS n
"""
# One fill of order o-1: the targets, then a FillRecord's columns, one array each.
_ONE_FILL = (
    "('{o-1}', '{o-1}', '{f-1}', '{u-1}', '{kraken}', '{100}', '{0.5}', '{0.1}', '{USD}',"
    " '{taker}', '{2026-12-01T00:00:00Z}')"
)


async def test_a_batch_of_fills_sums_only_its_own_orders_fills(running: Any) -> None:
    plan = await generic_plan(running, _OLD_FILLS, "dashboard.fills", _ADD_FILLS_SQL, _ONE_FILL)
    assert "Seq Scan on fills" not in plan, plan
    # The fills summed are found by order id (the unique index leads with it).
    assert "Index Cond: ((order_id)::text = (incoming.target))" in plan, plan
