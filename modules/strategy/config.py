"""Strategy's configuration, from `NIJA_STRATEGY_*` variables (e.g. `NIJA_STRATEGY_WINDOW_BARS`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal

import msgspec


class StrategyConfig(msgspec.Struct, frozen=True, kw_only=True):
    # Bars kept in memory (and in the bars table) per venue, symbol and timeframe.
    window_bars: int = 200
    # A bot's settings before its owner changes them.
    default_pairs: tuple[str, ...] = ("BTC/USD",)
    default_venue: str = "coinbase"
    default_timeframe: str = "5m"
    default_risk_level: str = "high"
    default_max_position_usd: Decimal = Decimal(1000)
    default_equity_usd: Decimal = Decimal(10000)
    # Venue rejections in a row that pause the bot.
    max_consecutive_rejections: int = 5
    # Backtests: how many one user may have under way, how many a replica runs at once (each
    # takes a core while it runs), and how often its worker looks for ready ones when not woken.
    backtests_per_user: int = 3
    backtest_workers: int = 1
    backtest_poll_seconds: float = 2.0

    def default_settings(self) -> dict[str, object]:
        """A new bot's settings (paper, APEX v7.1), as the bot's row would hold them."""
        return {
            "mode": "paper",
            "strategy": "apex_v71",
            "pairs": list(self.default_pairs),
            "venue": self.default_venue,
            "timeframe": self.default_timeframe,
            "risk_level": self.default_risk_level,
            "max_position_usd": self.default_max_position_usd,
            "equity_usd": self.default_equity_usd,
        }


def load_config(environ: Mapping[str, str] | None = None) -> StrategyConfig:
    source = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for field in msgspec.structs.fields(StrategyConfig):
        raw = source.get(f"NIJA_STRATEGY_{field.name.upper()}")
        if raw:
            values[field.name] = raw.split(",") if field.name == "default_pairs" else raw
    return msgspec.convert(values, StrategyConfig, strict=False)


class TradingViewConfig(msgspec.Struct, frozen=True, kw_only=True):
    """TradingView alerts, from `NIJA_STRATEGY_TRADINGVIEW_*` variables."""

    # The origin TradingView reaches NIJA at, for the hook URLs shown; unset: the request's own
    # (right when no proxy sits in front).
    public_base_url: str = ""
    # Each hook's budget: a token bucket refilled at this rate, holding up to `burst` alerts.
    alerts_per_minute: int = 30
    alert_burst: int = 10
    # Hooks one user may hold, and the alerts each hook remembers for its owner to read.
    max_hooks_per_user: int = 10
    alerts_kept: int = 100


def load_tradingview_config(environ: Mapping[str, str] | None = None) -> TradingViewConfig:
    source = os.environ if environ is None else environ
    values = {
        field.name: raw
        for field in msgspec.structs.fields(TradingViewConfig)
        if (raw := source.get(f"NIJA_STRATEGY_TRADINGVIEW_{field.name.upper()}"))
    }
    return msgspec.convert(values, TradingViewConfig, strict=False)
