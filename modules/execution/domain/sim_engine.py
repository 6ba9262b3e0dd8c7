"""A simulated market's matching engine taking a batch of new orders, one after the other.

The engine holds the market for a whole batch, so the orders are matched in the order they came,
each on the book the ones before it left and against the wallet they left: an order's trades take
their size off the book at once (a trade just made has not begun to refill), and its funds, spent
or held on the book, are gone for the orders after it. An order the wallet cannot pay for is
refused alone; it changes nothing for the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import msgspec

from modules.execution.domain.positions import pair
from modules.execution.domain.sim_market import crossing_fills, deplete, match_status, trade_fee
from modules.execution.domain.venue import Level, OrderRequest, VenueOrderStatus, VenueRejected
from modules.execution.domain.wallet import OpenOrder, Trade, check_funds, holds, moves, required


class Incoming(msgspec.Struct, frozen=True, kw_only=True):
    request: OrderRequest
    account: str


class Matched(msgspec.Struct, frozen=True, kw_only=True):
    request: OrderRequest
    account: str
    status: VenueOrderStatus
    trades: tuple[Trade, ...]
    # Per asset, what the trades add to (or take from) the account's wallet.
    delta: dict[str, Decimal]


class Market(msgspec.Struct, kw_only=True):
    """What the engine knows of its market while it matches a batch; updated as it goes."""

    bids: tuple[Level, ...]  # undisturbed, best first
    asks: tuple[Level, ...]
    # Size recent trades took from each side ("buy" takes the asks, "sell" hits the bids).
    consumed: dict[str, Decimal]
    # Per account, its locked balances by asset, and its orders resting on any market.
    balances: dict[str, dict[str, Decimal]]
    resting: dict[str, list[OpenOrder]]
    taker_rate: Decimal
    maker_rate: Decimal


def match_batch(market: Market, orders: Sequence[Incoming]) -> list[Matched | VenueRejected]:
    """Each order's outcome, in order; `market` is left as the batch leaves it."""
    return [_match_one(market, order) for order in orders]


def _match_one(market: Market, order: Incoming) -> Matched | VenueRejected:
    request = order.request
    taken = market.asks if request.side == "buy" else market.bids
    levels = deplete(taken, market.consumed.get(request.side, Decimal(0)))
    limit = request.limit_price if request.order_type == "limit" else None
    crossed = crossing_fills(levels, request.side, request.quantity, limit)
    filled = sum((size for _, size in crossed), Decimal(0))
    status = match_status(request.order_type, request.quantity, filled)
    trades = tuple(Trade(p, size, trade_fee(p, size, market.taker_rate)) for p, size in crossed)
    resting = request.quantity - filled if status == "open" else Decimal(0)
    balances = market.balances.setdefault(order.account, {})
    open_orders = market.resting.setdefault(order.account, [])
    try:
        _check_wallet(market, balances, open_orders, request, trades, resting)
    except VenueRejected as refused:
        return refused
    base, quote = pair(request.symbol)
    delta = moves(base, quote, request.side, trades)
    for asset, change in delta.items():
        balances[asset] = balances.get(asset, Decimal(0)) + change
    market.consumed[request.side] = market.consumed.get(request.side, Decimal(0)) + filled
    if resting > 0 and request.limit_price is not None:
        open_orders.append(
            OpenOrder(
                base=base,
                quote=quote,
                side=request.side,
                remaining=resting,
                limit_price=request.limit_price,
            )
        )
    return Matched(
        request=request, account=order.account, status=status, trades=trades, delta=delta
    )


def _check_wallet(
    market: Market,
    balances: Mapping[str, Decimal],
    open_orders: Sequence[OpenOrder],
    request: OrderRequest,
    trades: Sequence[Trade],
    resting: Decimal,
) -> None:
    """Refuse (`insufficient_funds`) an order the free balance cannot pay for: its trades and
    the part left resting at its limit price, beside what the resting orders hold already."""
    base, quote = pair(request.symbol)
    asset = quote if request.side == "buy" else base
    held = holds(open_orders, market.maker_rate).get(asset, Decimal(0))
    needed = required(
        request.side,
        trades,
        resting=resting,
        limit_price=request.limit_price,
        maker_rate=market.maker_rate,
    )
    check_funds(asset, balances.get(asset, Decimal(0)) - held, needed)
