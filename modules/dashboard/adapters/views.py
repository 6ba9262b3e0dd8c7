"""Read-model rows turned into the shapes of `schemas.py`, and a fill told in words (pure)."""

from __future__ import annotations

from modules.dashboard.repository import FillRecord, NotificationRecord, OrderRecord
from modules.dashboard.schemas import FillView, NotificationView, OrderView


def order_view(order: OrderRecord) -> OrderView:
    return OrderView(
        id=order.order_id,
        symbol=order.symbol,
        side=order.side,
        type=order.order_type,
        quantity=order.quantity,
        limit_price=order.limit_price,
        venue=order.venue,
        status=order.status,  # type: ignore[arg-type]
        filled_quantity=order.filled_quantity,
        average_price=order.average_price,
        fees=order.fees,
        fee_currency=order.fee_currency,
        reason=order.reason,
        revision=order.revision,
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


def fill_view(fill: FillRecord, order_id: str) -> FillView:
    """`order_id` is the trader's, whichever route attempt the fill was reported for."""
    return FillView(
        fill_id=fill.fill_id,
        order_id=order_id,
        venue=fill.venue,
        price=fill.price,
        quantity=fill.quantity,
        fee=fill.fee,
        fee_currency=fill.fee_currency,
        liquidity=fill.liquidity,
        executed_at=fill.executed_at,
    )


def notification_view(record: NotificationRecord) -> NotificationView:
    return NotificationView(
        id=str(record.id),
        kind=record.kind,
        title=record.title,
        body=record.body,
        order_id=record.order_id,
        created_at=record.created_at,
        read_at=record.read_at,
    )


def _base_symbol(symbol: str) -> str:
    return symbol.replace("/", "-").split("-")[0]


def fill_notice(order: OrderRecord, fill: FillRecord) -> tuple[str, str, str]:
    """(kind, title, body) telling the trader about a fill in words."""
    verb = "Bought" if order.side == "buy" else "Sold"
    title = "Order filled" if order.status == "filled" else "Order partially filled"
    symbol = order.symbol or ""
    body = (
        f"{verb} {fill.quantity} {_base_symbol(symbol)} of {symbol} at {fill.price} on "
        f"{fill.venue} (fee {fill.fee} {fill.fee_currency})."
    )
    return "order.filled", title, body
