"""An order as execution holds it, and what a venue's answer means for it.

Statuses: `queued` (waiting for a venue worker), `placing` (claimed, on its way), `ambiguous`
(the venue did not answer: looked up, never re-sent), then what the venue says (`open`,
`partially_filled`, `filled`, `expired`, `cancelled`) or `rejected`. A trader's cancel of an order
still queued ends it at once; of one at the venue, it stays open until the venue confirms.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Literal

import msgspec

from modules.execution.domain.venue import OrderRequest, VenueFill, VenueOrder

PRICE_STEP = Decimal("0.00000001")
# Nothing more can happen to an order in these states (a late answer is ignored).
TERMINAL = frozenset({"filled", "expired", "rejected", "cancelled"})
# At the venue with an unfilled rest: fills may still come, and a cancel has something to stop.
RESTING = frozenset({"open", "partially_filled"})
# States in which the venue's acceptance has not been reported yet.
NOT_YET_ACCEPTED = frozenset({"queued", "placing", "ambiguous"})
# Orders that only reduce a position: capped at what the position holds when they go out.
EXIT_SIGNALS = frozenset({"exit", "stop_loss", "profit_take", "kill_switch"})
# Account errors in a row after which the user's trading is paused.
MAX_CONSECUTIVE_ERRORS = 5


class QueuedOrder(msgspec.Struct, frozen=True, kw_only=True):
    """An order row as a worker needs it."""

    order_id: str
    user_id: str
    client_order_id: str
    venue: str
    credential_id: str
    symbol: str
    side: Literal["buy", "sell"]
    order_type: Literal["market", "limit"]
    quantity: Decimal
    limit_price: Decimal | None
    status: str
    priority: int
    signal: str = "manual"
    source: str | None = None  # who placed it, repeated on its reports


class FillProgress(msgspec.Struct, frozen=True, kw_only=True):
    """An order's totals just after one of its fills."""

    fill: VenueFill
    filled: Decimal
    average_price: Decimal
    status: Literal["partially_filled", "filled"]


def request_for(order: QueuedOrder) -> OrderRequest:
    return OrderRequest(
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=order.side,
        order_type=order.order_type,
        quantity=order.quantity,
        limit_price=order.limit_price,
    )


def order_status(placed: VenueOrder, filled: Decimal) -> str:
    """The order's status from the venue's: an open order with fills is partially filled."""
    if placed.status == "open":
        return "partially_filled" if filled > 0 else "open"
    return placed.status


def average_price(fills: tuple[VenueFill, ...]) -> Decimal | None:
    """Quantity-weighted average fill price (None before the first fill)."""
    filled = sum((f.quantity for f in fills), Decimal(0))
    if not filled:
        return None
    notional = sum((f.price * f.quantity for f in fills), Decimal(0))
    return (notional / filled).quantize(PRICE_STEP)


def progress(placed: VenueOrder) -> Iterator[FillProgress]:
    """Each fill of `placed` in order, with the order's running filled quantity and average."""
    filled = Decimal(0)
    notional = Decimal(0)
    for fill in placed.fills:
        filled += fill.quantity
        notional += fill.price * fill.quantity
        yield FillProgress(
            fill=fill,
            filled=filled,
            average_price=(notional / filled).quantize(PRICE_STEP),
            status="filled" if filled >= placed.quantity else "partially_filled",
        )


def closable(side: str, held: Decimal, closing: Decimal) -> Decimal:
    """What an exit on `side` may still trade: the position it reduces, less what other exits
    in flight will trade. Never more, so late or out-of-order fills cannot flip a position."""
    reduces = (held > 0 and side == "sell") or (held < 0 and side == "buy")
    return max(abs(held) - closing, Decimal(0)) if reduces else Decimal(0)


def is_account_error(code: str) -> bool:
    """Refusals that count towards auto-disable: the account, not the order, is the problem."""
    return code in ("authentication_failed", "permission_denied")


def should_pause(consecutive_errors: int) -> bool:
    return consecutive_errors >= MAX_CONSECUTIVE_ERRORS
