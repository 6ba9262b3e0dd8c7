"""Read-model rows and contract events for the dashboard's rule tests: values only, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from modules.dashboard.domain.read_model import FillRecord, OrderRecord
from modules.execution.contracts import OrderAccepted, OrderExpired, OrderFilled, OrderRejected
from modules.routing.contracts import OrderRouted

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def order(**overrides: Any) -> OrderRecord:
    values: dict[str, Any] = {
        "order_id": "o-1",
        "user_id": "u-1",
        "symbol": "BTC-USD",
        "side": "buy",
        "order_type": "market",
        "quantity": Decimal("1"),
        "venue": "kraken",
        "created_at": T0,
        "updated_at": T0,
        "revision": 1,
    }
    values.update(overrides)
    return OrderRecord(**values)


def routed(**overrides: Any) -> OrderRouted:
    values: dict[str, Any] = {
        "order_id": "o-1",
        "user_id": "u-1",
        "client_order_id": "nija-1",
        "symbol": "BTC-USD",
        "side": "buy",
        "order_type": "limit",
        "quantity": Decimal("1"),
        "limit_price": Decimal("65000"),
        "venue": "kraken",
        "credential_id": "c-1",
        "expected_price": Decimal("65000"),
        "expected_fee": Decimal("1"),
        "occurred_at": T0 + timedelta(seconds=1),
    }
    values.update(overrides)
    return OrderRouted(**values)


def accepted(**overrides: Any) -> OrderAccepted:
    values: dict[str, Any] = {
        "order_id": "o-1",
        "user_id": "u-1",
        "venue": "binance",
        "client_order_id": "nija-1",
        "venue_order_id": "B-1",
    }
    values.update(overrides)
    return OrderAccepted(**values)


def filled(**overrides: Any) -> OrderFilled:
    values: dict[str, Any] = {
        "order_id": "o-1",
        "user_id": "u-1",
        "venue": "kraken",
        "fill_id": "f-1",
        "symbol": "BTC-USD",
        "side": "buy",
        "price": Decimal("100"),
        "quantity": Decimal("0.4"),
        "fee": Decimal("0.1"),
        "fee_currency": "USD",
        "liquidity": "taker",
        "filled_quantity": Decimal("0.4"),
        "remaining_quantity": Decimal("0.6"),
        "average_price": Decimal("100"),
        "status": "partially_filled",
        "occurred_at": T0 + timedelta(seconds=2),
    }
    values.update(overrides)
    return OrderFilled(**values)


def rejected(**overrides: Any) -> OrderRejected:
    values: dict[str, Any] = {
        "order_id": "o-1",
        "user_id": "u-1",
        "venue": "kraken",
        "code": "insufficient_funds",
        "reason": "Not enough USD",
    }
    values.update(overrides)
    return OrderRejected(**values)


def expired(**overrides: Any) -> OrderExpired:
    values: dict[str, Any] = {
        "order_id": "o-1",
        "user_id": "u-1",
        "venue": "kraken",
        "filled_quantity": Decimal("0.3"),
        "remaining_quantity": Decimal("0.7"),
        "reason": "no liquidity",
    }
    values.update(overrides)
    return OrderExpired(**values)


def fill(**overrides: Any) -> FillRecord:
    values: dict[str, Any] = {
        "order_id": "o-1",
        "fill_id": "f-1",
        "user_id": "u-1",
        "venue": "kraken",
        "price": Decimal("65010.5"),
        "quantity": Decimal("0.25"),
        "fee": Decimal("0.5"),
        "fee_currency": "USD",
        "liquidity": "taker",
        "executed_at": T0,
    }
    values.update(overrides)
    return FillRecord(**values)
