"""The risk gate's rules, in the order they are checked, over a snapshot of the user's state.

Every refusal is a `Refused` with a reason code. Orders that reduce an open position (an exit,
stop-loss or profit-take on the opposite side, no bigger than the position) skip the limits
that exist to cap new risk: pair allowed, position size, open positions, trades per day and
daily loss. Suspension, kill switches and the order rate apply to every order.

Position size is capped against the user's equity, taken in this order: what the user's venue
accounts hold (the sum over their active credentials of execution's `BalanceChanged` equity,
once any venue has reported), else the figure the user entered (`equity_usd`), else the
platform default. The accounts come first because they are what an order is really paid from;
the entered figure only stands in until a venue has reported.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, Protocol

import msgspec

from modules.kernel.refusal import Kind, Refused

PRIORITY: dict[str, int] = {"kill_switch": 1, "stop_loss": 1, "exit": 2, "entry": 3}
OTHER_PRIORITY = 4
REDUCING_SIGNALS = frozenset({"exit", "stop_loss", "profit_take", "kill_switch"})
# Per-order position cap as a share of equity, by the user's risk level: the hard control is
# "position size 2-10 % of equity", so every level sits inside that band.
RISK_LEVEL_PCT: dict[str, Decimal] = {
    "low": Decimal(2),
    "medium": Decimal(5),
    "high": Decimal(10),
}


def priority_of(signal: str) -> int:
    return PRIORITY.get(signal, OTHER_PRIORITY)


class TierLimits(Protocol):
    @property
    def max_open_positions(self) -> int: ...

    @property
    def trades_per_day(self) -> int: ...


class RiskPolicy(Protocol):
    """The platform's defaults for what a user has not set (routing's `RoutingConfig`)."""

    @property
    def default_equity_usd(self) -> Decimal: ...

    @property
    def default_risk_level(self) -> str: ...

    @property
    def default_daily_loss_pct(self) -> Decimal: ...

    def limits(self, tier: str) -> TierLimits: ...


EquitySource = Literal["balances", "settings", "default"]


class RiskSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    suspended: bool
    paused: str | None = None  # why execution paused the user's trading, if it did
    kill_switch: str | None  # "global" or "user" when one is active
    allowed_pairs: list[str] | None
    equity_usd: Decimal
    risk_level: str
    max_position_usd: Decimal | None
    max_daily_loss_usd: Decimal
    max_open_positions: int  # the tier's limits
    trades_per_day: int
    tier: str
    position_quantity: Decimal  # signed, in the order's symbol
    open_positions: int
    trades_today: int
    realised_today: Decimal
    equity_source: EquitySource = "default"


def position_cap(snapshot: RiskSnapshot) -> Decimal:
    cap = snapshot.equity_usd * RISK_LEVEL_PCT[snapshot.risk_level] / 100
    if snapshot.max_position_usd is not None:
        cap = min(cap, snapshot.max_position_usd)
    return cap


def reduces_position(snapshot: RiskSnapshot, signal: str, side: str, quantity: Decimal) -> bool:
    held = snapshot.position_quantity
    if signal not in REDUCING_SIGNALS or held == 0:
        return False
    opposite = (held > 0 and side == "sell") or (held < 0 and side == "buy")
    return opposite and quantity <= abs(held)


def check(
    snapshot: RiskSnapshot,
    *,
    symbol: str,
    side: str,
    quantity: Decimal,
    signal: str,
    notional: Decimal,
) -> None:
    """Raise the first refusal, in the issue's order: standing, then (unless the order only
    reduces a position) pair, size, open positions, trades today, daily loss.

    A close the kill switch orders (`kill_switch`) is what the halt asked for: it skips the
    standing checks, and it must reduce the position.
    """
    if signal == "kill_switch":
        if not reduces_position(snapshot, signal, side, quantity):
            raise Refused(Kind.CONFLICT, "nothing_to_close", "The position is already flat")
        return
    _check_standing(snapshot)
    if reduces_position(snapshot, signal, side, quantity):
        return
    _check_limits(snapshot, symbol, notional)


def _check_standing(snapshot: RiskSnapshot) -> None:
    """Whether this user may trade at all right now."""
    if snapshot.suspended:
        raise Refused(Kind.FORBIDDEN, "user_suspended", "Your account is suspended from trading")
    if snapshot.paused is not None:
        raise Refused(
            Kind.FORBIDDEN,
            "trading_paused",
            f"Trading is paused for your account ({snapshot.paused}); an admin can resume it",
        )
    if snapshot.kill_switch is not None:
        raise Refused(
            Kind.FORBIDDEN,
            "kill_switch_active",
            f"Trading is halted by the {snapshot.kill_switch} kill switch",
        )


def _check_limits(snapshot: RiskSnapshot, symbol: str, notional: Decimal) -> None:
    """Whether this order fits the user's limits."""
    if snapshot.allowed_pairs is not None and symbol not in snapshot.allowed_pairs:
        raise Refused(Kind.INVALID, "pair_not_allowed", f"{symbol} is not among your allowed pairs")
    cap = position_cap(snapshot)
    if notional > cap:
        raise Refused(
            Kind.INVALID,
            "position_size_exceeded",
            f"Order worth ~{notional:.2f} USD exceeds your position limit of {cap:.2f} USD "
            f"({RISK_LEVEL_PCT[snapshot.risk_level]} % of equity at risk level "
            f"{snapshot.risk_level}, or your max position)",
        )
    opens_new = snapshot.position_quantity == 0
    if opens_new and snapshot.open_positions >= snapshot.max_open_positions:
        raise Refused(
            Kind.INVALID,
            "max_open_positions",
            f"Your {snapshot.tier} tier allows {snapshot.max_open_positions} open positions",
        )
    if snapshot.trades_today >= snapshot.trades_per_day:
        raise Refused(
            Kind.INVALID,
            "daily_trade_limit",
            f"Your {snapshot.tier} tier allows {snapshot.trades_per_day} trades a day",
        )
    if -snapshot.realised_today >= snapshot.max_daily_loss_usd:
        raise Refused(
            Kind.INVALID,
            "daily_loss_limit",
            f"Today's realised loss reached your limit of {snapshot.max_daily_loss_usd:.2f} USD",
        )


