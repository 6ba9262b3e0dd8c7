"""The screens' pushes on `WS /v1/ws`: trade.executed, position.updated, pnl.updated,
balance.updated and bot.status, each with a revision that only grows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from modules.strategy.contracts import BotStatusChanged
from tests.conftest import RunningApp
from tests.dashboard.helpers import messages_until_quiet, new_user, open_socket, publish
from tests.dashboard.screens import Execution, balance, minutes, routed_order


def _of(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in messages if m["type"] == kind]


async def test_fills_push_trades_positions_and_pnl_with_growing_revisions(
    running: RunningApp, now: datetime
) -> None:
    user, token = new_user(running)
    _, other_token = new_user(running)
    ex = Execution(user)
    socket = await open_socket(running, token)
    other = await open_socket(running, other_token)
    buy = routed_order(user, quantity="1")
    sell = routed_order(user, side="sell", quantity="1", signal="stop_loss")
    bought, opened = ex.fill(buy, price="100", fee="0.1", at=now - minutes(10))
    sold, closed = ex.fill(sell, price="90", fee="0.1", at=now - minutes(5))

    await publish(running, buy, sell, bought)
    first = await messages_until_quiet(socket)
    [trade] = _of(first, "trade.executed")
    assert (trade["trade"]["type"], trade["revision"]) == ("trade", 1)
    assert trade["trade"]["realised_pnl"] is None
    [pnl] = _of(first, "pnl.updated")
    assert pnl["pnl"]["today"]["trades"] == 1

    await publish(running, opened)
    second = await messages_until_quiet(socket)
    [trade] = _of(second, "trade.executed")
    assert trade["revision"] == 2 and Decimal(trade["trade"]["realised_pnl"]) == Decimal("-0.1")
    [position] = _of(second, "position.updated")
    assert position["position"]["status"] == "open" and position["revision"] == 1
    [pnl_after] = _of(second, "pnl.updated")
    assert pnl_after["revision"] > pnl["revision"]
    assert Decimal(pnl_after["pnl"]["today"]["pnl"]) == Decimal("-0.1")

    await publish(running, closed, sold)
    third = await messages_until_quiet(socket)
    closes = [m for m in _of(third, "trade.executed") if m["trade"]["type"] == "close"]
    assert closes and closes[-1]["trade"]["exit_reason"] == "stop_loss"
    assert Decimal(closes[-1]["trade"]["pnl"]) == Decimal("-10.2")
    [position] = _of(third, "position.updated")
    assert position["position"]["status"] == "closed" and position["revision"] == 2
    last_pnl = _of(third, "pnl.updated")[-1]
    assert last_pnl["revision"] > pnl_after["revision"]
    assert (
        last_pnl["pnl"]["today"]["closed"] == 1 and last_pnl["pnl"]["today"]["win_rate"] == "0.00"
    )
    assert await messages_until_quiet(other) == []
    await socket.close()
    await other.close()


async def test_balances_and_the_bots_status_are_pushed_newest_only(
    running: RunningApp, now: datetime
) -> None:
    user, token = new_user(running)
    socket = await open_socket(running, token)
    await publish(running, balance(user, "kraken", "500", now - minutes(5)))
    await publish(running, balance(user, "kraken", "520", now - minutes(1)))
    await publish(running, balance(user, "kraken", "480", now - minutes(3)))  # late, older
    await publish(
        running,
        BotStatusChanged(
            user_id=user, status="paused", previous="running", reason="user", occurred_at=now
        ),
    )
    messages = await messages_until_quiet(socket)
    balances = _of(messages, "balance.updated")
    assert [(m["balance"]["equity_usd"], m["revision"]) for m in balances] == [
        ("500", 1),
        ("520", 2),
    ]
    [bot] = _of(messages, "bot.status")
    assert (bot["bot"]["status"], bot["bot"]["reason"], bot["revision"]) == ("paused", "user", 1)
    await socket.close()
