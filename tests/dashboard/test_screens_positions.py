"""Positions over HTTP: the list (filters, paging, summary), one position with the bot's
strategy block, and its chart; built from execution's, routing's and strategy's events."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from modules.strategy.contracts import BotPositionChanged, SignalRecorded
from tests.conftest import RunningApp
from tests.dashboard.helpers import new_user, publish
from tests.dashboard.screens import (
    T0,
    Execution,
    bar,
    get_json,
    minutes,
    publish_all,
    routed_order,
)

POSITIONS = "/v1/dashboard/positions"


async def _trade(
    running: RunningApp, ex: Execution, at: float, side: str, quantity: str, price: str, **kw: Any
) -> Any:
    order = routed_order(ex.user_id, side=side, quantity=quantity, at=T0 + minutes(at), **kw)
    filled, changed = ex.fill(order, price=price, fee=kw.pop("fee", "0.1"), at=T0 + minutes(at))
    await publish(running, order, filled, changed)
    return order, filled, changed


async def _book(running: RunningApp) -> tuple[str, str, Execution]:
    """A user with a closed winner and a closed loser on binance BTC, and an open ETH position
    on kraken marked 20 above its entry."""
    user, token = new_user(running)
    ex = Execution(user)
    await _trade(running, ex, 1, "buy", "1", "100")
    await _trade(running, ex, 2, "sell", "1", "120", signal="profit_take")
    await _trade(running, ex, 3, "buy", "2", "100")
    await _trade(running, ex, 4, "sell", "2", "90", signal="stop_loss")
    await _trade(running, ex, 5, "buy", "0.5", "2000", symbol="ETH/USD", venue="kraken")
    await publish(running, bar("kraken", "ETH/USD", T0 + minutes(10), "2040"))
    return user, token, ex


async def test_positions_list_newest_first_with_figures_and_summary(
    running: RunningApp, now: datetime
) -> None:
    _, token, ex = await _book(running)
    page = await get_json(running, token, POSITIONS)
    eth, loser, winner = page["items"]
    assert [p["status"] for p in page["items"]] == ["open", "closed", "closed"]
    assert winner["id"] == loser["id"] == ex.position_id("binance", "BTC/USD")
    assert (winner["cycle"], loser["cycle"]) == (1, 3)
    assert Decimal(winner["pnl"]) == Decimal("19.8")  # 20 less two 0.1 fees
    assert winner["exit_reason"] == "take_profit" and loser["exit_reason"] == "stop_loss"
    assert Decimal(loser["pnl"]) == Decimal("-20.2") and Decimal(loser["size"]) == 2
    assert Decimal(loser["current_price"]) == 90 and Decimal(loser["amount"]) == 200
    assert loser["duration_seconds"] == 60
    # Open: marked at the last bar's close, its own fee already realised.
    assert (eth["venue"], eth["side"], eth["closed_at"]) == ("kraken", "long", None)
    assert Decimal(eth["current_price"]) == 2040 and Decimal(eth["unrealised_pnl"]) == 20
    assert Decimal(eth["realised_pnl"]) == Decimal("-0.1")
    assert Decimal(eth["pnl"]) == Decimal("19.9") and Decimal(eth["value"]) == 1020
    assert eth["pnl_pct"] == "1.99"
    assert eth["duration_seconds"] == int((now - (T0 + minutes(5))).total_seconds())
    summary = page["summary"]
    assert (summary["open"], summary["closed"]) == (1, 2)
    assert (Decimal(summary["value"]), Decimal(summary["unrealised"])) == (1020, 20)


async def test_filters_by_venue_symbol_status_and_pnl_sign(
    running: RunningApp, now: datetime
) -> None:
    _, token, _ = await _book(running)

    async def cycles(**params: Any) -> list[tuple[str, int]]:
        page = await get_json(running, token, POSITIONS, **params)
        return [(p["symbol"], p["cycle"]) for p in page["items"]]

    assert await cycles(venue="kraken") == [("ETH/USD", 1)]
    assert await cycles(symbol="BTC/USD") == [("BTC/USD", 3), ("BTC/USD", 1)]
    assert await cycles(status="open") == [("ETH/USD", 1)]
    assert await cycles(status="closed", pnl="positive") == [("BTC/USD", 1)]
    assert await cycles(pnl="negative") == [("BTC/USD", 3)]
    assert await cycles(venue="coinbase") == []
    # The summary follows venue and symbol, not status: the tabs show both counts.
    closed = await get_json(running, token, POSITIONS, status="closed", symbol="BTC/USD")
    assert (closed["summary"]["open"], closed["summary"]["closed"]) == (0, 2)


async def test_pages_follow_the_cursor_to_the_end(running: RunningApp, now: datetime) -> None:
    _, token, _ = await _book(running)
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = await get_json(running, token, POSITIONS, **params)
        seen += [(p["id"], p["cycle"]) for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = await get_json(running, token, POSITIONS)
    assert seen == [(p["id"], p["cycle"]) for p in everything["items"]] and len(seen) == 3


async def test_an_empty_book_and_bad_parameters(running: RunningApp, now: datetime) -> None:
    _, token = new_user(running)
    page = await get_json(running, token, POSITIONS)
    assert page == {
        "items": [],
        "next_cursor": None,
        "summary": {"open": 0, "closed": 0, "value": "0", "unrealised": "0"},
    }
    for params in (
        {"status": "pending"},
        {"pnl": "zero"},
        {"limit": "0"},
        {"limit": "101"},
        {"symbol": "BTC USD"},
        {"venue": "a" * 33},
        {"cursor": "!!"},
    ):
        await get_json(running, token, POSITIONS, 400, **params)
    bad = await get_json(running, token, POSITIONS, 422, cursor="bm90LWEta2V5")
    assert bad["code"] == "invalid_cursor"
    await get_json(running, token, f"{POSITIONS}/{uuid.uuid4()}", 404)
    await get_json(running, token, f"{POSITIONS}/{uuid.uuid4()}/chart", 404)


async def test_another_users_position_is_not_found(running: RunningApp, now: datetime) -> None:
    _, _, ex = await _book(running)
    _, stranger = new_user(running)
    pid = ex.position_id("binance", "BTC/USD")
    assert (await get_json(running, stranger, POSITIONS))["items"] == []
    problem = await get_json(running, stranger, f"{POSITIONS}/{pid}", 404)
    assert problem["code"] == "position_not_found"
    await get_json(running, stranger, f"{POSITIONS}/{pid}/chart", 404)


async def test_detail_is_the_latest_cycle_or_the_one_asked(
    running: RunningApp, now: datetime
) -> None:
    _, token, ex = await _book(running)
    pid = ex.position_id("binance", "BTC/USD")
    latest = await get_json(running, token, f"{POSITIONS}/{pid}")
    first = await get_json(running, token, f"{POSITIONS}/{pid}", cycle=1)
    assert (latest["cycle"], first["cycle"]) == (3, 1)
    assert Decimal(first["fees"]) == Decimal("0.2") and first["strategy"] is None
    assert first["entry_order_id"] != first["exit_order_id"]
    await get_json(running, token, f"{POSITIONS}/{pid}", 404, cycle=2)
    await get_json(running, token, f"{POSITIONS}/{pid}", 400, cycle=0)
    # No BTC bar was ever published: a chart with its lines and no points.
    chart = await get_json(running, token, f"{POSITIONS}/{pid}/chart", range="1H", cycle=1)
    assert (chart["points"], chart["timeframe"], chart["cycle"]) == ([], None, 1)
    assert (Decimal(chart["entry"]), Decimal(chart["exit"])) == (100, 120)


async def test_a_bots_position_shows_its_signal_stop_targets_and_trailing(
    running: RunningApp, now: datetime
) -> None:
    user, token = new_user(running)
    ex = Execution(user)
    intent = str(uuid.uuid4())
    signal = SignalRecorded(
        signal_id=str(uuid.uuid4()),
        user_id=user,
        venue="binance",
        symbol="BTC/USD",
        timeframe="5m",
        bar_start=T0,
        action="entry",
        side="buy",
        score=4,
        conditions=["ema_trend", "rsi_rising", "volume"],
        stop=Decimal("95"),
        targets=[Decimal(105), Decimal(110), Decimal(115)],
        intent_ids=[intent],
    )
    entry = routed_order(user, quantity="1", order_id=intent, signal="entry")
    filled, changed = ex.fill(entry, price="100", fee="0.1", at=T0 + minutes(5))
    protected = [
        BotPositionChanged(
            bot_position_id="bot-position-1",
            user_id=user,
            venue="binance",
            symbol="BTC/USD",
            status=status,
            entry_intent_id=intent,
            entry_price=Decimal(100),
            quantity=Decimal(1),
            stop=stop,
            targets=[Decimal(105), Decimal(110), Decimal(115)],
            targets_hit=hit,
            trailing=trailing,
            version=version,
        )
        for version, status, stop, hit, trailing in (
            (1, "open", Decimal(95), 0, False),
            (2, "open", Decimal(100), 1, True),
        )
    ]
    # Strategy's later word arrives first; the older one must not replace it.
    await publish(running, signal, entry, filled, changed, protected[1], protected[0])
    detail = await get_json(running, token, f"{POSITIONS}/{changed.position_id}")
    block = detail["strategy"]
    assert block["signal_id"] == signal.signal_id and block["signal"] == "entry"
    assert (block["entry_score"], block["conditions"]) == (4, signal.conditions)
    assert (Decimal(block["stop"]), block["targets_hit"], block["trailing"]) == (100, 1, True)
    assert [Decimal(t) for t in block["targets"]] == [105, 110, 115]
    assert detail["entry_order_id"] == intent


async def test_chart_points_from_stored_bars_with_entry_stop_and_target_lines(
    running: RunningApp, now: datetime
) -> None:
    user, token = new_user(running)
    ex = Execution(user)
    order = routed_order(user, quantity="1")
    filled, changed = ex.fill(order, price="100", at=T0 + minutes(30))
    rng = random.Random(5)
    # Minute bars over the 8 hours to now, five-minute ones over the day before.
    bars = [
        bar("binance", "BTC/USD", T0 + minutes(i), str(100 + rng.randint(-50, 50)))
        for i in range(8 * 60)
    ]
    five = [
        bar("binance", "BTC/USD", now - minutes(1440) + minutes(5 * i), "101", "5m")
        for i in range(288)
    ]
    other_market = bar("binance", "ETH/USD", now - minutes(5), "3000")
    await publish(running, order, filled, changed)
    await publish_all(running, [*bars, *five, other_market])
    path = f"{POSITIONS}/{changed.position_id}/chart"
    hour = await get_json(running, token, path, range="1H")
    assert hour["timeframe"] == "1m" and len(hour["points"]) == 60
    assert hour["points"][-1]["t"] == "2026-11-02T16:59:00Z"
    assert Decimal(hour["entry"]) == 100 and hour["exit"] is None and hour["stop"] is None
    four = await get_json(running, token, path, range="4H")
    assert len(four["points"]) == 240
    day = await get_json(running, token, path, range="1D")
    assert day["timeframe"] == "5m" and 0 < len(day["points"]) <= 300
    assert all(Decimal(p["price"]) == 101 for p in day["points"])
    everything = await get_json(running, token, path, range="ALL")
    assert everything["start"] == "2026-11-02T09:30:00Z" and everything["timeframe"] == "1m"
    # 450 minute bars since the position opened, thinned to 300 with the first and last kept.
    assert len(everything["points"]) == 300
    assert everything["points"][0]["t"] == "2026-11-02T09:30:00Z"
    assert everything["points"][-1]["t"] == "2026-11-02T16:59:00Z"
    await get_json(running, token, path, 400, range="2Y")


async def test_old_bars_are_pruned_by_timeframe_and_charts_fall_back_to_coarser_ones(
    running: RunningApp, now: datetime
) -> None:
    user, token = new_user(running)
    ex = Execution(user)
    order = routed_order(user, quantity="1")
    sold = routed_order(user, side="sell", quantity="1")
    opened_at = now - timedelta(days=5)
    await publish(
        running,
        order,
        sold,
        *ex.fill(order, price="100", at=opened_at),
        *ex.fill(sold, price="101", at=opened_at + minutes(50)),
    )
    old = [bar("binance", "BTC/USD", opened_at + minutes(i), "100") for i in range(60)]
    hourly = [bar("binance", "BTC/USD", opened_at - minutes(60), "99", "1h")]
    hourly.append(bar("binance", "BTC/USD", opened_at, "100.5", "1h"))
    fresh = [bar("binance", "BTC/USD", now - minutes(i + 1), "105") for i in range(5)]
    await publish_all(running, [*old, *hourly, *fresh])
    pid = ex.position_id("binance", "BTC/USD")
    before = await get_json(running, token, f"{POSITIONS}/{pid}/chart", range="1H")
    assert (before["timeframe"], len(before["points"])) == ("1m", 50)

    deleted = await running.app.state.platform.modules["dashboard"].account_folds.prune_bars()
    assert deleted == 60  # minute bars older than two days; the fresh and hourly ones stay
    after = await get_json(running, token, f"{POSITIONS}/{pid}/chart", range="1H")
    assert after["timeframe"] == "1h" and [p["price"] for p in after["points"]] == ["100.5"]
    assert Decimal(after["exit"]) == 101


async def test_a_market_on_its_own_clock_charts_its_latest_bars(
    running: RunningApp, now: datetime
) -> None:
    """A simulated market sped up for a demo keeps its own clock (it starts in 2024): the
    position's windows on the wall clock hold none of its bars, so the chart ends where they do."""
    user, token = new_user(running)
    ex = Execution(user)
    order = routed_order(user, quantity="1")
    await publish(running, order, *ex.fill(order, price="100", at=now - minutes(2)))
    market_now = datetime.fromisoformat("2024-01-03T05:00:00+00:00")
    bars = [bar("binance", "BTC/USD", market_now - minutes(90 - i), "100") for i in range(90)]
    await publish_all(running, bars)
    pid = ex.position_id("binance", "BTC/USD")

    hour = await get_json(running, token, f"{POSITIONS}/{pid}/chart", range="1H")
    assert (hour["timeframe"], len(hour["points"])) == ("1m", 60)
    assert hour["end"] == "2024-01-03T05:00:00Z" and hour["start"] == "2024-01-03T04:00:00Z"
    assert hour["points"][-1]["t"] == "2024-01-03T04:59:00Z"
    everything = await get_json(running, token, f"{POSITIONS}/{pid}/chart", range="ALL")
    assert len(everything["points"]) == 60 and Decimal(everything["entry"]) == 100
