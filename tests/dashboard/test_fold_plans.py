"""The dashboard's folds find their rows by key, whatever the statistics.

A young table has no statistics, or statistics from when it was a tenth of its size, so the
planner believes it small. Joining a batch to such a table as a whole, it read every row: 9 ms
to update three orders and 14 ms to read one position's new steps at 12,000 orders, in the
bench's open loop (`bench/orders.py --rate 200`). Both statements now go by key.
"""

from __future__ import annotations

from typing import Any

import pytest

from modules.dashboard.repository.orders import _UPDATE_MANY_SQL
from modules.dashboard.repository.trades import _STEPS_SINCE
from tests.plans import generic_plan

_ORDERS = """
INSERT INTO dashboard.orders (order_id, user_id, status, filled_quantity, fees, revision,
                              created_at, updated_at)
SELECT 'order-' || n, 'user-' || n % 20, 'filled', 1, 0, 3, now(), now()
  FROM generate_series(1, 12000) AS n
"""
_STEPS = """
INSERT INTO dashboard.trades (user_id, venue, symbol, fill_id, position_id, version,
                              position_quantity, average_entry, realised_total, fees_total,
                              realised_delta, step_at)
SELECT 'user-' || n % 20, 'kraken', 'BTC/USD', 'fill-' || n, 'position-' || n % 20, n / 20,
       1, 100, 0, 0, 0, now()
  FROM generate_series(1, 12000) AS n
"""
_YOUNG_OR_ANALYSED = pytest.mark.parametrize(
    "analyse", [False, True], ids=["young database", "analysed"]
)


@_YOUNG_OR_ANALYSED
async def test_a_batch_of_orders_is_updated_by_key(running: Any, analyse: bool) -> None:
    arguments = """('[{"order_id": "order-7", "status": "filled"}]', '{order-7}')"""
    plan = await generic_plan(
        running, _ORDERS, "dashboard.orders", _UPDATE_MANY_SQL, arguments, analyse=analyse
    )
    assert "Seq Scan on orders" not in plan, plan
    assert "orders_pkey" in plan, plan


@_YOUNG_OR_ANALYSED
async def test_a_positions_new_steps_are_read_from_its_index_range(
    running: Any, analyse: bool
) -> None:
    arguments = "('{position-7, position-8}', '{590, 595}')"
    plan = await generic_plan(
        running, _STEPS, "dashboard.trades", _STEPS_SINCE, arguments, analyse=analyse
    )
    assert "Seq Scan on trades" not in plan, plan
    assert "trades_steps" in plan, plan
