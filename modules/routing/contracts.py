"""Routing's published language: the command-like event that hands an order to execution."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from modules.kernel.events import IntegrationEvent

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit"]
Signal = Literal["entry", "exit", "profit_take", "stop_loss", "manual"]


class OrderRouted(IntegrationEvent, frozen=True, kw_only=True):
    """Routing chose `venue` for the order; execution must place it exactly once."""

    TOPIC: ClassVar[str] = "routing.order-routed.v1"
    order_id: str
    user_id: str
    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None = None
    venue: str
    credential_id: str
    priority: int = 4
    signal: Signal = "manual"
    expected_price: Decimal
    expected_fee: Decimal
