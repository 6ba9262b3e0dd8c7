"""Routing's published language: the command-like event that hands an order to execution."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from modules.kernel.events import IntegrationEvent

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit"]
# `kill_switch`: a close the kill switch itself ordered (it passes the halt, never adds risk).
Signal = Literal["entry", "exit", "profit_take", "stop_loss", "manual", "kill_switch"]


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
    # Who placed it: `trader` (the app or the API), `kill_switch` (a halt's close-all), or the
    # module whose intent it carries (`bot`, `tradingview`). Execution repeats it on every
    # report of the order. None in events from before the field existed.
    source: str | None = None
    expected_price: Decimal
    expected_fee: Decimal
    # A child of a split or TWAP order names its parent (the order the trader placed).
    parent_order_id: str | None = None
    # 0 for the first venue; n for the n-th re-route after a venue fault. A re-route carries a
    # new `order_id` and `client_order_id`, both derived from the original order id and n.
    attempt: int = 0
    # The id the trader got back when placing the order (the order's own id, so equal to
    # `order_id` on attempt 0). Readers that show orders to traders fold every attempt into it;
    # without it they could not tell a re-route from a new order, since attempt ids are one-way.
    # Optional, so events published before the field existed still decode under the same topic.
    original_order_id: str | None = None
    # What the route was expected to cost (taker/maker fee + slippage + latency risk, in the
    # quote currency, the scorer's `expected_cost`) and, beside it, the cheapest single venue
    # that could have taken the same quantity at decision time with its expected cost. For a
    # child of a split the comparison is the whole order on one venue, shared among the
    # children by quantity, so the children's shares add up to it. None when no single venue
    # could take it all, and in events from before the fields existed.
    expected_cost: Decimal | None = None
    best_single_venue: str | None = None
    best_single_venue_cost: Decimal | None = None


class CancelOrderRequested(IntegrationEvent, frozen=True, kw_only=True):
    """The trader (or a halt) asked to cancel what is left of a routed order; execution cancels
    it at its venue (or in its queue) and answers with `OrderCancelled`, or with the fills that
    beat the cancel. `order_id` is the id execution knows the order by (the route attempt's)."""

    TOPIC: ClassVar[str] = "routing.order-cancel-requested.v1"
    order_id: str
    user_id: str
    original_order_id: str


KillSwitchScope = Literal["global", "user"]


class KillSwitchChanged(IntegrationEvent, frozen=True, kw_only=True):
    """Trading was halted or resumed, for everyone (`global`) or one user."""

    TOPIC: ClassVar[str] = "routing.kill-switch-changed.v1"
    scope: KillSwitchScope
    user_id: str | None = None
    active: bool
    set_by: Literal["admin", "user"]
    # For the audit log: the account that flipped it, the reason given, and whether the
    # engaging also closed everything. Optional, so events published before these fields
    # existed still decode under the same topic.
    actor_id: str | None = None
    reason: str | None = None
    close_all_positions: bool = False


class IntentRefused(IntegrationEvent, frozen=True, kw_only=True):
    """An intent submitted by another module (a strategy's `IntentSubmitted`) was refused before
    it became an order: by the risk gate, or for want of a venue, market data or credentials.
    `code` is the refusal's stable code (the same the HTTP API answers with)."""

    TOPIC: ClassVar[str] = "routing.intent-refused.v1"
    intent_id: str
    user_id: str
    code: str
    reason: str
