"""What a phone push says, where it leads, and whether the user wants it.

A push is lock-screen text and a deep link, nothing more: no secret, no account detail beyond
what the sentence needs. Each rule returns a `Push` (or None when nothing is worth a push); the
service stores it in the push outbox in the transaction of the notification it belongs to.
The texts are what traders read on their phones, so a change here is a change of the product.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import msgspec

from modules.dashboard.domain import notices

PushKind = Literal[
    "trade_executed",
    "position_closed",
    "stop_loss_hit",
    "daily_summary",
    "bot_status",
    "security",
    "price_alert",
]
# The preference that governs each kind; security pushes cannot be turned off one by one.
_CATEGORY: dict[str, str | None] = {
    "trade_executed": "trade_alerts",
    "position_closed": "trade_alerts",
    "stop_loss_hit": "trade_alerts",
    "price_alert": "price_alerts",
    "bot_status": "bot_alerts",
    "daily_summary": "daily_summary",
    "security": None,
}
# Kinds whose bursts collapse into one push; the others are each worth their own.
COLLAPSING: frozenset[str] = frozenset({"trade_executed", "position_closed"})
DASHBOARD_URL = "/"
ACTIVITY_URL = "/activity"
SETTINGS_URL = "/settings"


class PushData(msgspec.Struct, frozen=True, omit_defaults=True):
    """The deep link the app opens when the push is tapped."""

    type: str
    url: str
    position_id: str | None = None
    order_id: str | None = None


class Push(msgspec.Struct, frozen=True):
    kind: str
    title: str
    body: str
    data: PushData
    # "venue|symbol" of a trade whose position id is not known yet (its `PositionChanged` may
    # come after the fill): the link is completed when the push goes out.
    position_ref: str | None = None


class Preferences(msgspec.Struct, frozen=True, kw_only=True):
    """A user's notification preferences; a user who never chose has these defaults."""

    push_enabled: bool = True
    trade_alerts: bool = True
    price_alerts: bool = True
    bot_alerts: bool = True
    daily_summary: bool = True
    daily_summary_time: str = "20:00"  # HH:MM in the user's time zone


def wanted(preferences: Preferences, kind: str) -> bool:
    """Whether the user wants `kind` pushed to their phones."""
    if not preferences.push_enabled:
        return False
    category = _CATEGORY[kind]
    return category is None or bool(getattr(preferences, category))


def deciding_preferences(kind: str) -> tuple[str, ...]:
    """The preferences that must all be on for `kind` to be pushed: `wanted` as the columns a
    statement can check while it queues the push (no read of the preferences before it)."""
    category = _CATEGORY[kind]
    return ("push_enabled",) if category is None else ("push_enabled", category)


def position_url(position_id: str | None) -> str:
    return f"/positions/{position_id}" if position_id else ACTIVITY_URL


# ---- numbers as a phone shows them ---------------------------------------------------------


def usd(amount: Decimal) -> str:
    """ "$63,280" from 100 up, "$8.20" from 1, "$0.1234" below (no sign)."""
    size = abs(amount)
    if size >= 100:
        shown = size.quantize(Decimal(1), ROUND_HALF_UP)
    elif size >= 1:
        shown = size.quantize(Decimal("0.01"), ROUND_HALF_UP)
    else:
        # Four places for a small price, but no trailing zeros past the cents ($0.05, $0.1235).
        whole, _, places = f"{size.quantize(Decimal('0.0001'), ROUND_HALF_UP):f}".partition(".")
        return f"${whole}.{places.rstrip('0').ljust(2, '0')}"
    return f"${shown:,}"


def signed_usd(amount: Decimal) -> str:
    return ("-" if amount < 0 else "+") + usd(amount)


