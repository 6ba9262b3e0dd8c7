"""What the dashboard tells a trader in words, and when an order's change deserves a notice.

Each rule returns a `Notice` (or None when nothing is worth saying); the service stores and pushes
it. The texts are what traders read today, so a change here is a change of the product.
"""

from __future__ import annotations

from typing import NamedTuple

from modules.dashboard.domain.read_model import FillRecord, OrderRecord
from modules.execution.contracts import OrderCancelled, OrderExpired

_SECURITY_MESSAGES: dict[str, tuple[str, str]] = {
    "new_device": ("New device", "A new device was registered for biometric login."),
    "two_factor_enabled": ("Two-factor enabled", "Two-factor authentication is now on."),
    "two_factor_disabled": ("Two-factor disabled", "Two-factor authentication was turned off."),
    "password_changed": ("Password changed", "Your password was changed; other sessions ended."),
    "lockout": ("Sign-in locked", "Too many failed sign-ins: sign-in is paused for a while."),
}


class Notice(NamedTuple):
    kind: str
    title: str
    body: str


def rerouted(before: OrderRecord, after: OrderRecord) -> Notice | None:
    """A later route attempt took over an order the trader was told was rejected.

    Only then is there something to correct: a re-route of an order still shown as working is
    visible in its venue alone.
    """
    if after.attempt <= before.attempt or before.status != "rejected":
        return None
    body = (
        f"{before.venue} could not take your {after.symbol or ''} "
        f"{after.side or ''} order ({before.reason}); it was sent to {after.venue}."
    )
    return Notice("order.rerouted", "Order re-routed", body)


def rejected(order: OrderRecord) -> Notice | None:
    """The order ended rejected; None when the fold left it in another state (a late event)."""
    if order.status != "rejected":
        return None
    body = f"Your {order.symbol or ''} {order.side or ''} order was rejected: {order.reason}"
    return Notice("order.rejected", "Order rejected", body)


def expired(order: OrderRecord, event: OrderExpired) -> Notice | None:
    """The unfilled rest was cancelled; None when the fold left the order in another state."""
    if order.status != "expired":
        return None
    body = (
        f"The unfilled {event.remaining_quantity} of your {order.symbol or ''} order "
        f"was cancelled: {event.reason}"
    )
    return Notice("order.expired", "Order expired", body)


def cancelled(order: OrderRecord, event: OrderCancelled) -> Notice | None:
    """The cancel went through; None when the order ended otherwise (filled first)."""
    if order.status != "cancelled":
        return None
    kept = f", {event.filled_quantity} filled before it stands" if event.filled_quantity else ""
    body = f"Your {order.symbol or ''} {order.side or ''} order was cancelled{kept}."
    return Notice("order.cancelled", "Order cancelled", body)


def _base_symbol(symbol: str) -> str:
    return symbol.replace("/", "-").split("-")[0]


def filled(order: OrderRecord, fill: FillRecord) -> Notice:
    """A fill told in words; the title says whether the order is now complete."""
    verb = "Bought" if order.side == "buy" else "Sold"
    title = "Order filled" if order.status == "filled" else "Order partially filled"
    symbol = order.symbol or ""
    body = (
        f"{verb} {fill.quantity} {_base_symbol(symbol)} of {symbol} at {fill.price} on "
        f"{fill.venue} (fee {fill.fee} {fill.fee_currency})."
    )
    return Notice("order.filled", title, body)


def security(kind: str) -> Notice:
    """A security event of the user's account; KeyError for a kind with no text (not guessed)."""
    title, body = _SECURITY_MESSAGES[kind]
    return Notice(f"security.{kind}", title, body)
