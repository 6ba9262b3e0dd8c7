"""The simulated exchange's rows and answers in the venue port's terms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modules.execution.domain.positions import pair
from modules.execution.domain.venue import OrderRequest, VenueFill, VenueOrder, VenueOrderStatus
from modules.execution.domain.wallet import OpenOrder, Trade

QUOTE_CURRENCY = "USD"


def _placed(
    venue: str,
    venue_order_id: str,
    request: OrderRequest,
    status: VenueOrderStatus,
    trade_ids: list[str],
    trades: list[Trade],
    at: datetime,
) -> VenueOrder:
    """A new order as the exchange recorded it: `trades` made as taker at `at`."""
    fills = tuple(
        VenueFill(
            trade_id=trade_id,
            price=trade.price,
            quantity=trade.quantity,
            fee=trade.fee,
            fee_currency=QUOTE_CURRENCY,
            liquidity="taker",
            at=at,
        )
        for trade_id, trade in zip(trade_ids, trades, strict=True)
    )
    return VenueOrder(
        venue=venue,
        venue_order_id=venue_order_id,
        client_order_id=request.client_order_id,
        symbol=request.symbol,
        side=request.side,
        order_type=request.order_type,
        quantity=request.quantity,
        limit_price=request.limit_price,
        status=status,
        fills=fills,
    )


def _resting_orders(row: Any) -> dict[str, list[OpenOrder]]:
    """The accounts' resting orders by account, from the placement read's arrays (_sql.py)."""
    found: dict[str, list[OpenOrder]] = {}
    for account, symbol, side, limit_price, remaining in zip(
        row["resting_accounts"] or (),
        row["resting_symbols"] or (),
        row["resting_sides"] or (),
        row["resting_prices"] or (),
        row["resting_remaining"] or (),
        strict=True,
    ):
        base, quote = pair(symbol)
        found.setdefault(account, []).append(
            OpenOrder(
                base=base, quote=quote, side=side, remaining=remaining, limit_price=limit_price
            )
        )
    return found


def _venue_order(order: Any, trades: list[Any]) -> VenueOrder:
    return VenueOrder(
        venue=order["venue"],
        venue_order_id=order["venue_order_id"],
        client_order_id=order["client_order_id"],
        symbol=order["symbol"],
        side=order["side"],
        order_type=order["order_type"],
        quantity=order["quantity"],
        limit_price=order["limit_price"],
        status=order["status"],
        fills=tuple(_fill(t) for t in trades),
    )


def _fill(trade: Any) -> VenueFill:
    return VenueFill(
        trade_id=trade["trade_id"],
        price=trade["price"],
        quantity=trade["quantity"],
        fee=trade["fee"],
        fee_currency=trade["fee_currency"],
        liquidity=trade["liquidity"],
        at=trade["created_at"],
    )
