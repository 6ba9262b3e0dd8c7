"""A simulated market's matching engine: the new orders waiting for it are matched as one batch.

A real exchange's engine takes orders one after the other in memory. The simulated one keeps its
state in PostgreSQL, so one order at a time would hold the market for three round trips and a
commit each, and a busy market (every order of a bench routed to the cheapest venue) would queue
behind that. Instead, the orders that arrive while a batch is being matched wait for the next
batch, which costs the three statements of one order (_sql.py) whatever its size; the first order
of a quiet moment is matched at once (no timer). Within a batch the orders are still matched in
the order they came, each on what the ones before it left (domain/sim_engine.py).

A batch that fails is retried order by order (the kernel's `commit_batch`), so one bad order
fails only its own placement.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from modules.execution.adapters.sim_venue._rows import QUOTE_CURRENCY, _placed
from modules.execution.adapters.sim_venue._sql import PLACEMENT_READS_SQL, PLACEMENT_WRITES_SQL
from modules.execution.domain.sim_engine import Incoming, Matched
from modules.execution.domain.venue import VenueOrder, VenueRejected
from modules.kernel.batches import commit_batch

Outcome = VenueOrder | Exception
MatchBatch = Callable[[list[Incoming]], Awaitable[list[Outcome]]]
_Entry = tuple[Incoming, "asyncio.Future[VenueOrder]"]


class _OrderBatches:
    """One market's queue of new orders, matched a batch at a time by `match`."""

    def __init__(self, match: MatchBatch, *, name: str, max_batch: int = 64) -> None:
        self._match = match
        self._name = name
        self._max_batch = max_batch
        self._pending: list[_Entry] = []
        self._matcher: asyncio.Task[None] | None = None

    async def place(self, order: Incoming) -> VenueOrder:
        answer: asyncio.Future[VenueOrder] = asyncio.get_running_loop().create_future()
        self._pending.append((order, answer))
        if self._matcher is None or self._matcher.done():
            self._matcher = asyncio.create_task(self._match_batches(), name=self._name)
        # Shielded: a caller that stops waiting does not take the batch's other orders with it
        # (its order is placed or refused all the same, as on a real exchange).
        return await asyncio.shield(answer)

    async def _match_batches(self) -> None:
        while self._pending:
            await commit_batch(self._next_batch(), self._match_and_answer, lambda entry: entry[1])

    async def _match_and_answer(self, batch: list[_Entry]) -> None:
        outcomes = await self._match([order for order, _ in batch])
        for (_, answer), outcome in zip(batch, outcomes, strict=True):
            _answer(answer, outcome)

    def _next_batch(self) -> list[_Entry]:
        """The oldest waiting orders, up to `max_batch`; a client order id sent again while its
        first request waits goes in a later batch, which then finds it known."""
        batch: list[_Entry] = []
        later: list[_Entry] = []
        ids: set[str] = set()
        for entry in self._pending:
            client_order_id = entry[0].request.client_order_id
            if len(batch) == self._max_batch or client_order_id in ids:
                later.append(entry)
            else:
                ids.add(client_order_id)
                batch.append(entry)
        self._pending = later
        return batch


def _answer(answer: asyncio.Future[VenueOrder], outcome: Outcome) -> None:
    if answer.done():
        return
    if isinstance(outcome, Exception):
        answer.set_exception(outcome)
    else:
        answer.set_result(outcome)


def _locked_balances(rows: Sequence[Any]) -> dict[str, dict[str, Decimal]]:
    """The accounts' balances `LOCK_SQL` locked and returned, by account and asset."""
    balances: dict[str, dict[str, Decimal]] = {}
    for row in rows:
        balances.setdefault(row["account"], {})[row["asset"]] = row["amount"]
    return balances


async def _read_market(
    conn: asyncpg.Connection,
    venue: str,
    symbol: str,
    replenish: tuple[Decimal, Any],
    orders: Sequence[Incoming],
) -> Any:
    """The batch's reads (_sql.py, statement 2), engine and wallets held."""
    seconds, window = replenish
    return await conn.fetchrow(
        PLACEMENT_READS_SQL,
        venue,
        symbol,
        seconds,
        window,
        [order.request.client_order_id for order in orders],
        sorted({order.account for order in orders}),
    )


async def _record(
    conn: asyncpg.Connection, venue: str, symbol: str, outcomes: Sequence[Matched | VenueRejected]
) -> list[Outcome]:
    """Write the batch's orders, trades and balance moves in one statement (_sql.py, statement
    3); the answers in the batch's order, a refusal answered as it is."""
    matched = [outcome for outcome in outcomes if isinstance(outcome, Matched)]
    if not matched:
        refused: list[Outcome] = [o for o in outcomes if isinstance(o, VenueRejected)]
        return refused
    order_ids = [str(uuid.uuid4()) for _ in matched]
    trade_ids = [[str(uuid.uuid4()) for _ in m.trades] for m in matched]
    moves: dict[tuple[str, str], Decimal] = {}
    for m in matched:
        for asset, change in m.delta.items():
            key = (m.account, asset)
            moves[key] = moves.get(key, Decimal(0)) + change
    trades = [
        (trade_id, order_id, seq, m, trade)
        for m, order_id, ids in zip(matched, order_ids, trade_ids, strict=True)
        for seq, (trade_id, trade) in enumerate(zip(ids, m.trades, strict=True))
    ]
    at: datetime = await conn.fetchval(
        PLACEMENT_WRITES_SQL,
        venue,
        symbol,
        [account for account, _ in moves],
        [asset for _, asset in moves],
        list(moves.values()),
        order_ids,
        [m.request.client_order_id for m in matched],
        [m.request.side for m in matched],
        [m.request.order_type for m in matched],
        [m.request.quantity for m in matched],
        [m.request.limit_price for m in matched],
        [m.status for m in matched],
        [m.account for m in matched],
        [t[0] for t in trades],
        [t[2] for t in trades],
        [t[4].price for t in trades],
        [t[4].quantity for t in trades],
        [t[4].fee for t in trades],
        [t[1] for t in trades],
        [t[3].request.side for t in trades],
        QUOTE_CURRENCY,
    )
    placed = iter(
        _placed(venue, order_id, m.request, m.status, ids, list(m.trades), at)
        for m, order_id, ids in zip(matched, order_ids, trade_ids, strict=True)
    )
    return [next(placed) if isinstance(o, Matched) else o for o in outcomes]
