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
from typing import Any

import asyncpg

from modules.execution.adapters.sim_venue._sql import LOCK_SQL, MOVE_SQL
from modules.execution.domain.positions import pair
from modules.execution.domain.venue import Side, account_fingerprint
from modules.execution.domain.wallet import Trade, moves
from modules.kernel.db import Connections
from modules.kernel.sealing import CredentialMaterial

PAPER_CURRENCY = "USD"


class SimWallet:
    def __init__(self, db: Connections, venue: str, *, paper_usd: Decimal):
        self._db = db
        self._venue = venue
        self._paper_usd = paper_usd

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

    async def lock(
        self, conn: asyncpg.Connection, market: str, accounts: Sequence[str], symbol: str
    ) -> list[Any]:
        """Take the `market`'s engine, then lock the accounts' balances of the pair's assets
        (opened with the paper dollars on first use), in the order of account and asset;
        returns their rows (_sql.py, statement 1)."""
        base, quote = pair(symbol)
        assets = sorted({base, quote, PAPER_CURRENCY})
        owners = sorted(set(accounts))
        rows: list[Any] = await conn.fetch(
            LOCK_SQL,
            market,
            self._venue,
            [account for account in owners for _ in assets],
            assets * len(owners),
            PAPER_CURRENCY,
            self._paper_usd,
        )
        return rows

    async def settle_made(
        self,
        conn: asyncpg.Connection,
        market: str,
        account: str,
        symbol: str,
        side: Side,
        trades: Sequence[Trade],
    ) -> None:
        """Move the account's balances by a resting order's fills (in the caller's
        transaction). Not checked: the wallet has held these funds since the order was
        placed."""
        await self.lock(conn, market, [account], symbol)
        base, quote = pair(symbol)
        delta = moves(base, quote, side, trades)
        await conn.execute(
            MOVE_SQL, self._venue, [account] * len(delta), list(delta), list(delta.values())
        )
