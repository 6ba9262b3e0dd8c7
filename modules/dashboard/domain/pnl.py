"""Money rules of the trader's screens: fees in the quote currency, what a fill realised, why a
position was closed.

The fee rule is the platform's one (execution's): a fee is charged in the pair's quote currency
when its fill happens; a fee the venue took in the base asset is valued at the fill's price,
rounded to 1e-8; one taken in a third currency (an exchange's own token) cannot be valued from
the fill and counts as nothing, as execution leaves it out of the position's P&L.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

MONEY_STEP = Decimal("0.00000001")
# The platform quotes its pairs in USD; a venue listing them against a dollar stablecoin prices
# them at par, so its fees are dollars too.
_DOLLARS = frozenset({"USD", "USDT", "USDC"})

ExitReason = Literal["take_profit", "stop_loss", "manual", "kill_switch", "exit_signal"]
_BY_SIGNAL: dict[str, ExitReason] = {
    "profit_take": "take_profit",
    "stop_loss": "stop_loss",
    "kill_switch": "kill_switch",
}
# What the bot says closed its own position (strategy's `close_reason`), where it says more.
_BY_BOT: dict[str, ExitReason] = {
    "take_profit": "take_profit",
    "stop_loss": "stop_loss",
    "kill_switch": "kill_switch",
    "exit_signal": "exit_signal",
}


def pair(symbol: str) -> tuple[str, str]:
    """Base and quote of "BTC/USD" (the platform's spelling) or "BTC-USD"."""
    base, _, quote = symbol.upper().replace("-", "/").partition("/")
    return base, quote


def fee_in_quote(symbol: str, fee: Decimal, currency: str, price: Decimal) -> Decimal | None:
    """The fee in the pair's quote currency; None when it was paid in a third currency."""
    base, quote = pair(symbol)
    paid_in = currency.strip().upper()
    if fee == 0 or paid_in in ("", quote) or (quote in _DOLLARS and paid_in in _DOLLARS):
        return fee
    if paid_in == base:
        return (fee * price).quantize(MONEY_STEP)
    return None


def signed(side: str, quantity: Decimal) -> Decimal:
    return quantity if side == "buy" else -quantity


def reduced(side: str, quantity: Decimal, held_after: Decimal) -> bool:
    """Whether a fill took something off a position (so what it realised is a gain or a loss,
    not only its fee), given the position's quantity after it."""
    move = signed(side, quantity)
    held_before = held_after - move
    return held_before != 0 and (held_before > 0) != (move > 0)


def exit_reason(signal: str | None, *, by_bot: bool, bot_reason: str | None = None) -> ExitReason:
    """Why a position was closed, from the signal of the order that closed it.

    An `exit` is the bot's exit signal when the bot sent the order, else the trader's close; an
    order of unknown origin (its routing decision not seen) counts as the trader's.
    """
    if signal in _BY_SIGNAL:
        return _BY_SIGNAL[signal]
    if signal == "exit" and by_bot:
        return _BY_BOT.get(bot_reason or "", "exit_signal")
    return "manual"
