"""The bot end to end over HTTP: a paper bot on a simulated venue, fed crafted closed bars,
enters on an APEX signal, records its stop, is stopped out by a bar breaching it, and the P&L
shows in execution's positions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from modules.execution.contracts import BarClosed
from modules.strategy.domain.bars import Bar
from tests.conftest import RunningApp
from tests.routing.support import Trader, announce, connect, new_trader, roomy
from tests.strategy.series import bar, entry_series

VENUE, SYMBOL = "binance", "SOL/USD"
SCALE = 1.35  # the series around 150, where the simulated SOL/USD trades


async def wait_for(running: RunningApp, predicate: Any, rounds: int = 20) -> None:
    """Deliver every event (and let execution go idle) until `predicate` holds.

    Asked after each settle, not on a timer: a trader's plan allows 60 requests a minute.
    """
    for _ in range(rounds):
        await running.settle()
        if await predicate():
            return
    raise AssertionError("condition not reached after every event was delivered")


async def close_bar(running: RunningApp, b: Bar) -> None:
    await announce(
        running,
        BarClosed(
            venue=VENUE,
            symbol=SYMBOL,
            timeframe="5m",
            start=b.start,
            open=b.open,
            high=b.high,
            low=b.low,
            close=b.close,
            volume=b.volume,
        ),
    )


async def bot(running: RunningApp, trader: Trader) -> dict[str, Any]:
    response = await running.client.get("/v1/bot", headers=trader.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def signals(running: RunningApp, trader: Trader) -> list[dict[str, Any]]:
    response = await running.client.get("/v1/signals", headers=trader.headers)
    assert response.status_code == 200, response.text
    return response.json()["signals"]  # type: ignore[no-any-return]


async def running_bot(running: RunningApp) -> Trader:
    trader = new_trader(running)
    await connect(running, trader, (VENUE,))
    await roomy(running, trader)
    response = await running.client.put(
        "/v1/bot",
        json={"venue": VENUE, "pairs": [SYMBOL], "timeframe": "5m", "max_position_usd": "900"},
        headers=trader.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "off" and response.json()["mode"] == "paper"
    response = await running.client.post("/v1/bot/start", headers=trader.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "running"
    return trader


async def test_a_paper_bot_enters_records_its_stop_and_is_stopped_out(
    running: RunningApp,
) -> None:
    series = entry_series(scale=SCALE)
    # The history warms the pair's window up before the bot runs, so the last bar is its entry.
    for b in series[:-1]:
        await close_bar(running, b)
    trader = await running_bot(running)
    await close_bar(running, series[-1])

    async def entered() -> bool:
        positions = (await bot(running, trader))["open_positions"]
        return bool(positions) and positions[0]["status"] == "open"

    await wait_for(running, entered)
    view = await bot(running, trader)
    [position] = view["open_positions"]
    [entry] = await signals(running, trader)
    assert entry["action"] == "entry" and view["last_signal_at"] is not None
    detail = entry["detail"]["signal"]
    assert detail["score"] == 4 and all(detail["filter"].values())
    assert Decimal(position["stop"]) == Decimal(detail["stop"])
    assert Decimal(position["quantity"]) == Decimal(entry["detail"]["quantity"]) > 0
    assert entry["orders"][0]["status"] == "filled"

    stop = Decimal(position["stop"])
    breach = float(stop / Decimal(str(SCALE))) - 3
    await close_bar(
        running, bar(len(series), breach, breach + 0.5, breach - 0.5, breach, scale=SCALE)
    )

    async def stopped_out() -> bool:
        latest = await signals(running, trader)
        return (
            not (await bot(running, trader))["open_positions"]
            and latest[0]["action"] == "stop_loss"
            and latest[0]["orders"][0]["status"] == "filled"
        )

    await wait_for(running, stopped_out)
    [stop_signal, _entry] = await signals(running, trader)
    assert Decimal(stop_signal["orders"][0]["filled_quantity"]) == Decimal(position["quantity"])
    response = await running.client.get("/v1/positions", headers=trader.headers)
    [held] = [p for p in response.json() if p["symbol"] == SYMBOL]
    assert held["status"] == "closed" and Decimal(held["quantity"]) == 0
    assert Decimal(held["realised_pnl"]) != 0  # the round trip's gain or loss, net of fees


async def test_a_kill_switch_pauses_the_bot_and_it_cannot_start_until_lifted(
    running: RunningApp,
) -> None:
    trader = await running_bot(running)
    halt = await running.client.post("/v1/settings/trading/kill-switch", headers=trader.headers)
    assert halt.status_code == 200, halt.text
    await running.settle()

    async def paused() -> bool:
        return (await bot(running, trader))["status"] == "paused"

    await wait_for(running, paused)
    assert "kill switch" in (await bot(running, trader))["paused_reason"]
    refused = await running.client.post("/v1/bot/start", headers=trader.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "bot_halted"


async def test_going_live_needs_a_fresh_second_factor_and_bodies_are_strict(
    running: RunningApp,
) -> None:
    import time
    import uuid

    from modules.kernel.auth import Principal

    stale = Principal(
        user_id=str(uuid.uuid4()),
        role="trader",
        second_factor=True,
        second_factor_at=int(time.time()) - 3600,
    )
    headers = {"Authorization": f"Bearer {running.runtime.tokens.issue(stale)}"}
    live = await running.client.put("/v1/bot", json={"mode": "live"}, headers=headers)
    assert live.status_code == 403 and live.json()["code"] == "step_up_required"
    lower = await running.client.put("/v1/bot", json={"max_position_usd": "10"}, headers=headers)
    assert lower.status_code == 200 and lower.json()["max_position_usd"] == "10"
    for body in ({"mode": "live", "extra": 1}, {"pairs": ["BTC/USD"] * 21}, {"venue": "x" * 40}):
        response = await running.client.put("/v1/bot", json=body, headers=headers)
        assert response.status_code in (400, 422), (body, response.text)
