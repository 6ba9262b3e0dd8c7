"""The risk gate's rules on hand-made snapshots: every limit, its boundary, and the order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from modules.kernel.refusal import Kind, Refused
from modules.routing.config import RISK_LEVELS, RoutingConfig
from modules.routing.domain import risk
from modules.routing.domain.risk import RiskSnapshot

D = Decimal


def snapshot(**changes: Any) -> RiskSnapshot:
    values: dict[str, Any] = {
        "suspended": False,
        "paused": None,
        "kill_switch": None,
        "allowed_pairs": None,
        "equity_usd": D(100_000),
        "risk_level": "medium",  # 5 %: a 5,000 USD cap
        "max_position_usd": None,
        "max_daily_loss_usd": D(5_000),
        "max_open_positions": 3,
        "trades_per_day": 50,
        "tier": "basic",
        "position_quantity": D(0),
        "open_positions": 0,
        "trades_today": 0,
        "realised_today": D(0),
    }
    values.update(changes)
    return RiskSnapshot(**values)


def check(
    snap: RiskSnapshot,
    *,
    notional: str = "1000",
    symbol: str = "BTC/USD",
    side: str = "buy",
    quantity: str = "0.01",
    signal: str = "entry",
) -> None:
    risk.check(
        snap, symbol=symbol, side=side, quantity=D(quantity), signal=signal, notional=D(notional)
    )


def refusal(snap: RiskSnapshot, **order: Any) -> Refused:
    with pytest.raises(Refused) as refused:
        check(snap, **order)
    return refused.value


def test_an_order_within_every_limit_passes() -> None:
    check(snapshot())


# -- standing -------------------------------------------------------------------------------


def test_a_suspended_user_is_refused() -> None:
    refused = refusal(snapshot(suspended=True))
    assert (refused.kind, refused.code) == (Kind.FORBIDDEN, "user_suspended")
    assert refused.reason == "Your account is suspended from trading"


def test_a_paused_user_is_refused_with_the_reason() -> None:
    refused = refusal(snapshot(paused="consecutive_errors"))
    assert (refused.kind, refused.code) == (Kind.FORBIDDEN, "trading_paused")
    assert "(consecutive_errors)" in refused.reason


@pytest.mark.parametrize("scope", ["global", "user"])
def test_an_active_kill_switch_refuses(scope: str) -> None:
    refused = refusal(snapshot(kill_switch=scope))
    assert (refused.kind, refused.code) == (Kind.FORBIDDEN, "kill_switch_active")
    assert refused.reason == f"Trading is halted by the {scope} kill switch"


def test_standing_is_checked_in_order_suspension_pause_kill_switch() -> None:
    everything = snapshot(suspended=True, paused="x", kill_switch="global")
    assert refusal(everything).code == "user_suspended"
    assert refusal(snapshot(paused="x", kill_switch="global")).code == "trading_paused"


def test_standing_applies_even_to_an_order_that_reduces_a_position() -> None:
    snap = snapshot(kill_switch="user", position_quantity=D(1))
    assert refusal(snap, side="sell", quantity="1", signal="stop_loss").code == (
        "kill_switch_active"
    )


# -- limits ---------------------------------------------------------------------------------


def test_a_pair_outside_the_allowed_list_is_refused() -> None:
    refused = refusal(snapshot(allowed_pairs=["ETH/USD"]))
    assert (refused.kind, refused.code) == (Kind.INVALID, "pair_not_allowed")
    assert refused.reason == "BTC/USD is not among your allowed pairs"
    check(snapshot(allowed_pairs=["ETH/USD", "BTC/USD"]))
    assert refusal(snapshot(allowed_pairs=[])).code == "pair_not_allowed"


def test_position_size_cap_is_the_risk_level_share_of_equity_inclusive() -> None:
    check(snapshot(), notional="5000")
    refused = refusal(snapshot(), notional="5000.01")
    assert (refused.kind, refused.code) == (Kind.INVALID, "position_size_exceeded")
    assert refused.reason == (
        "Order worth ~5000.01 USD exceeds your position limit of 5000.00 USD "
        "(5 % of equity at risk level medium, or your max position)"
    )


@pytest.mark.parametrize(("level", "cap"), [("low", "2000"), ("medium", "5000"), ("high", "10000")])
def test_each_risk_level_caps_at_its_share(level: str, cap: str) -> None:
    snap = snapshot(risk_level=level)
    assert risk.position_cap(snap) == D(cap)
    check(snap, notional=cap)
    assert refusal(snap, notional=str(D(cap) + D("0.01"))).code == "position_size_exceeded"


def test_a_max_position_only_ever_lowers_the_cap() -> None:
    assert risk.position_cap(snapshot(max_position_usd=D(1_000))) == D(1_000)
    assert risk.position_cap(snapshot(max_position_usd=D(50_000))) == D(5_000)
    assert refusal(snapshot(max_position_usd=D(1_000)), notional="1000.01").code == (
        "position_size_exceeded"
    )


def test_open_positions_limit_applies_only_to_an_order_opening_a_new_one() -> None:
    check(snapshot(open_positions=2))
    refused = refusal(snapshot(open_positions=3))
    assert (refused.kind, refused.code) == (Kind.INVALID, "max_open_positions")
    assert refused.reason == "Your basic tier allows 3 open positions"
    # Adding to a position already held opens nothing new.
    check(snapshot(open_positions=3, position_quantity=D("0.5")))


def test_trades_per_day_limit_is_reached_at_the_limit() -> None:
    check(snapshot(trades_today=49))
    refused = refusal(snapshot(trades_today=50))
    assert (refused.kind, refused.code) == (Kind.INVALID, "daily_trade_limit")
    assert refused.reason == "Your basic tier allows 50 trades a day"


def test_daily_loss_limit_is_reached_when_the_loss_equals_it() -> None:
    check(snapshot(realised_today=D("-4999.99")))
    check(snapshot(realised_today=D(7_000)))  # a gain never trips it
    refused = refusal(snapshot(realised_today=D(-5_000)))
    assert (refused.kind, refused.code) == (Kind.INVALID, "daily_loss_limit")
    assert refused.reason == "Today's realised loss reached your limit of 5000.00 USD"


def test_limits_are_checked_in_order() -> None:
    everything = snapshot(
        allowed_pairs=["ETH/USD"], open_positions=3, trades_today=50, realised_today=D(-5_000)
    )
    assert refusal(everything, notional="9999").code == "pair_not_allowed"
    everything = snapshot(open_positions=3, trades_today=50, realised_today=D(-5_000))
    assert refusal(everything, notional="9999").code == "position_size_exceeded"
    assert refusal(everything).code == "max_open_positions"
    assert refusal(snapshot(trades_today=50, realised_today=D(-5_000))).code == (
        "daily_trade_limit"
    )


# -- orders that only reduce a position -----------------------------------------------------

BREACHED = {"allowed_pairs": [], "trades_today": 50, "realised_today": D(-5_000)}


@pytest.mark.parametrize("signal", ["exit", "stop_loss", "profit_take"])
def test_a_reducing_order_skips_the_limits(signal: str) -> None:
    long = snapshot(position_quantity=D(2), **BREACHED)
    check(long, side="sell", quantity="2", signal=signal, notional="999999")
    short = snapshot(position_quantity=D(-2), **BREACHED)
    check(short, side="buy", quantity="1", signal=signal, notional="999999")


def test_an_order_is_not_reducing_if_bigger_same_side_or_an_entry() -> None:
    long = snapshot(position_quantity=D(2), **BREACHED)
    assert refusal(long, side="sell", quantity="2.00000001", signal="exit").code == (
        "pair_not_allowed"
    )
    assert refusal(long, side="buy", quantity="1", signal="exit").code == "pair_not_allowed"
    assert refusal(long, side="sell", quantity="1", signal="entry").code == "pair_not_allowed"
    flat = snapshot(**BREACHED)
    assert not risk.reduces_position(flat, "exit", "sell", D(1))


def test_priority_by_signal() -> None:
    assert [risk.priority_of(s) for s in ("stop_loss", "exit", "entry", "profit_take")] == [
        1,
        2,
        3,
        4,
    ]
    assert risk.priority_of("anything else") == risk.OTHER_PRIORITY


# -- the snapshot over the platform's defaults ----------------------------------------------


def build(**changes: Any) -> RiskSnapshot:
    values: dict[str, Any] = {
        "settings": None,
        "status": None,
        "fallback_tier": "basic",
        "kill_switch": None,
        "position_quantity": D(0),
        "open_positions": 0,
        "trades_today": 0,
        "realised_today": D(0),
    }
    values.update(changes)
    return risk.build_snapshot(RoutingConfig(), **values)


def test_a_user_with_nothing_saved_gets_the_platform_defaults() -> None:
    snap = build()
    assert snap.equity_usd == D(100_000)
    assert snap.risk_level == "medium"
    assert snap.max_position_usd is None
    assert snap.max_daily_loss_usd == D(5_000)  # 5 % of equity
    assert (snap.tier, snap.max_open_positions, snap.trades_per_day) == ("basic", 3, 50)
    assert not snap.suspended and snap.paused is None and snap.allowed_pairs is None


def test_saved_settings_override_the_defaults_and_move_the_daily_loss_default() -> None:
    snap = build(settings={"equity_usd": D(10_000), "risk_level": "high", "allowed_pairs": ["X/Y"]})
    assert (snap.equity_usd, snap.risk_level, snap.allowed_pairs) == (D(10_000), "high", ["X/Y"])
    assert snap.max_daily_loss_usd == D(500)
    snap = build(settings={"max_daily_loss_usd": D(42), "max_position_usd": D(7)})
    assert (snap.max_daily_loss_usd, snap.max_position_usd) == (D(42), D(7))


def test_tier_comes_from_identity_else_the_token_and_unknown_tiers_get_basic_limits() -> None:
    assert build(status={"tier": "pro"}, fallback_tier="basic").max_open_positions == 10
    assert build(fallback_tier="enterprise").trades_per_day == 1000
    unknown = build(fallback_tier="platinum")
    assert (unknown.tier, unknown.max_open_positions) == ("platinum", 3)


def test_standing_from_status() -> None:
    assert build(status={"suspended": True}).suspended
    assert build(status={"paused": True}).paused == "paused"
    assert build(status={"paused": True, "paused_reason": "unknown_fill"}).paused == "unknown_fill"
    assert build(status={"paused": False, "paused_reason": "old"}).paused is None


def test_every_risk_level_the_config_accepts_has_a_cap() -> None:
    assert set(risk.RISK_LEVEL_PCT) == RISK_LEVELS
    assert all(D(2) <= pct <= D(10) for pct in risk.RISK_LEVEL_PCT.values())
