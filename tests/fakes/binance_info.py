"""`GET /api/v3/exchangeInfo` for the Binance simulator's markets, in Binance's spot shape."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.fakes.binance_engine import MARKETS, Market, fmt, now_ms


def exchange_info() -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "serverTime": now_ms(),
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": 6000,
            },
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        ],
        "exchangeFilters": [],
        "symbols": [_symbol_info(m) for m in MARKETS.values()],
    }


def _symbol_info(m: Market) -> dict[str, Any]:
    return {
        "symbol": m.symbol,
        "status": "TRADING",
        "baseAsset": m.base,
        "baseAssetPrecision": 8,
        "quoteAsset": m.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": fmt(m.tick),
                "maxPrice": fmt(Decimal("1000000")),
                "tickSize": fmt(m.tick),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": fmt(m.min_qty),
                "maxQty": fmt(m.max_qty),
                "stepSize": fmt(m.step),
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": fmt(m.min_notional),
                "applyMinToMarket": True,
                "maxNotional": fmt(Decimal("9000000")),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }
