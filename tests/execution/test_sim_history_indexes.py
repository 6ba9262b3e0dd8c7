"""The simulated exchanges' per-order reads stay index-bounded however long the history grows.

Both reads run as prepared statements, which PostgreSQL soon plans once for any parameters (a
generic plan). With a long history, a plan that bounds them only by a filter reads every trade or
order ever made: a second per read at a million orders (`bench/orders.py --history`). Here a
history is written and analysed inside a transaction that is rolled back, and the generic plan
is asked for directly.
"""

from __future__ import annotations

from typing import Any

from modules.execution.adapters.sim_venue._sql import CONSUMED_SQL, PLACEMENT_READS_SQL
from tests.plans import generic_plan

_OLD_TRADES = """
INSERT INTO execution.sim_trades (trade_id, venue_order_id, seq, venue, symbol, side, price,
                                  quantity, fee, fee_currency, liquidity, created_at)
SELECT concat_ws(':', 'old', v, s, n), 'order-' || n, 0, v, s, 'buy', 100, 1, 0, 'USD', 'taker',
       now() - interval '1 day' - random() * interval '30 days'
  FROM generate_series(1, 10000) AS n,
       unnest(ARRAY['coinbase', 'kraken']) AS v, unnest(ARRAY['BTC/USD', 'ETH/USD']) AS s
"""
_OLD_ORDERS = """
INSERT INTO execution.sim_orders (venue_order_id, venue, client_order_id, symbol, side,
                                  order_type, quantity, limit_price, status, created_at, account)
SELECT 'history-' || n, 'kraken', 'history-' || n, 'BTC/USD', 'buy', 'limit', 1, 100,
       CASE WHEN n % 1000 = 0 THEN 'open' ELSE 'filled' END,
       now() - n * interval '1 minute', 'account-fingerprint'
  FROM generate_series(1, 5000) AS n
"""


async def test_a_books_recent_trades_are_read_by_venue_symbol_and_time(running: Any) -> None:
    plan = await generic_plan(
        running,
        _OLD_TRADES,
        "execution.sim_trades",
        CONSUMED_SQL,
        "('coinbase', 'BTC/USD', 20, '20 s')",
    )
    assert "sim_trades_recent" in plan, plan
    assert "created_at >" in plan.split("Index Cond:", 1)[1], plan


async def test_an_accounts_resting_orders_are_read_from_open_orders_only(running: Any) -> None:
    # A new order's reads, of which the account's resting orders are one part.
    arguments = "('kraken', 'BTC/USD', 20, '20 s', '{client-order}', '{account-fingerprint}')"
    plan = await generic_plan(
        running, _OLD_ORDERS, "execution.sim_orders", PLACEMENT_READS_SQL, arguments
    )
    assert "sim_orders_resting" in plan, plan
