"""The simulated exchange's paper wallets: balances per account (API key fingerprint) and asset.

Part of the simulated venue's own state, written on the venue's connection in the transaction
that records the trades, so balances move exactly when trades do. An account starts with the
paper dollars of `NIJA_SIM_PAPER_USD` the first time it is used. Like a spot exchange, the
venue keeps what resting orders may still spend (`domain/wallet.py::holds`) from other orders.
The arithmetic is pure (domain/wallet.py); this file keeps the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import asyncpg

from modules.execution.domain.positions import pair
from modules.execution.domain.venue import Side, account_fingerprint
from modules.execution.domain.wallet import OpenOrder, Trade, check_funds, holds, moves, required
from modules.kernel.db import Database
from modules.kernel.sealing import CredentialMaterial

PAPER_CURRENCY = "USD"
# Rows are made on first use (ON CONFLICT keeps an existing row, so the paper dollars are
# granted once); FOR UPDATE then serialises an account's orders across all its markets.
_OPEN_SQL = """
INSERT INTO execution.sim_balances (venue, account, asset, amount)
SELECT $1, $2, asset, CASE WHEN asset = $4 THEN $5::numeric ELSE 0 END
  FROM unnest($3::text[]) AS asset
ON CONFLICT (venue, account, asset) DO NOTHING
"""
_LOCK_SQL = """
SELECT asset, amount FROM execution.sim_balances
 WHERE venue = $1 AND account = $2 FOR UPDATE
"""
_RESTING_SQL = """
SELECT o.symbol, o.side, o.limit_price,
       o.quantity - COALESCE((SELECT sum(t.quantity) FROM execution.sim_trades t
                               WHERE t.venue_order_id = o.venue_order_id), 0) AS remaining
  FROM execution.sim_orders o
 WHERE o.venue = $1 AND o.account = $2 AND o.status = 'open' AND o.limit_price IS NOT NULL
"""
_MOVE_SQL = """
UPDATE execution.sim_balances AS b SET amount = b.amount + m.delta
  FROM unnest($3::text[], $4::numeric[]) AS m(asset, delta)
 WHERE b.venue = $1 AND b.account = $2 AND b.asset = m.asset
"""


class SimWallet:
    def __init__(self, db: Database, venue: str, *, paper_usd: Decimal, maker_rate: Decimal):
        self._db = db
        self._venue = venue
        self._paper_usd = paper_usd
        self._maker_rate = maker_rate

    async def balances(self, credential: CredentialMaterial) -> dict[str, Decimal]:
        account = account_fingerprint(credential.api_key)
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                "SELECT asset, amount FROM execution.sim_balances "
                "WHERE venue = $1 AND account = $2",
                self._venue,
                account,
            )
        found = {row["asset"]: row["amount"] for row in rows}
        # An account never used yet holds its paper dollars: what it would start trading with.
        found.setdefault(PAPER_CURRENCY, self._paper_usd)
        return {a: v for a, v in sorted(found.items()) if v != 0 or a == PAPER_CURRENCY}

    async def settle(
        self,
        conn: asyncpg.Connection,
        account: str,
        symbol: str,
        side: Side,
        trades: Sequence[Trade],
        *,
        resting: Decimal = Decimal(0),
        limit_price: Decimal | None = None,
        check: bool = True,
    ) -> None:
        """Move the account's balances by `trades` (in the caller's transaction).

        With `check`, first refuse (`insufficient_funds`) an order the free balance cannot pay
        for: its trades and the part left `resting` at `limit_price`. A resting order's own
        fills are not checked again: its funds were held for it since it was placed.
        """
        base, quote = pair(symbol)
        await conn.execute(
            _OPEN_SQL,
            self._venue,
            account,
            sorted({base, quote, PAPER_CURRENCY}),
            PAPER_CURRENCY,
            self._paper_usd,
        )
        rows = await conn.fetch(_LOCK_SQL, self._venue, account)
        locked = {row["asset"]: row["amount"] for row in rows}
        if check:
            asset = quote if side == "buy" else base
            held = (await self._holds(conn, account)).get(asset, Decimal(0))
            needed = required(
                side, trades, resting=resting, limit_price=limit_price, maker_rate=self._maker_rate
            )
            check_funds(asset, locked.get(asset, Decimal(0)) - held, needed)
        delta = moves(base, quote, side, trades)
        await conn.execute(_MOVE_SQL, self._venue, account, list(delta), list(delta.values()))

    async def _holds(self, conn: asyncpg.Connection, account: str) -> dict[str, Decimal]:
        orders = []
        for row in await conn.fetch(_RESTING_SQL, self._venue, account):
            base, quote = pair(row["symbol"])
            orders.append(
                OpenOrder(
                    base=base,
                    quote=quote,
                    side=row["side"],
                    remaining=row["remaining"],
                    limit_price=row["limit_price"],
                )
            )
        return holds(orders, self._maker_rate)
