"""ccxt's answers and errors in the venue port's terms, and the exchange settings they need."""

from __future__ import annotations

import logging
import re
import ssl
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import ccxt
import certifi

from modules.execution.domain.bars import Bar, Timeframe
from modules.execution.domain.venue import (
    VenueFault,
    VenueFees,
    VenueFill,
    VenueOrderStatus,
    VenueRejected,
    VenueUnavailable,
)

# Keep ccxt on the spot API only: no futures/margin exchangeInfo, no key-only currency calls
# while loading markets (sandboxes do not serve them).
DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "binance": {
        "defaultType": "spot",
        "fetchMarkets": {"types": ["spot"]},
        "fetchCurrencies": False,
        "fetchMargins": False,
    },
}
# Platform symbols (quoted in USD) to each exchange's market; Binance quotes in USDT.
DEFAULT_SYMBOLS: dict[str, dict[str, str]] = {
    "binance": {
        s: s.replace("/USD", "/USDT") for s in ("BTC/USD", "ETH/USD", "SOL/USD", "XRP/USD")
    },
    "coinbase": {s: s for s in ("BTC/USD", "ETH/USD", "SOL/USD")},
    "kraken": {s: s for s in ("BTC/USD", "ETH/USD", "SOL/USD", "XRP/USD")},
}
_STATUS: dict[str, VenueOrderStatus] = {
    "open": "open",
    "closed": "filled",
    "canceled": "cancelled",
    "expired": "expired",
    "rejected": "expired",
}
# ccxt logs every request at DEBUG with its headers (the API key) and signed query; those lines
# must not exist even when the platform runs at DEBUG.
logging.getLogger("ccxt").setLevel(logging.INFO)
_TLS = ssl.create_default_context(cafile=certifi.where())
# Binance's largest page of candles.
_OHLCV_PAGE = 1000
_EXCHANGE_MSG = re.compile(r'"msg"\s*:\s*"([^"]{1,200})"')


def _candle(symbol: str, timeframe: Timeframe, row: list[Any]) -> Bar:
    opened, open_, high, low, close, volume = row[:6]
    return Bar(
        symbol=symbol,
        timeframe=timeframe,
        start=_time(opened),
        open=_dec(open_),
        high=_dec(high),
        low=_dec(low),
        close=_dec(close),
        volume=_dec(volume),
    )


def _fill(trade: dict[str, Any], order: dict[str, Any]) -> VenueFill:
    fee = trade.get("fee") or {}
    return VenueFill(
        trade_id=str(
            trade.get("id") or f"{order['id']}-{trade.get('price')}-{trade.get('amount')}"
        ),
        price=_dec(trade["price"]),
        quantity=_dec(trade["amount"]),
        fee=_dec(fee.get("cost") or 0),
        fee_currency=str(fee.get("currency") or ""),
        liquidity="maker" if trade.get("takerOrMaker") == "maker" else "taker",
        at=_time(trade.get("timestamp") or order.get("timestamp")),
    )


def _http_session() -> aiohttp.ClientSession:
    """One connection pool for every client of this venue; no cookie jar, so nothing one
    user's calls receive is ever sent with another user's."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=_TLS), cookie_jar=aiohttp.DummyCookieJar()
    )


def _mapped(venue: str, error: ccxt.BaseError) -> Exception:
    """The port's view of a ccxt error. Messages keep only the exchange's own `msg`."""
    reason = f"{venue}: {_reason(error)}"
    if isinstance(error, ccxt.DDoSProtection | ccxt.RateLimitExceeded):
        return VenueFault("rate_limited", reason)
    if isinstance(error, ccxt.ExchangeNotAvailable):
        return VenueFault("venue_unavailable", reason)
    if isinstance(error, ccxt.OperationFailed):
        # Timeouts, dropped connections, nonce windows, "execution status unknown".
        return VenueUnavailable(reason)
    if isinstance(error, ccxt.PermissionDenied | ccxt.AccountSuspended):
        return VenueRejected("permission_denied", reason)
    if isinstance(error, ccxt.AuthenticationError):
        return VenueRejected("authentication_failed", reason)
    if isinstance(error, ccxt.InsufficientFunds):
        return VenueRejected("insufficient_funds", reason)
    if isinstance(error, ccxt.BadSymbol):
        return VenueRejected("unknown_symbol", reason)
    if isinstance(error, ccxt.InvalidOrder | ccxt.BadRequest):
        return VenueRejected("invalid_order", reason)
    return VenueRejected("venue_error", reason)


def _reason(error: ccxt.BaseError) -> str:
    # ccxt's message can carry the signed URL; keep the exchange's message or the class name.
    match = _EXCHANGE_MSG.search(str(error))
    return match.group(1) if match else type(error).__name__


def _class_fees(exchange_id: str) -> VenueFees:
    trading = getattr(ccxt, exchange_id)().describe()["fees"]["trading"]
    return VenueFees(taker=_dec(trading["taker"]), maker=_dec(trading["maker"]))


def _dec(value: Any) -> Decimal:
    # ccxt hands numbers over as floats parsed from the exchange's strings; str() gives back
    # the shortest form that round-trips, i.e. the exchange's own digits.
    return Decimal(str(value))


def _time(ms: Any) -> datetime:
    if isinstance(ms, int | float):
        return datetime.fromtimestamp(ms / 1000, UTC)
    return datetime.now(UTC)
