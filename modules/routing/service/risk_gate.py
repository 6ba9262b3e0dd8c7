"""The risk gate: the user's figures (their in-memory view, domain/user_view.py) checked by the
rules, then the order rate.

The rules are pure (domain/risk.py) over a snapshot built here. The per-user order rate is a
token bucket kept on the user's view-version row and spent by the statement that places the
order (repository/orders.py), so every replica spends from the same bucket at no extra cost.
"""

from __future__ import annotations

import math
from datetime import UTC
from decimal import Decimal

from modules.kernel.auth import Principal
from modules.kernel.module import Runtime
from modules.kernel.refusal import Kind, Refused
from modules.routing.config import RoutingConfig
from modules.routing.domain import risk
from modules.routing.domain.user_view import UserView
from modules.routing.domain.venue_scoring import Intent
from modules.routing.repository.orders import OrderGuard

# The order rate's refusal: the bucket is read as the order is placed, whatever the view.
RATE_EXCEEDED = "order_rate_exceeded"


class RiskGate:
    def __init__(self, runtime: Runtime, config: RoutingConfig) -> None:
        self._runtime = runtime
        self._config = config

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

    def guard(self, view: UserView) -> OrderGuard:
        """What the order is placed at: the view's versions and count of orders placed, and
        the user's order rate."""
        return OrderGuard(
            view.version,
            view.global_version,
            self._config.order_rate_per_second,
            float(self._config.order_rate_burst),
            view.placed,
        )

    def rate_refusal(self, tokens: float) -> Refused:
        """The refusal of an order that found `tokens` (under one) in the user's bucket."""
        rate = self._config.order_rate_per_second
        burst = self._config.order_rate_burst
        wait = (1.0 - tokens) / rate if rate > 0 else 1.0
        return Refused(
            Kind.TOO_MANY,
            RATE_EXCEEDED,
            f"At most {rate:g} orders a second (bursts of {burst}); retry shortly",
            retry_after=max(1, math.ceil(wait)),
        )
