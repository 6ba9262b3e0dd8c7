"""Rows of routing's tables turned into the HTTP shapes of `schemas.py`."""

from __future__ import annotations

from typing import Any

import msgspec

from modules.routing.adapters.config import RISK_LEVEL_PCT
from modules.routing.adapters.risk import RiskSnapshot, position_cap
from modules.routing.schemas import (
    AttemptView,
    CandidateView,
    ChildView,
    DecisionSummary,
    FillView,
    OrderSummary,
    PositionView,
    RouteView,
    TradingSettingsView,
)


def summary(row: dict[str, Any]) -> OrderSummary:
    parent = row.get("parent_order_id")
    return OrderSummary(
        id=str(row["id"]),
        status=row["status"],
        symbol=row["symbol"],
        side=row["side"],
        type=row["order_type"],
        quantity=row["quantity"],
        limit_price=row["limit_price"],
        venue=row["venue"],
        client_order_id=row["client_order_id"],
        filled_quantity=row["filled_quantity"],
        average_price=row["average_price"],
        fees=row["fees"],
        reject_code=row["reject_code"],
        reject_reason=row["reject_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        signal=row["signal"],
        priority=row["priority"],
        source=row["source"],
        kind=row["kind"],
        parent_order_id=None if parent is None else str(parent),
        attempt=row["attempt"],
    )


def fill(row: dict[str, Any]) -> FillView:
    return FillView(
        id=row["fill_id"],
        price=row["price"],
        quantity=row["quantity"],
        fee=row["fee"],
        fee_currency=row["fee_currency"],
        liquidity=row["liquidity"],
        filled_at=row["filled_at"],
    )


def route(row: dict[str, Any]) -> RouteView:
    candidates = row["candidates"]
    if isinstance(candidates, str):
        candidates = candidates.encode()
    return RouteView(
        chosen=row["chosen"],
        decided_at=row["decided_at"],
        candidates=msgspec.json.decode(candidates, type=list[CandidateView]),
        attempt=row.get("attempt") or 0,
        why=row.get("why"),
    )


def attempt(row: dict[str, Any]) -> AttemptView:
    return AttemptView(
        attempt=row["attempt"],
        venue=row["venue"],
        client_order_id=row["client_order_id"],
        routed_at=row["routed_at"],
        failed_code=row["failed_code"],
        failed_reason=row["failed_reason"],
    )


def child(row: dict[str, Any]) -> ChildView:
    return ChildView(
        id=str(row["id"]),
        venue=row["venue"],
        quantity=row["quantity"],
        status=row["status"],
        filled_quantity=row["filled_quantity"],
        created_at=row["created_at"],
    )


def position(row: dict[str, Any]) -> PositionView:
    return PositionView(
        id=str(row["id"]),
        venue=row["venue"],
        symbol=row["symbol"],
        quantity=row["quantity"],
        average_price=row["average_price"],
        realized_pnl=row["realized_pnl"],
        fees=row["fees"],
        opened_at=row["opened_at"],
        updated_at=row["updated_at"],
    )


def trading_settings(snapshot: RiskSnapshot, stored: dict[str, Any] | None) -> TradingSettingsView:
    return TradingSettingsView(
        risk_level=snapshot.risk_level,  # type: ignore[arg-type]
        position_limit_pct=RISK_LEVEL_PCT[snapshot.risk_level],
        position_limit_usd=position_cap(snapshot),
        max_position_usd=snapshot.max_position_usd,
        max_daily_loss_usd=snapshot.max_daily_loss_usd,
        allowed_pairs=snapshot.allowed_pairs,
        equity_usd=snapshot.equity_usd,
        tier=snapshot.tier,
        max_open_positions=snapshot.limits.max_open_positions,
        trades_per_day=snapshot.limits.trades_per_day,
        kill_switch=snapshot.kill_switch,
    )


def decision_summary(row: dict[str, Any]) -> DecisionSummary:
    return DecisionSummary(
        order_id=str(row["order_id"]),
        attempt=row["attempt"],
        user_id=row["user_id"],
        symbol=row["symbol"],
        side=row["side"],
        quantity=row["quantity"],
        kind=row["kind"],
        chosen=row["chosen"],
        decided_at=row["decided_at"],
        why=row["why"],
    )
