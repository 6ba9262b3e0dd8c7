"""The simulated exchange's statements: its books, orders, trades and paper wallets.

The matching engine takes the new orders waiting for its market as one batch (_engine.py), in
three statements of one transaction, because each needs what the one before it made sure of:

1. `LOCK_SQL`: the market's matching engine (an advisory lock, one batch at a time across
   replicas), then the balances of the pair's assets of every account in the batch (created with
   the paper dollars on first use, locked in the order of account and asset, so two markets
   never wait for each other in a circle).
2. `PLACEMENT_READS_SQL`: which client order ids are known, what recent trades took from the
   book, and the accounts' resting orders. Its snapshot is taken after all locks are held, so
   no order another market placed meanwhile is missed.
3. `PLACEMENT_WRITES_SQL`: the balances moved, the orders and their trades written.
"""

from __future__ import annotations

# What each side's recent trades took from the book, fading out linearly over $3 seconds:
# the sum over the trades of the last $3 seconds of quantity * (1 - age / $3). The seconds the
# window holds whole come from their sums (`sim_consumption`, kept by a trigger on the trades:
# a second's trades add up to quantity * (1 - now / $3) + weighted / $3); only the trades of the
# second the window's edge cuts through are read one by one.
CONSUMED_SQL = """
WITH edge AS (SELECT EXTRACT(EPOCH FROM now()) AS now_s, EXTRACT(EPOCH FROM now()) - $3 AS at),
whole AS (
    SELECT c.side, sum(c.quantity) AS quantity, sum(c.weighted) AS weighted
      FROM execution.sim_consumption c, edge
     WHERE c.venue = $1 AND c.symbol = $2 AND c.second >= ceil(edge.at)
     GROUP BY c.side
), cut AS (
    SELECT t.side, sum(t.quantity * GREATEST(0, 1 - EXTRACT(EPOCH FROM now() - t.created_at) / $3))
             AS consumed
      FROM execution.sim_trades t, edge
     WHERE t.venue = $1 AND t.symbol = $2 AND t.created_at > now() - $4::interval
       AND t.created_at < to_timestamp(ceil(edge.at))
     GROUP BY t.side
)
SELECT side, sum(consumed) AS consumed
  FROM (SELECT w.side, w.quantity - (edge.now_s * w.quantity - w.weighted) / $3 AS consumed
          FROM whole w, edge
        UNION ALL
        SELECT side, consumed FROM cut) AS parts
 GROUP BY side
"""

# The engine lock's key names the table it guards, so the statement counter files it under the
# simulated venue's work. Re-taking it in a transaction that holds it already is a no-op.
_ENGINE_LOCK = "pg_advisory_xact_lock(hashtext('execution.sim_orders:' || $1))"
ENGINE_LOCK_SQL = "SELECT " + _ENGINE_LOCK

# DO UPDATE (not DO NOTHING) locks an existing row and returns its latest amount, even one a
# concurrent first order committed after this statement's snapshot was taken.
_LOCK_BALANCES = """
INSERT INTO execution.sim_balances AS b (venue, account, asset, amount)
SELECT $2, w.account, w.asset, CASE WHEN w.asset = $5 THEN $6::numeric ELSE 0 END
  FROM engine, unnest($3::text[], $4::text[]) AS w(account, asset)
ON CONFLICT (venue, account, asset) DO UPDATE SET amount = b.amount
RETURNING account, asset, amount
"""
LOCK_SQL = "WITH engine AS (SELECT " + _ENGINE_LOCK + " AS held)" + _LOCK_BALANCES

