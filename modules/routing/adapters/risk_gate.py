"""The risk gate: the user's figures read in one query, checked by the rules, then the order rate.

The rules are pure (risk.py) over a snapshot built here; the per-user order rate is a token
bucket in the state port (rate_limit.py), so every replica shares it.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

import msgspec

from modules.kernel.auth import Principal
from modules.kernel.errors import ProblemError
from modules.kernel.module import Runtime
from modules.routing.adapters import risk
from modules.routing.adapters.config import RoutingConfig
from modules.routing.adapters.rate_limit import OrderRate, RateLimited
from modules.routing.adapters.risk_queries import RiskQueries
from modules.routing.adapters.venue_scoring import Intent


class RiskGate:
    def __init__(self, runtime: Runtime, queries: RiskQueries, config: RoutingConfig) -> None:
        self._runtime = runtime
        self._queries = queries
        self._config = config
        self._order_rate = OrderRate(
            runtime.state("routing"),
            rate=config.order_rate_per_second,
            burst=config.order_rate_burst,
        )

    async def check(
        self, principal: Principal, intent: Intent, signal: str, notional: Decimal
    ) -> None:
        """Raise the problem that refuses this order, if any; return if it may go."""
        now = self._runtime.clock()
        day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        inputs, settings = await self._queries.risk_inputs(
            principal.user_id, intent.symbol, day_start
        )
        kills = (inputs["kill_switches"] or "").split(",")
        kill = "global" if "global" in kills else ("user" if principal.user_id in kills else None)
        snapshot = risk.build_snapshot(
            self._config,
            settings=settings,
            status=msgspec.json.decode(inputs["status"]) if inputs["status"] else None,
            fallback_tier=principal.tier,
            kill_switch=kill,
            position_quantity=inputs["position_quantity"] or Decimal(0),
            open_positions=inputs["open_positions"],
            trades_today=inputs["trades_today"],
            realized_today=inputs["realized_today"] or Decimal(0),
        )
        risk.check(
            snapshot,
            symbol=intent.symbol,
            side=intent.side,
            quantity=intent.quantity,
            signal=signal,
            notional=notional,
        )
        try:
            await self._order_rate.take(f"order-rate:{principal.user_id}")
        except RateLimited as limited:
            raise ProblemError(
                429,
                "order_rate_exceeded",
                f"At most {self._config.order_rate_per_second:g} orders a second "
                f"(bursts of {self._config.order_rate_burst}); retry shortly",
                headers={"Retry-After": limited.retry_after_header},
            ) from None
