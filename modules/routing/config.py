"""Routing's own configuration: risk limits per tier, splitting, TWAP and order-rate settings.

Read from `NIJA_ROUTING_*` variables (the kernel's `Settings` stays module-agnostic), e.g.
`NIJA_ROUTING_TWAP_INTERVAL_SECONDS=30` or
`NIJA_ROUTING_TIERS='{"basic": {"max_open_positions": 3, "trades_per_day": 50}}'`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal

import msgspec


class TierLimits(msgspec.Struct, frozen=True, kw_only=True):
    max_open_positions: int
    trades_per_day: int


DEFAULT_TIERS: dict[str, TierLimits] = {
    "basic": TierLimits(max_open_positions=3, trades_per_day=50),
    "pro": TierLimits(max_open_positions=10, trades_per_day=200),
    "enterprise": TierLimits(max_open_positions=50, trades_per_day=1000),
}
# The risk levels a user may pick (each caps an order at a share of equity: domain/risk.py).
RISK_LEVELS = frozenset({"low", "medium", "high"})


class RoutingConfig(msgspec.Struct, frozen=True, kw_only=True):
    tiers: dict[str, TierLimits] = msgspec.field(default_factory=lambda: dict(DEFAULT_TIERS))
    default_equity_usd: Decimal = Decimal(100_000)
    default_risk_level: str = "medium"
    # Daily loss limit when the user set none: this share of equity.
    default_daily_loss_pct: Decimal = Decimal(5)
    order_rate_per_second: float = 1.0
    order_rate_burst: int = 5
    # A venue's usable liquidity for splitting is what sits within this distance of its mid.
    split_slippage_bps: Decimal = Decimal(100)
    twap_threshold_usd: Decimal = Decimal(10_000)
    twap_slices: int = 5
    twap_interval_seconds: float = 60.0
    twap_poll_seconds: float = 1.0
    max_reroutes: int = 2
    # Scoring: what a failed attempt and a queued order ahead of this one are worth, in bps of
    # the order's notional.
    failure_cost_bps: Decimal = Decimal(50)
    queue_cost_bps: Decimal = Decimal("0.5")
    success_window: int = 100
    success_min_samples: int = 5

    def limits(self, tier: str) -> TierLimits:
        return self.tiers.get(tier) or self.tiers.get("basic") or DEFAULT_TIERS["basic"]


def load_config(environ: Mapping[str, str] | None = None) -> RoutingConfig:
    source = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for field in msgspec.structs.fields(RoutingConfig):
        raw = source.get(f"NIJA_ROUTING_{field.name.upper()}")
        if raw:
            values[field.name] = msgspec.json.decode(raw) if field.name == "tiers" else raw
    config = msgspec.convert(values, RoutingConfig, strict=False)
    # A partial tier table overrides only the tiers it names.
    config = msgspec.structs.replace(config, tiers={**DEFAULT_TIERS, **config.tiers})
    if config.default_risk_level not in RISK_LEVELS:
        raise ValueError(f"NIJA_ROUTING_DEFAULT_RISK_LEVEL must be one of {sorted(RISK_LEVELS)}")
    return config
