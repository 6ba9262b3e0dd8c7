"""The risk gate: the user's figures (their in-memory view, domain/user_view.py) checked by the
rules, then the order rate.

The rules are pure (domain/risk.py) over a snapshot built here; the per-user order rate is the
kernel's token bucket kept in the state port, so every replica spends from the same bucket.
"""

from __future__ import annotations

import math
from datetime import UTC
from decimal import Decimal

from modules.kernel.auth import Principal
from modules.kernel.module import Runtime
from modules.kernel.refusal import Kind, Refused
from modules.kernel.token_bucket import TokenBucket
from modules.routing.config import RoutingConfig
from modules.routing.domain import risk
from modules.routing.domain.user_view import UserView
from modules.routing.domain.venue_scoring import Intent

# The order rate's refusal: the rate is the user's however stale their view, so it stands.
RATE_EXCEEDED = "order_rate_exceeded"


class RiskGate:
    def __init__(self, runtime: Runtime, config: RoutingConfig) -> None:
        self._runtime = runtime
        self._config = config
        self._bucket = TokenBucket(runtime.state("routing"))

    def check(
        self,
        principal: Principal,
        intent: Intent,
        signal: str,
        notional: Decimal,
        view: UserView,
    ) -> None:
        """Raise the refusal of this order by the rules, if any; return if it may go."""
        day = self._runtime.clock().astimezone(UTC).date()
        inputs = view.risk_inputs(intent.symbol, day)
        kills = inputs["kill_switches"]
        kill = "global" if "global" in kills else ("user" if principal.user_id in kills else None)
        snapshot = risk.build_snapshot(
            self._config,
            settings=view.settings,
            status=inputs["status"],
            fallback_tier=principal.tier,
            kill_switch=kill,
            position_quantity=inputs["position_quantity"] or Decimal(0),
            open_positions=inputs["open_positions"],
            trades_today=inputs["trades_today"],
            realised_today=inputs["realised_today"],
            balance_equity=inputs["balance_equity"],
        )
        risk.check(
            snapshot,
            symbol=intent.symbol,
            side=intent.side,
            quantity=intent.quantity,
            signal=signal,
            notional=notional,
        )

    async def take_order_token(self, user_id: str) -> None:
        """Spend one of the user's order tokens, or refuse the order (too many too fast)."""
        rate = self._config.order_rate_per_second
        burst = self._config.order_rate_burst
        wait = await self._bucket.take(f"order-rate:{user_id}", rate=rate, burst=float(burst))
        if wait is not None and wait <= 0:
            return
        # No answer at all (heavy contention on one user's bucket) is itself a sign of flooding.
        retry_after = 1.0 / rate if wait is None else wait
        raise Refused(
            Kind.TOO_MANY,
            RATE_EXCEEDED,
            f"At most {rate:g} orders a second (bursts of {burst}); retry shortly",
            retry_after=max(1, math.ceil(retry_after)),
        )
