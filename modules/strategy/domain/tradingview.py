"""TradingView alerts as the platform reads them: symbols in TradingView's spellings, the
freshness window, the replay fingerprint, the secret's hash, and the order an alert asks for.

Pure: the caller passes `now`, the last known price and what the user holds.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

import msgspec

from modules.kernel.refusal import Kind, Refused
from modules.strategy.domain.sizing import quantity_for

Action = Literal["buy", "sell", "close"]

# The platform quotes in dollars; TradingView's charts mostly quote crypto in dollar stablecoins.
QUOTE_ALIASES = {"USDT": "USD", "USDC": "USD"}
# Kraken's charts name bitcoin XBT.
BASE_ALIASES = {"XBT": "BTC"}
# Quotes recognised in a symbol without a separator (BTCUSDT); longest first, so USDT wins
# over USD.
KNOWN_QUOTES = ("USDT", "USDC", "USD", "EUR", "GBP", "BTC", "ETH")
_PART = re.compile(r"^[A-Z0-9]{2,12}$")
_SEPARATORS = ("/", "-", "_")

HOOKS_PATH = "/v1/webhooks/tradingview"


def hook_url(base_url: str, hook_id: str) -> str:
    return f"{base_url.rstrip('/')}{HOOKS_PATH}/{hook_id}"


def alert_message(secret: str) -> str:
    """A TradingView alert message for a new hook: TradingView fills in the placeholders (a
    strategy's order action, the chart's ticker, the time it fires)."""
    message = {
        "secret": secret,
        "action": "{{strategy.order.action}}",
        "symbol": "{{ticker}}",
        "size_usd": "100",
        "timestamp": "{{timenow}}",
    }
    return msgspec.json.encode(message).decode()


def _unknown(raw: str) -> Refused:
    return Refused(
        Kind.INVALID,
        "unknown_symbol",
        f"{raw!r} is not a symbol NIJA can read (use e.g. BTCUSD, BINANCE:BTCUSDT or BTC/USD)",
    )


def _split(text: str) -> tuple[str, str] | None:
    for sep in _SEPARATORS:
        if sep in text:
            base, _, quote = text.partition(sep)
            return base, quote
    for quote in KNOWN_QUOTES:
        if text.endswith(quote) and len(text) > len(quote):
            return text[: -len(quote)], quote
    return None


def platform_symbol(raw: str) -> str:
    """The platform's BASE/QUOTE for a symbol as TradingView writes it.

    `BTCUSD`, `BTCUSDT`, `BINANCE:BTCUSDT`, `BTC/USD` and `btc-usd` are all `BTC/USD`. The
    exchange prefix names TradingView's chart, not where NIJA trades (the hook's venue does).
    """
    text = raw.strip().upper().rpartition(":")[2]
    parts = _split(text)
    if parts is None or not all(_PART.match(p) for p in parts):
        raise _unknown(raw)
    base, quote = parts
    base, quote = BASE_ALIASES.get(base, base), QUOTE_ALIASES.get(quote, quote)
    if base == quote:
        raise _unknown(raw)
    return f"{base}/{quote}"


def check_fresh(sent_at: datetime | None, now: datetime, max_lag_seconds: int) -> None:
    """An alert stamped more than `max_lag_seconds` away from now (either way: a clock ahead
    is as suspect as a message held back) is refused; an unstamped one cannot be aged."""
    if sent_at is None:
        return
    lag = abs((now - sent_at).total_seconds())
    if lag > max_lag_seconds:
        raise Refused(
            Kind.INVALID,
            "stale_alert",
            f"The alert's timestamp is {int(lag)} s away from now, more than its max_lag of "
            f"{max_lag_seconds} s",
        )


def fingerprint(
    hook_id: str, sent_at: datetime | None, action: str, symbol: str, size_usd: Decimal | None
) -> str:
    """What makes two deliveries the same alert: the hook, the timestamp and the body's fields.

    The secret is left out: the fingerprint is stored, and a hash of a secret with guessable
    fields beside it is not something to keep.
    """
    body = msgspec.json.encode(
        [hook_id, None if sent_at is None else sent_at.isoformat(), action, symbol, size_usd]
    )
    return hashlib.sha256(body).hexdigest()


def fingerprint_expiry(sent_at: datetime | None, now: datetime, max_lag_seconds: int) -> datetime:
    """How long a fingerprint must be kept: until the alert it stands for would be stale anyway.
    An unstamped alert is remembered for the window from its arrival, so a repeat within it
    counts as a replay."""
    return (sent_at or now) + timedelta(seconds=max_lag_seconds)


def secret_hash(secret: str) -> str:
    """The stored form of a hook's secret. The secret is 32 random bytes, so a plain SHA-256
    suffices: there is nothing to brute-force that a slow hash would protect."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant time, so the answer's timing says nothing about how close a guess was."""
    return hmac.compare_digest(secret_hash(secret), stored_hash)


class AlertOrder(msgspec.Struct, frozen=True, kw_only=True):
    side: Literal["buy", "sell"]
    quantity: Decimal
    signal: Literal["entry", "exit"]


def alert_order(
    action: Action,
    *,
    symbol: str,
    venue: str,
    size_usd: Decimal | None,
    price: Decimal | None,
    held: Decimal | None,
) -> AlertOrder:
    """The order an alert asks for: `close` sells what is held there; `buy` and `sell` trade
    `size_usd` worth at the last known price (routing's gate then prices it from the books)."""
    if action == "close":
        if held is None or held <= 0:
            raise Refused(
                Kind.CONFLICT, "nothing_to_close", f"You hold no {symbol} on {venue} to close"
            )
        return AlertOrder(side="sell", quantity=held, signal="exit")
    if size_usd is None:
        raise Refused(Kind.INVALID, "size_required", "A buy or sell alert needs size_usd")
    if price is None:
        raise Refused(
            Kind.INVALID,
            "no_market_price",
            f"No price is known for {symbol} on {venue}; is it listed there?",
        )
    quantity = quantity_for(size_usd, price)
    if quantity <= 0:
        raise Refused(Kind.INVALID, "size_too_small", f"{size_usd} USD buys no {symbol}")
    if action == "buy":
        return AlertOrder(side="buy", quantity=quantity, signal="entry")
    return AlertOrder(side="sell", quantity=quantity, signal="exit")
