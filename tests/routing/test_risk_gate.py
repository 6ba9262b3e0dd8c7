"""The risk gate, rule by rule, through HTTP; routing runs alone and the test plays execution."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from modules.identity.contracts import UserReinstated, UserSuspended, UserTierChanged
from modules.kernel.auth import Principal
from modules.routing.contracts import OrderRouted
from tests.conftest import RunningApp
from tests.routing.support import (
    Tap,
    Trader,
    admin_headers,
    announce,
    connect,
    fill_event,
    new_trader,
    order,
    position_event,
    routing_only,
    trade_settings,
)

VENUES = ("coinbase", "kraken", "binance")
D = Decimal


@pytest.fixture
async def alone(make_settings: Any, database_url: str, monkeypatch: Any) -> Any:
    # A generous order-rate burst: these tests place orders back to back on purpose.
    async with routing_only(make_settings, database_url, monkeypatch, order_rate_burst=100) as pair:
        yield pair


async def _trader(running: RunningApp) -> Trader:
    trader = new_trader(running)
    await connect(running, trader, VENUES)
    return trader


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


async def _fill_last(
    running: RunningApp,
    tap: Tap,
    trader: Trader,
    price: Decimal,
    *,
    held: Decimal,
    version: int = 1,
    realised: Decimal = Decimal(0),
) -> str:
    """Fill the trader's last routed order at `price` and report the position it leaves
    (`held`, its `version`, what the fill `realised`), as execution would; its id."""
    await running.settle()
    routed = [e for e in tap.of(OrderRouted, user_id=trader.user_id)]
    last = max(routed, key=lambda e: e.occurred_at)
    moved = position_event(last, quantity=held, version=version, realised_delta=realised)
    await announce(running, fill_event(last, price), moved)
    return str(moved.position_id)


async def test_signal_sets_priority_and_bad_signal_is_refused(alone: tuple[RunningApp, Tap]):
    running, tap = alone
    trader = await _trader(running)
    for signal, priority in (("stop_loss", 1), ("exit", 2), ("entry", 3), ("profit_take", 4)):
        response = await order(running, trader, signal=signal, quantity="0.01")
        assert response.status_code == 202, response.text
        await running.settle()
        routed = tap.of(OrderRouted, order_id=response.json()["id"])
        assert [(e.signal, e.priority) for e in routed] == [(signal, priority)]
    _problem(await order(running, trader, signal="panic"), 400, "invalid_request")
    listed = (await running.client.get("/v1/orders", headers=trader.headers)).json()["items"]
    assert {o["signal"]: o["priority"] for o in listed} == {
        "stop_loss": 1,
        "exit": 2,
        "entry": 3,
        "profit_take": 4,
    }


async def test_suspended_user_is_refused_until_reinstated(alone: tuple[RunningApp, Tap]):
    running, _ = alone
    trader = await _trader(running)
    now = datetime.now(UTC)
    await announce(running, UserSuspended(user_id=trader.user_id, reason="chargeback"))
    _problem(await order(running, trader), 403, "user_suspended")
    # A reinstatement older than the suspension arrives late: it does not lift it.
    stale = UserReinstated(user_id=trader.user_id, occurred_at=now - timedelta(minutes=5))
    await announce(running, stale)
    _problem(await order(running, trader), 403, "user_suspended")
    await announce(running, UserReinstated(user_id=trader.user_id))
    assert (await order(running, trader)).status_code == 202


async def test_global_and_user_kill_switches(alone: tuple[RunningApp, Tap]):
    running, _ = alone
    trader, other = await _trader(running), await _trader(running)
    admin = admin_headers(running)
    url = "/v1/admin/kill-switch"
    refused = await running.client.post(
        url, json={"scope": "global", "active": True}, headers=trader.headers
    )
    assert refused.status_code == 403
    halt = await running.client.post(url, json={"scope": "global", "active": True}, headers=admin)
    assert halt.status_code == 200, halt.text
    for who in (trader, other):
        _problem(await order(running, who), 403, "kill_switch_active")
    await running.client.post(url, json={"scope": "global", "active": False}, headers=admin)
    assert (await order(running, trader)).status_code == 202

    # An admin's per-user switch: only that user is halted, and only an admin lifts it.
    body = {"scope": "user", "user_id": trader.user_id, "active": True}
    assert (await running.client.post(url, json=body, headers=admin)).status_code == 200
    _problem(await order(running, trader), 403, "kill_switch_active")
    assert (await order(running, other)).status_code == 202
    resume = await running.client.delete("/v1/settings/trading/kill-switch", headers=trader.headers)
    _problem(resume, 403, "kill_switch_admin_only")
    _problem(
        await running.client.post(url, json={"scope": "user", "active": True}, headers=admin),
        422,
        "user_id_with_scope",
    )
    await running.client.post(url, json={**body, "active": False}, headers=admin)
    assert (await order(running, trader)).status_code == 202


async def test_trader_own_kill_switch_and_step_up_to_resume(alone: tuple[RunningApp, Tap]):
    running, _ = alone
    trader = await _trader(running)
    # The trader has a second factor enrolled but proved it an hour ago.
    stale = running.runtime.tokens.issue(
        Principal(
            user_id=trader.user_id,
            role="trader",
            second_factor=True,
            second_factor_at=int(time.time()) - 3600,
        )
    )
    fresh = running.runtime.tokens.issue(
        Principal(
            user_id=trader.user_id,
            role="trader",
            second_factor=True,
            second_factor_at=int(time.time()),
        )
    )
    path = "/v1/settings/trading/kill-switch"
    halted = await running.client.post(path, headers={"Authorization": f"Bearer {stale}"})
    assert halted.status_code == 200 and halted.json()["active"] is True
    _problem(await order(running, trader), 403, "kill_switch_active")
    settings = (await running.client.get("/v1/settings/trading", headers=trader.headers)).json()
    assert settings["kill_switch"] == "user"
    _problem(
        await running.client.delete(path, headers={"Authorization": f"Bearer {stale}"}),
        403,
        "step_up_required",
    )
    resumed = await running.client.delete(path, headers={"Authorization": f"Bearer {fresh}"})
    assert resumed.status_code == 200 and resumed.json()["active"] is False
    assert (await order(running, trader)).status_code == 202


async def test_pair_must_be_allowed(alone: tuple[RunningApp, Tap]):
    running, _ = alone
    trader = await _trader(running)
    settings = await trade_settings(running, trader, allowed_pairs=["eth/usd"])
    assert settings["allowed_pairs"] == ["ETH/USD"]
    _problem(await order(running, trader), 422, "pair_not_allowed")
    assert (await order(running, trader, symbol="ETH/USD", quantity="0.1")).status_code == 202
    await trade_settings(running, trader, allowed_pairs=None)
    assert (await order(running, trader)).status_code == 202
    bad = await running.client.patch(
        "/v1/settings/trading", json={"allowed_pairs": ["BTCUSD"]}, headers=trader.headers
    )
    _problem(bad, 400, "invalid_request")


async def test_position_size_is_capped_by_risk_level_and_max_position(
    alone: tuple[RunningApp, Tap],
):
    running, _ = alone
    trader = await _trader(running)
    settings = (await running.client.get("/v1/settings/trading", headers=trader.headers)).json()
    # Defaults: 100,000 USD equity at risk level medium (5 %) -> 5,000 USD; BTC is at 50,000.
    assert Decimal(settings["equity_usd"]) == 100_000
    assert (settings["risk_level"], Decimal(settings["position_limit_usd"])) == ("medium", 5000)
    assert (await order(running, trader, quantity="0.09")).status_code == 202
    body = _problem(await order(running, trader, quantity="0.11"), 422, "position_size_exceeded")
    assert "5000" in body["detail"]

    await trade_settings(running, trader, risk_level="high")  # 10 % -> 10,000 USD
    assert (await order(running, trader, quantity="0.19")).status_code == 202
    _problem(await order(running, trader, quantity="0.21"), 422, "position_size_exceeded")
    await trade_settings(running, trader, max_position_usd="1000")
    _problem(await order(running, trader, quantity="0.03"), 422, "position_size_exceeded")
    await trade_settings(
        running, trader, max_position_usd=None, risk_level="low", equity_usd="50000"
    )
    _problem(await order(running, trader, quantity="0.03"), 422, "position_size_exceeded")  # 1000
    assert (await order(running, trader, quantity="0.019")).status_code == 202
    # A limit order is valued at its limit price.
    _problem(
        await order(running, trader, type="limit", quantity="0.019", limit_price="60000"),
        422,
        "position_size_exceeded",
    )


async def test_max_open_positions_by_tier_and_exits_still_pass(alone: tuple[RunningApp, Tap]):
    running, tap = alone
    trader = await _trader(running)
    prices = {"BTC/USD": Decimal(50000), "ETH/USD": Decimal(2500), "SOL/USD": Decimal(100)}
    sizes = {"BTC/USD": "0.05", "ETH/USD": "1"}
    await running.client.patch(
        "/v1/settings/trading", json={"risk_level": "high"}, headers=trader.headers
    )
    await announce(running, UserTierChanged(user_id=trader.user_id, tier="basic"))
    for symbol in ("BTC/USD", "ETH/USD"):
        assert (
            await order(running, trader, symbol=symbol, quantity=sizes[symbol])
        ).status_code == 202
        await _fill_last(running, tap, trader, prices[symbol], held=Decimal(sizes[symbol]))
    # Basic allows 3 open positions.
    assert (await order(running, trader, symbol="SOL/USD", quantity="2")).status_code == 202
    sol = await _fill_last(running, tap, trader, prices["SOL/USD"], held=Decimal(2))

    # A fourth symbol would open a fourth position.
    await _publish_xrp(running)
    _problem(
        await order(running, trader, symbol="XRP/USD", quantity="100"), 422, "max_open_positions"
    )
    # Adding to an open position is fine; so is closing one.
    assert (await order(running, trader, symbol="BTC/USD", quantity="0.01")).status_code == 202
    closed = await running.client.post(f"/v1/positions/{sol}/close", headers=trader.headers)
    assert closed.status_code == 202, closed.text
    await running.settle()
    exit_order = tap.of(OrderRouted, order_id=closed.json()["id"])[0]
    assert (exit_order.side, exit_order.quantity, exit_order.signal, exit_order.priority) == (
        "sell",
        Decimal("2"),
        "exit",
        2,
    )
    sol_buy = tap.of(OrderRouted, user_id=trader.user_id, symbol="SOL/USD", signal="entry")[0]
    assert exit_order.venue == sol_buy.venue  # sold where it is held
    # Pro allows 10.
    await announce(running, UserTierChanged(user_id=trader.user_id, tier="pro"))
    assert (await order(running, trader, symbol="XRP/USD", quantity="100")).status_code == 202


async def _publish_xrp(running: RunningApp) -> None:
    from tests.routing.support import SYMBOL_MIDS, publish_books

    SYMBOL_MIDS.setdefault("XRP/USD", Decimal("0.5"))
    await publish_books(running, ("XRP/USD",), level_size=Decimal(10000))


async def test_trades_per_day_by_tier(make_settings: Any, database_url: str, monkeypatch: Any):
    tiers = '{"basic": {"max_open_positions": 3, "trades_per_day": 2}}'
    async with routing_only(make_settings, database_url, monkeypatch, tiers=tiers) as (running, _):
        trader = await _trader(running)
        settings = (await running.client.get("/v1/settings/trading", headers=trader.headers)).json()
        assert (settings["tier"], settings["trades_per_day"]) == ("basic", 2)
        assert settings["max_open_positions"] == 3
        for _ in range(2):
            assert (await order(running, trader)).status_code == 202
        _problem(await order(running, trader), 422, "daily_trade_limit")
        # Enterprise keeps its default (1000).
        await announce(running, UserTierChanged(user_id=trader.user_id, tier="enterprise"))
        assert (await order(running, trader)).status_code == 202


async def test_daily_loss_limit_from_realised_fills(alone: tuple[RunningApp, Tap]):
    running, tap = alone
    trader = await _trader(running)
    await trade_settings(running, trader, max_daily_loss_usd="50")
    assert (await order(running, trader, quantity="0.05")).status_code == 202
    position = await _fill_last(
        running, tap, trader, Decimal(50000), held=Decimal("0.05"), realised=Decimal("-1.5")
    )
    assert (await order(running, trader, quantity="0.01")).status_code == 202  # -1.5 of 50
    await _fill_last(
        running, tap, trader, Decimal(50000), held=Decimal("0.06"), version=2, realised=D("-0.3")
    )
    closed = await running.client.post(f"/v1/positions/{position}/close", headers=trader.headers)
    assert closed.status_code == 202
    await running.settle()
    exit_order = tap.of(OrderRouted, order_id=closed.json()["id"])[0]
    assert (exit_order.side, exit_order.quantity) == ("sell", Decimal("0.06"))
    # Sold 0.06 BTC 2,000 lower (-120) and its fee: today's realised loss passes 50.
    await _fill_last(
        running, tap, trader, Decimal(48000), held=Decimal(0), version=3, realised=D("-121.8")
    )
    _problem(await order(running, trader, quantity="0.01"), 422, "daily_loss_limit")
    _problem(
        await running.client.post(f"/v1/positions/{position}/close", headers=trader.headers),
        404,
        "position_not_found",
    )


async def test_the_read_copy_keeps_the_newest_position_whatever_the_delivery_order(
    alone: tuple[RunningApp, Tap],
):
    running, tap = alone
    trader = await _trader(running)
    await trade_settings(running, trader, max_daily_loss_usd="50")
    assert (await order(running, trader, quantity="0.05")).status_code == 202
    await running.settle()
    (bought,) = tap.of(OrderRouted, user_id=trader.user_id)
    closing = position_event(bought, quantity=Decimal(0), version=2, realised_delta=D(-30))
    opening = position_event(bought, quantity=Decimal("0.05"), version=1, realised_delta=D(-25))
    # The closing fill's report overtakes the opening one's.
    await announce(running, closing)
    await announce(running, opening)
    _problem(
        await running.client.post(
            f"/v1/positions/{opening.position_id}/close", headers=trader.headers
        ),
        404,
        "position_not_found",
    )
    # Each fill's realised P&L counts once, in whatever order: -55 today.
    _problem(await order(running, trader, quantity="0.01"), 422, "daily_loss_limit")


async def test_order_rate_is_limited_per_user(
    make_settings: Any, database_url: str, monkeypatch: Any
):
    async with routing_only(
        make_settings, database_url, monkeypatch, order_rate_burst=3, order_rate_per_second=1
    ) as (running, _):
        trader, other = await _trader(running), await _trader(running)
        statuses = [(await order(running, trader)).status_code for _ in range(3)]
        assert statuses == [202, 202, 202]
        limited = await order(running, trader)
        _problem(limited, 429, "order_rate_exceeded")
        assert int(limited.headers["retry-after"]) >= 1
        assert (await order(running, other)).status_code == 202  # another user's own bucket
        await _sleep(1.05)
        assert (await order(running, trader)).status_code == 202


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_strategy_intents_take_the_same_path(alone: tuple[RunningApp, Tap]):
    running, tap = alone
    trader = await _trader(running)
    service = running.app.state.platform.modules["routing"].intake
    placed = await service.submit_intent(
        trader.user_id, symbol="BTC/USD", side="buy", quantity=Decimal("0.02"), signal="entry"
    )
    assert placed.status == 202
    await running.settle()
    assert tap.of(OrderRouted, order_id=placed.body.id)[0].priority == 3
    detail = (
        await running.client.get(f"/v1/orders/{placed.body.id}", headers=trader.headers)
    ).json()
    assert detail["source"] == "strategy"
    from modules.kernel.refusal import Refused

    with pytest.raises(Refused) as refused:
        await service.submit_intent(
            trader.user_id, symbol="BTC/USD", side="buy", quantity=Decimal("1")
        )
    assert refused.value.code == "position_size_exceeded"


async def test_execution_pausing_a_user_refuses_their_orders(alone: tuple[RunningApp, Tap]):
    from modules.execution.contracts import UserTradingPaused, UserTradingResumed

    running, _ = alone
    trader = await _trader(running)
    await announce(running, UserTradingPaused(user_id=trader.user_id, reason="consecutive_errors"))
    body = _problem(await order(running, trader), 403, "trading_paused")
    assert "consecutive_errors" in body["detail"]
    await announce(running, UserTradingResumed(user_id=trader.user_id))
    assert (await order(running, trader)).status_code == 202


@pytest.mark.parametrize(
    "body",
    [
        {"equity_usd": "-5"},
        {"equity_usd": "NaN"},
        {"max_daily_loss_usd": "0"},
        {"risk_level": "extreme"},
        {"allowed_pairs": "BTC/USD"},
        {"leverage": 10},
    ],
)
async def test_bad_trading_settings_are_problems(
    alone: tuple[RunningApp, Tap], body: dict[str, Any]
):
    running, _ = alone
    trader = await _trader(running)
    response = await running.client.patch("/v1/settings/trading", json=body, headers=trader.headers)
    _problem(response, 400, "invalid_request")
    settings = (await running.client.get("/v1/settings/trading", headers=trader.headers)).json()
    assert (settings["risk_level"], Decimal(settings["equity_usd"])) == ("medium", 100_000)


async def test_trades_today_does_not_read_the_order_history(
    make_settings: Any, database_url: str, monkeypatch: Any
) -> None:
    """50,000 orders of history and a busy day for others: the load of the user's view (what
    the gate reads) touches no order at all, and the tier's daily limit still holds exactly."""
    import json

    import asyncpg

    from modules.routing.repository.user_views import _LOAD

    tiers = '{"basic": {"max_open_positions": 3, "trades_per_day": 3}}'
    async with routing_only(make_settings, database_url, monkeypatch, tiers=tiers) as (running, _):
        trader = await _trader(running)
        assert (await order(running, trader)).status_code == 202
        conn = await asyncpg.connect(database_url)
        try:
            placed = await conn.fetchval(
                "SELECT id FROM routing.orders WHERE user_id = $1", trader.user_id
            )
            for extra in (
                # the user's history, back-dated one to five days
                "'client_order_id', 'old-' || g,"
                " 'created_at', now() - interval '1 day' - g * interval '8 seconds'",
                # today's orders of 2,000 other traders
                "'client_order_id', 'busy-' || g, 'user_id', 'other-' || (g % 2000),"
                " 'created_at', now() - g * interval '1 ms'",
            ):
                # LATERAL, not `(jsonb_populate_record(...)).*`, which runs the function once
                # per column of every row.
                await conn.execute(
                    "INSERT INTO routing.orders SELECT copy.* FROM routing.orders o,"
                    " generate_series(1, 25000) g, LATERAL jsonb_populate_record(o,"
                    f" jsonb_build_object('id', gen_random_uuid(), {extra})) copy"
                    " WHERE o.id = $1",
                    placed,
                )
            await conn.execute("ANALYZE routing.orders")
            plan = await conn.fetchval(
                "EXPLAIN (FORMAT JSON) " + _LOAD, trader.user_id, datetime.now(UTC).date()
            )
        finally:
            await conn.close()
        assert '"Relation Name": "orders"' not in json.dumps(json.loads(plan)), plan
        for _ in range(2):  # today: one placed above, two more reach the limit of three
            assert (await order(running, trader)).status_code == 202
        _problem(await order(running, trader), 422, "daily_trade_limit")