# The same parameters as CONSUMED_SQL first ($1 to $4).
_PLACEMENT_READS_AFTER_CONSUMED = """), resting AS (
    SELECT o.account, o.symbol, o.side, o.limit_price,
           o.quantity - COALESCE((SELECT sum(t.quantity) FROM execution.sim_trades t
                                   WHERE t.venue_order_id = o.venue_order_id), 0) AS remaining
      FROM execution.sim_orders o
     WHERE o.venue = $1 AND o.account = ANY($6::text[]) AND o.status = 'open'
       AND o.limit_price IS NOT NULL
)
SELECT ARRAY(SELECT client_order_id FROM execution.sim_orders
              WHERE venue = $1 AND client_order_id = ANY($5::text[])) AS known,
       COALESCE((SELECT consumed FROM consumed WHERE side = 'buy'), 0) AS consumed_buy,
       COALESCE((SELECT consumed FROM consumed WHERE side = 'sell'), 0) AS consumed_sell,
       r.*
  FROM (SELECT array_agg(account) AS resting_accounts, array_agg(symbol) AS resting_symbols,
               array_agg(side) AS resting_sides, array_agg(limit_price) AS resting_prices,
               array_agg(remaining) AS resting_remaining
          FROM resting) AS r
"""
PLACEMENT_READS_SQL = "WITH consumed AS (" + CONSUMED_SQL + _PLACEMENT_READS_AFTER_CONSUMED

# The statements below share these parts; the fields are parameter markers, never values.
_MOVE = """
UPDATE execution.sim_balances AS b SET amount = b.amount + m.delta
  FROM unnest({accounts}::text[], {assets}::text[], {deltas}::numeric[])
       AS m(account, asset, delta)
 WHERE b.venue = {venue} AND b.account = m.account AND b.asset = m.asset
"""
_INSERT_TRADES = """
INSERT INTO execution.sim_trades (trade_id, venue_order_id, seq, venue, symbol, side, price,
                                  quantity, fee, fee_currency, liquidity, created_at)
SELECT t.trade_id, {order}, t.seq, {venue}, {symbol}, {side}, t.price, t.quantity, t.fee,
       {currency}, {liquidity}, now()
  FROM unnest({ids}::text[], {seqs}::int[], {prices}::numeric[], {quantities}::numeric[],
              {fees}::numeric[]{extra}) AS t(trade_id, seq, price, quantity, fee{extra_names})
"""

MOVE_SQL = _MOVE.format(venue="$1", accounts="$2", assets="$3", deltas="$4")

INSERT_TRADES_SQL = (
    _INSERT_TRADES.format(
        ids="$1",
        order="$2",
        venue="$3",
        symbol="$4",
        side="$5",
        currency="$6",
        seqs="$7",
        prices="$8",
        quantities="$9",
        fees="$10",
        liquidity="$11",
        extra="",
        extra_names="",
    )
    + "RETURNING *"
)

# A batch of new orders: $1 the venue, $2 its symbol; the balances' moves ($3 to $5, one per
# account and asset); the orders ($6 to $13); their trades ($14 to $20: each names its order and
# side), all taker; $21 the fee currency.
_MOVED = _MOVE.format(venue="$1", accounts="$3", assets="$4", deltas="$5")
_PLACED = """), placed AS (
    INSERT INTO execution.sim_orders (venue_order_id, venue, client_order_id, symbol, side,
                                      order_type, quantity, limit_price, status, created_at,
                                      account)
    SELECT o.venue_order_id, $1, o.client_order_id, $2, o.side, o.order_type, o.quantity,
           o.limit_price, o.status, now(), o.account
      FROM unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::numeric[],
                  $11::numeric[], $12::text[], $13::text[])
           AS o(venue_order_id, client_order_id, side, order_type, quantity, limit_price, status,
                account)
), traded AS ("""
_TRADED = _INSERT_TRADES.format(
    ids="$14",
    order="t.venue_order_id",
    venue="$1",
    symbol="$2",
    side="t.side",
    currency="$21",
    seqs="$15",
    prices="$16",
    quantities="$17",
    fees="$18",
    liquidity="'taker'",
    extra=", $19::text[], $20::text[]",
    extra_names=", venue_order_id, side",
)
# Returns the time the exchange stamps on the orders and their trades.
PLACEMENT_WRITES_SQL = "WITH moved AS (" + _MOVED + _PLACED + _TRADED + ")\nSELECT now() AS at\n"