def percent(part: Decimal, whole: Decimal) -> str | None:
    """`part` as a share of `whole`, "11.4 %"; None when there is no whole to share."""
    if whole <= 0:
        return None
    share = (part / whole * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{share} %"


def base_asset(symbol: str) -> str:
    return symbol.upper().replace("-", "/").split("/")[0]


# ---- the kinds -----------------------------------------------------------------------------


def trade_executed(
    *,
    side: str,
    venue: str,
    symbol: str,
    price: Decimal,
    quantity: Decimal,
    order_id: str,
    position_id: str | None,
) -> Push:
    """ "Bought $150 of BTC at $63,280": one fill, leading to its position."""
    verb = "Bought" if side == "buy" else "Sold"
    body = f"{verb} {usd(price * quantity)} of {base_asset(symbol)} at {usd(price)}"
    data = PushData(
        type="trade_executed",
        url=position_url(position_id),
        position_id=position_id,
        order_id=order_id,
    )
    ref = None if position_id else f"{venue}|{symbol}"
    return Push("trade_executed", "Trade executed", body, data, position_ref=ref)


def with_position(data: PushData, position_id: str) -> PushData:
    """A deep link once its position is known (a fill may be told before its position)."""
    return msgspec.structs.replace(data, position_id=position_id, url=position_url(position_id))


def position_closed(symbol: str, pnl: Decimal, cost_basis: Decimal) -> Push:
    """ "Profit +$8.20 (11.4 %)": a position went back to zero; leads to the activity list."""
    word = "Profit" if pnl >= 0 else "Loss"
    share = percent(pnl, cost_basis)
    body = f"{word} {signed_usd(pnl)}" + (f" ({share})" if share else "")
    data = PushData(type="position_closed", url=ACTIVITY_URL)
    return Push("position_closed", f"{symbol.upper()} position closed", body, data)


def stop_loss_hit(symbol: str, stop: Decimal, position_id: str | None) -> Push:
    body = f"Your {symbol.upper()} stop at {usd(stop)} was hit; the bot closed the position."
    data = PushData(type="stop_loss_hit", url=position_url(position_id), position_id=position_id)
    return Push("stop_loss_hit", "Stop loss hit", body, data)


def _pause_phrase(reason: str | None) -> str | None:
    """Why a bot stopped, said briefly; None when the user did it (no push for that)."""
    text = (reason or "").lower()
    if text in ("", "paused by you"):
        return None
    if text.startswith("kill switch"):
        return "Bot paused by kill switch"
    if text.startswith("account suspended"):
        return "Bot paused: account suspended"  # the admin's words stay in the app
    if text.startswith("trading paused by execution"):
        return "Bot paused: trading was halted for your account"
    if "venue rejections" in text:
        return "Bot paused after repeated venue rejections"
    return "Bot paused"


def bot_status(status: str, previous: str, reason: str | None) -> Push | None:
    """A bot the user did not stop themselves stopped; None for the user's own start or pause."""
    if status == previous or status == "running":
        return None
    phrase = _pause_phrase(reason)
    if phrase is None:
        return None
    if status == "off":
        phrase = phrase.replace("Bot paused", "Bot switched off")
    title = "Bot paused" if status == "paused" else "Bot switched off"
    return Push("bot_status", title, phrase, PushData(type="bot_status", url=SETTINGS_URL))


def security(kind: str) -> Push:
    """A security event of the account, in the in-app notice's words (none of them secret)."""
    notice = notices.security(kind)
    return Push("security", notice.title, notice.body, PushData(type="security", url=SETTINGS_URL))


def price_alert(
    symbol: str, direction: str, threshold: Decimal, price: Decimal, venue: str
) -> Push:
    title = f"{symbol.upper()} {direction} {usd(threshold)}"
    body = f"{symbol.upper()} is at {usd(price)} on {venue}."
    return Push("price_alert", title, body, PushData(type="price_alert", url=DASHBOARD_URL))


def daily_summary(trades: int, pnl: Decimal, wins: int, losses: int) -> Push:
    """ "4 trades, P&L +$12.40, win rate 67 %" of the user's day; leads to the dashboard."""
    noun = "trade" if trades == 1 else "trades"
    parts = [f"{trades} {noun}", f"P&L {signed_usd(pnl)}"]
    closed = wins + losses
    if closed:
        parts.append(f"win rate {percent(Decimal(wins), Decimal(closed))}")
    data = PushData(type="daily_summary", url=DASHBOARD_URL)
    return Push("daily_summary", "Your day", ", ".join(parts), data)
