"""Price alerts: when a market's price has reached a trader's threshold.

An alert is one shot: it fires on the first price seen after it was set that is at or beyond
its threshold (at or above for `above`, at or below for `below`), from a closed bar's range or
a venue's book mid, on its venue or on any venue when it names none.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

import msgspec

from modules.kernel.refusal import Kind, Refused

Direction = Literal["above", "below"]
_SYMBOL = re.compile(r"^[A-Z0-9]{2,12}/[A-Z0-9]{2,12}$")
TIMEFRAME_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600}


class ArmedAlert(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user_id: str
    symbol: str
    venue: str | None
    direction: Direction
    threshold: Decimal
    created_at: datetime


def canonical_symbol(raw: str) -> str:
    """ "btc-usd", "BTC/USD" -> "BTC/USD"; a refusal for anything that is not a pair."""
    symbol = raw.strip().upper().replace("-", "/")
    if not _SYMBOL.fullmatch(symbol):
        raise Refused(Kind.INVALID, "invalid_symbol", "Name a pair such as BTC/USD")
    return symbol


def crossed(direction: Direction, threshold: Decimal, low: Decimal, high: Decimal) -> bool:
    """Whether prices ranging over [low, high] reached the threshold."""
    return high >= threshold if direction == "above" else low <= threshold


def trigger_price(alert: ArmedAlert, low: Decimal, high: Decimal) -> Decimal:
    """The price the alert is told at: its threshold, which the range reached."""
    return min(high, max(low, alert.threshold))


def applies(alert: ArmedAlert, venue: str, seen_from: datetime) -> bool:
    """Whether a price of `venue` observed from `seen_from` on may fire the alert."""
    return (alert.venue is None or alert.venue == venue) and seen_from >= alert.created_at


def bar_seen_from(start: datetime, timeframe: str) -> datetime:
    """A bar's prices count from its end: the alert must have been set before they happened."""
    return start + timedelta(seconds=TIMEFRAME_SECONDS.get(timeframe, 60))


def mid(bids: list[Decimal], asks: list[Decimal]) -> Decimal | None:
    """The book's mid from its best bid and ask (the first of each); None if a side is empty."""
    if not bids or not asks:
        return None
    return (bids[0] + asks[0]) / 2


def fired(
    alerts: list[ArmedAlert], venue: str, low: Decimal, high: Decimal, seen_from: datetime
) -> list[tuple[ArmedAlert, Decimal]]:
    """The alerts (of one symbol) that this observation fires, with the price they fire at."""
    return [
        (alert, trigger_price(alert, low, high))
        for alert in alerts
        if applies(alert, venue, seen_from) and crossed(alert.direction, alert.threshold, low, high)
    ]
