"""Playing the other modules for the screens' tests: execution's fills and positions (with
execution's own fold, so the events are what it publishes), routing's decisions, strategy's
bot events, bars and balances."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from modules.execution.contracts import BalanceChanged, BarClosed, OrderFilled, PositionChanged
from modules.execution.domain.ids import position_id
from modules.execution.domain.positions import PositionState, apply_fill, fee_in_quote, status
from modules.kernel.events import IntegrationEvent
from modules.routing.contracts import OrderRouted

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def routed_order(
    user_id: str,
    *,
    venue: str = "binance",
    symbol: str = "BTC/USD",
    side: str = "buy",
    quantity: str = "1",
    signal: str = "manual",
    order_id: str | None = None,
    at: datetime = T0,
    **extra: Any,
) -> OrderRouted:
    order_id = order_id or str(uuid.uuid4())
    values: dict[str, Any] = {
        "order_id": order_id,
        "user_id": user_id,
        "client_order_id": "nija-" + order_id.replace("-", "")[:24],
        "symbol": symbol,
        "side": side,
        "order_type": "market",
        "quantity": Decimal(quantity),
        "venue": venue,
        "credential_id": str(uuid.uuid4()),
        "signal": signal,
        "expected_price": Decimal("100"),
        "expected_fee": Decimal("0.1"),
        "original_order_id": order_id,
        "occurred_at": at,
    }
    values.update(extra)
    return OrderRouted(**values)


@dataclass
class Execution:
    """One user's positions as execution folds them, fill by fill."""

    user_id: str
    states: dict[str, PositionState] = field(default_factory=dict)

    def position_id(self, venue: str, symbol: str) -> str:
        return position_id(self.user_id, venue, symbol)

    def fill(
        self,
        order: OrderRouted,
        *,
        price: str | Decimal,
        quantity: str | Decimal | None = None,
        fee: str | Decimal = "0",
        fee_currency: str = "USD",
        at: datetime = T0,
        fill_id: str | None = None,
    ) -> tuple[OrderFilled, PositionChanged]:
        price, fee = Decimal(price), Decimal(fee)
        amount = order.quantity if quantity is None else Decimal(quantity)
        fill_id = fill_id or uuid.uuid4().hex
        pid = self.position_id(order.venue, order.symbol)
        before = self.states.get(pid, PositionState())
        valued = fee_in_quote(order.symbol, fee, fee_currency, price)
        state = apply_fill(before, order.side, price, amount, valued or Decimal(0))
        self.states[pid] = state
        filled = OrderFilled(
            order_id=order.order_id,
            user_id=self.user_id,
            venue=order.venue,
            fill_id=fill_id,
            symbol=order.symbol,
            side=order.side,
            price=price,
            quantity=amount,
            fee=fee,
            fee_currency=fee_currency,
            liquidity="taker",
            filled_quantity=amount,
            remaining_quantity=Decimal(0),
            average_price=price,
            status="filled",
            occurred_at=at,
        )
        changed = PositionChanged(
            position_id=pid,
            user_id=self.user_id,
            venue=order.venue,
            symbol=order.symbol,
            quantity=state.quantity,
            average_entry=state.average_entry,
            realised_pnl=state.realised_pnl,
            fees=state.fees,
            fill_id=fill_id,
            status=status(state),
            realised_delta=state.realised_pnl - before.realised_pnl,
            version=state.version,
            occurred_at=at,
        )
        return filled, changed


def bar(venue: str, symbol: str, start: datetime, close: str, timeframe: str = "1m") -> BarClosed:
    price = Decimal(close)
    return BarClosed(
        venue=venue,
        symbol=symbol,
        timeframe=timeframe,  # type: ignore[arg-type]
        start=start,
        open=price,
        high=price,
        low=price,
        close=price,
        volume=Decimal(1),
    )


def balance(user_id: str, venue: str, equity: str, at: datetime, **held: str) -> BalanceChanged:
    return BalanceChanged(
        user_id=user_id,
        venue=venue,
        credential_id=str(uuid.uuid4()),
        balances={asset: Decimal(v) for asset, v in (held or {"USD": equity}).items()},
        equity_usd=Decimal(equity),
        occurred_at=at,
    )


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def flatten(*groups: tuple[IntegrationEvent, ...] | IntegrationEvent) -> list[IntegrationEvent]:
    out: list[IntegrationEvent] = []
    for group in groups:
        out.extend(group if isinstance(group, tuple) else (group,))
    return out


async def get_json(running: Any, token: str, path: str, expect: int = 200, **params: Any) -> Any:
    """GET `path` as the token's user; the body, once the status is the one expected."""
    from tests.dashboard.helpers import bearer

    response = await running.client.get(path, params=params or None, headers=bearer(token))
    assert response.status_code == expect, response.text
    if expect >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


async def publish_all(running: Any, events: list[IntegrationEvent], at_once: int = 64) -> None:
    """Publish concurrently, `at_once` in flight (the bus may then deliver them in any order),
    and wait until everything is handled."""
    import asyncio

    from modules.kernel.events import envelope_for

    for start in range(0, len(events), at_once):
        chunk = events[start : start + at_once]
        await asyncio.gather(
            *(running.runtime.pubsub.publish(envelope_for(e, "test")) for e in chunk)
        )
    await running.settle()