def build_snapshot(
    policy: RiskPolicy,
    *,
    settings: dict[str, object] | None,
    status: dict[str, object] | None,
    fallback_tier: str,
    kill_switch: str | None,
    position_quantity: Decimal,
    open_positions: int,
    trades_today: int,
    realised_today: Decimal,
    balance_equity: Decimal | None = None,
) -> RiskSnapshot:
    """The user's figures over the platform's defaults for whatever they have not set."""
    settings = settings or {}
    status = status or {}
    equity, source = _equity(policy, settings, balance_equity)
    max_position = settings.get("max_position_usd")
    daily = settings.get("max_daily_loss_usd")
    if not isinstance(daily, Decimal):
        daily = equity * policy.default_daily_loss_pct / 100
    tier = str(status.get("tier") or fallback_tier)
    limits = policy.limits(tier)
    pairs = settings.get("allowed_pairs")
    return RiskSnapshot(
        suspended=bool(status.get("suspended")),
        paused=str(status.get("paused_reason") or "paused") if status.get("paused") else None,
        kill_switch=kill_switch,
        allowed_pairs=list(pairs) if isinstance(pairs, list) else None,
        equity_usd=equity,
        risk_level=str(settings.get("risk_level") or policy.default_risk_level),
        max_position_usd=max_position if isinstance(max_position, Decimal) else None,
        max_daily_loss_usd=daily,
        max_open_positions=limits.max_open_positions,
        trades_per_day=limits.trades_per_day,
        tier=tier,
        position_quantity=position_quantity,
        open_positions=open_positions,
        trades_today=trades_today,
        realised_today=realised_today,
        equity_source=source,
    )


def _equity(
    policy: RiskPolicy, settings: dict[str, object], balance_equity: Decimal | None
) -> tuple[Decimal, EquitySource]:
    """Balances when known, else the entered figure, else the default (module docstring)."""
    if balance_equity is not None:
        return balance_equity, "balances"
    entered = settings.get("equity_usd")
    if isinstance(entered, Decimal) and entered > 0:
        return entered, "settings"
    return policy.default_equity_usd, "default"
