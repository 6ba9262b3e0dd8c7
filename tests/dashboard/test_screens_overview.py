"""The overview, daily statistics (in the trader's time zone), performance and routing savings
over HTTP."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec

from modules.dashboard.repository.days import DayRepository
from modules.dashboard.views.positions import open_positions_of
from modules.dashboard.views.statistics import periods_of
from modules.identity.contracts import UserProfileChanged
from modules.strategy.contracts import BotStatusChanged
from tests.conftest import RunningApp
from tests.dashboard.helpers import new_user, publish
from tests.dashboard.screens import T0, Execution, balance, bar, get_json, minutes, routed_order

OVERVIEW = "/v1/dashboard/overview"
DAILY = "/v1/dashboard/statistics/daily"
PERFORMANCE = "/v1/dashboard/performance"
SAVINGS = "/v1/dashboard/routing-savings"
DAY = timedelta(days=1)


async def _round_trip(
    running: RunningApp,
    ex: Execution,
    at: datetime,
    entry: str,
    exit_: str,
    *,
    quantity: str = "1",
    fee: str = "0.1",
    symbol: str = "BTC/USD",
) -> None:
    buy = routed_order(ex.user_id, quantity=quantity, symbol=symbol)
    sell = routed_order(ex.user_id, side="sell", quantity=quantity, symbol=symbol)
    await publish(
        running,
        buy,
        sell,
        *ex.fill(buy, price=entry, fee=fee, at=at),
        *ex.fill(sell, price=exit_, fee=fee, at=at + minutes(1)),
    )


def _profile(user: str, zone: str, at: datetime) -> UserProfileChanged:
    return UserProfileChanged(
        user_id=user, display_name="", timezone=zone, locale="en", occurred_at=at
    )


async def test_a_new_users_overview_is_empty_and_says_so(
    running: RunningApp, now: datetime
) -> None:
    _, token = new_user(running)
    body = await get_json(running, token, OVERVIEW)
    zero = {
        "pnl": "0",
        "pnl_pct": None,
        "trades": 0,
        "closed": 0,
        "win_rate": None,
        "fees": "0",
    }
    assert body == {
        "timezone": "UTC",
        "bot": {
            "status": "off",
            "previous": None,
            "reason": None,
            "changed_at": None,
            "revision": 0,
        },
        "equity_usd": "0",
        "balances": [],
        "pnl": {"today": zero, "7d": zero, "30d": zero, "all": zero},
        "unrealised_pnl": "0",
        "open_positions": [],
        "last_trade": None,
        "activity": [],
    }
    assert (await running.client.get(OVERVIEW)).status_code == 401


async def test_overview_in_one_request(running: RunningApp, now: datetime) -> None:
    user, token = new_user(running)
    _, stranger = new_user(running)
    ex = Execution(user)
    month_ago = now - 40 * DAY
    await publish(
        running,
        balance(user, "binance", "10000", month_ago - minutes(1)),
        balance(user, "kraken", "5000", month_ago - minutes(1)),
    )
    await _round_trip(running, ex, month_ago, "100", "150")  # +49.8, 40 days ago
    await _round_trip(running, ex, now - 3 * DAY, "100", "90")  # -10.2, 3 days ago
    await _round_trip(running, ex, now - minutes(60), "100", "105")  # +4.8, today
    await publish(
        running,
        balance(user, "binance", "10044.40", now - minutes(58), USD="9000", BTC="0.1"),
        BotStatusChanged(
            user_id=user, status="running", previous="off", occurred_at=now - minutes(30)
        ),
    )
    held = routed_order(user, symbol="ETH/USD", quantity="2")
    await publish(running, held, *ex.fill(held, price="1000", at=now - minutes(20)))
    await publish(running, bar("binance", "ETH/USD", now - minutes(2), "1010"))

    body = await get_json(running, token, OVERVIEW)
    assert body["bot"]["status"] == "running" and body["bot"]["revision"] == 1
    assert Decimal(body["equity_usd"]) == Decimal("15044.40")
    assert body["balances"][1]["equity_usd"] == "5000"  # as written, never "5E+3"
    binance = body["balances"][0]
    assert (binance["venue"], binance["balances"]) == ("binance", {"USD": "9000", "BTC": "0.1"})
    today, week, month, ever = (body["pnl"][k] for k in ("today", "7d", "30d", "all"))
    assert (Decimal(today["pnl"]), today["trades"], today["closed"]) == (Decimal("4.8"), 3, 1)
    assert today["win_rate"] == "100.00"
    # Today's P&L against the equity both venues had reported when the day began (15,000).
    assert today["pnl_pct"] == "0.03"
    assert (Decimal(week["pnl"]), week["closed"], week["win_rate"]) == (Decimal("-5.4"), 2, "50.00")
    assert Decimal(month["pnl"]) == Decimal("-5.4")
    assert (Decimal(ever["pnl"]), ever["trades"], ever["closed"]) == (Decimal("44.4"), 7, 3)
    assert ever["pnl_pct"] == "0.30" and Decimal(ever["fees"]) == Decimal("0.6")
    [position] = body["open_positions"]
    assert (position["symbol"], Decimal(position["unrealised_pnl"])) == ("ETH/USD", 20)
    assert Decimal(body["unrealised_pnl"]) == 20
    assert body["last_trade"]["symbol"] == "ETH/USD" and body["last_trade"]["type"] == "trade"
    assert [a["type"] for a in body["activity"]] == ["trade", "bot", "close", "trade", "close"]
    assert (await get_json(running, stranger, OVERVIEW))["pnl"]["all"]["trades"] == 0


async def test_days_are_cut_in_the_traders_zone_and_again_when_it_changes(
    running: RunningApp, now: datetime
) -> None:
    user, token = new_user(running)
    ex = Execution(user)
    # 23:30 UTC on Nov 1st is already Nov 2nd in Tokyo and still Nov 1st in Los Angeles.
    late = datetime.fromisoformat("2026-11-01T23:30:00+00:00")
    await _round_trip(running, ex, late, "100", "110")
    utc = await get_json(running, token, DAILY, **{"from": "2026-11-01", "to": "2026-11-02"})
    assert [d["trades"] for d in utc["days"]] == [2, 0] and utc["timezone"] == "UTC"
    await publish(running, _profile(user, "Asia/Tokyo", now - DAY))
    tokyo = await get_json(running, token, DAILY, **{"from": "2026-11-01", "to": "2026-11-02"})
    assert tokyo["timezone"] == "Asia/Tokyo"
    assert [(d["trades"], d["closed"], d["wins"]) for d in tokyo["days"]] == [(0, 0, 0), (2, 1, 1)]
    assert Decimal(tokyo["days"][1]["pnl"]) == Decimal("9.8")
    # An older profile event arriving late changes nothing; an unknown zone is kept out.
    await publish(running, _profile(user, "UTC", now - 2 * DAY))
    await publish(running, _profile(user, "Mars/Olympus", now))
    again = await get_json(running, token, DAILY, **{"from": "2026-11-01", "to": "2026-11-02"})
    assert again["timezone"] == "Asia/Tokyo" and again["days"] == tokyo["days"]
    # The database is asked too (its zone names could lag Python's), without ending the fold.
    async with running.runtime.db.connection() as conn, conn.transaction():
        days = DayRepository()
        assert await days.known_zone(conn, "Asia/Tokyo")
        assert not await days.known_zone(conn, "Mars/Olympus")
        assert await conn.fetchval("SELECT 1") == 1
    # Fills after the change go to the right day straight away.
    await _round_trip(running, ex, late + minutes(5), "100", "90")
    after = await get_json(running, token, DAILY, **{"from": "2026-11-02", "to": "2026-11-02"})
    assert [(d["trades"], d["wins"], d["losses"]) for d in after["days"]] == [(4, 1, 1)]


async def test_daily_statistics_defaults_and_bad_ranges(running: RunningApp, now: datetime) -> None:
    _, token = new_user(running)
    body = await get_json(running, token, DAILY)
    assert (body["from"], body["to"], len(body["days"])) == ("2026-10-04", "2026-11-02", 30)
    assert all(d["trades"] == 0 and d["pnl"] == "0" for d in body["days"])
    for params, status in (
        ({"from": "2026-11-03", "to": "2026-11-02"}, 422),
        ({"from": "2025-01-01", "to": "2026-11-02"}, 422),
        ({"from": "2026-02-30"}, 400),
        ({"to": "yesterday"}, 400),
    ):
        await get_json(running, token, DAILY, status, **params)


async def test_performance_over_a_period(running: RunningApp, now: datetime) -> None:
    user, token = new_user(running)
    ex = Execution(user)
    await publish(running, balance(user, "binance", "1000", now - 20 * DAY))
    for days_ago, exit_ in ((6, "120"), (4, "90"), (2, "110"), (1, "95")):
        await _round_trip(running, ex, now - days_ago * DAY, "100", exit_, fee="0")
    body = await get_json(running, token, PERFORMANCE, period="7d")
    assert (body["from"], body["to"], body["period"]) == ("2026-10-27", "2026-11-02", "7d")
    assert (body["trades"], body["closed"], body["wins"], body["losses"]) == (8, 4, 2, 2)
    assert body["win_rate"] == "50.00" and body["profit_factor"] == "2.0000"
    assert (Decimal(body["net_pnl"]), Decimal(body["gross_profit"])) == (15, 30)
    assert Decimal(body["gross_loss"]) == 15 and Decimal(body["starting_equity"]) == 1000
    pnls = [Decimal(p["pnl"]) for p in body["daily_pnl"]]
    assert pnls == [20, 0, -10, 0, 10, -5, 0]
    assert [Decimal(e["equity"]) for e in body["equity_curve"]] == [
        1020,
        1020,
        1010,
        1010,
        1020,
        1015,
        1015,
    ]
    assert Decimal(body["max_drawdown"]) == 10 and body["max_drawdown_pct"] == "0.98"
    assert body["sharpe"] is not None and Decimal(body["sharpe"]) > 0
    whole = await get_json(running, token, PERFORMANCE, period="all")
    assert whole["from"] == "2026-10-27" and len(whole["daily_pnl"]) == 7
    await get_json(running, token, PERFORMANCE, 400, period="1y")
    _, empty = new_user(running)
    nothing = await get_json(running, empty, PERFORMANCE, period="all")
    assert (nothing["trades"], nothing["sharpe"], nothing["starting_equity"]) == (0, None, None)
    assert nothing["daily_pnl"] == [{"date": "2026-11-02", "pnl": "0"}]


async def test_routing_savings_per_order_and_in_total(running: RunningApp, now: datetime) -> None:
    user, token = new_user(running)
    _, stranger = new_user(running)
    parent = str(uuid.uuid4())

    def child(venue: str, quantity: str, cost: str, share: str, attempt: int = 0, **kw: Any) -> Any:
        return routed_order(
            user,
            venue=venue,
            quantity=quantity,
            parent_order_id=parent,
            expected_cost=Decimal(cost),
            best_single_venue="kraken",
            best_single_venue_cost=Decimal(share),
            at=T0 + minutes(1),
            attempt=attempt,
            **kw,
        )

    first, second = child("binance", "5", "4", "6"), child("kraken", "3", "3", "3.5")
    # Binance failed the first child: its re-route to coinbase is what counts.
    reroute = child(
        "coinbase", "5", "4.5", "6", attempt=1, original_order_id=first.original_order_id
    )
    single = routed_order(
        user,
        quantity="1",
        expected_cost=Decimal("0.5"),
        best_single_venue="binance",
        best_single_venue_cost=Decimal("0.5"),
        at=T0 + minutes(2),
    )
    unknown = routed_order(user, quantity="1", at=T0 + minutes(3))
    await publish(running, reroute, first, second, single, unknown)
    body = await get_json(running, token, SAVINGS)
    assert [i["order_id"] for i in body["items"]] == [
        unknown.order_id,
        single.order_id,
        parent,
    ]
    split = body["items"][2]
    assert split["venues"] == ["coinbase", "kraken"] and Decimal(split["quantity"]) == 8
    assert (Decimal(split["route_cost"]), Decimal(split["best_single_cost"])) == (
        Decimal("7.5"),
        Decimal("9.5"),
    )
    assert Decimal(split["savings"]) == 2 and split["best_single_venue"] == "kraken"
    assert Decimal(body["items"][1]["savings"]) == 0 and body["items"][0]["savings"] is None
    total = body["total"]
    assert total["orders"] == 2 and Decimal(total["savings"]) == 2
    assert (Decimal(total["route_cost"]), Decimal(total["best_single_cost"])) == (8, 10)
    page = await get_json(running, token, SAVINGS, limit=2)
    rest = await get_json(running, token, SAVINGS, cursor=page["next_cursor"])
    assert [i["order_id"] for i in page["items"] + rest["items"]] == [
        i["order_id"] for i in body["items"]
    ]
    assert (await get_json(running, stranger, SAVINGS))["items"] == []
    await get_json(running, token, SAVINGS, 400, limit=0)


async def test_the_folds_batched_reads_give_each_trader_their_own_overview_figures(
    running: RunningApp, now: datetime
) -> None:
    """A fold pushes to several traders with one read of open positions and one of P&L for
    all of them: each trader's share is what their own overview shows (zones differ)."""
    traders = []
    for zone, entry, exit_ in (("Asia/Tokyo", "100", "130"), ("America/New_York", "200", "150")):
        user, token = new_user(running)
        ex = Execution(user)
        await publish(running, _profile(user, zone, T0 - DAY), balance(user, "kraken", "1000", T0))
        await _round_trip(running, ex, T0 + minutes(30), entry, exit_)
        held = routed_order(user, quantity="2")
        await publish(running, held, *ex.fill(held, price=entry, at=T0 + minutes(60)))
        traders.append((user, zone, await get_json(running, token, OVERVIEW)))
    async with running.runtime.db.connection() as conn:
        zones = {user: zone for user, zone, _ in traders}
        pnl = await periods_of(conn, zones, now)
        held_by = await open_positions_of(conn, sorted(zones), now)
    for user, _, overview in traders:
        assert msgspec.to_builtins(pnl[user]) == overview["pnl"]
        assert [p["id"] for p in overview["open_positions"]] == [c.id for c in held_by[user]]
        assert len(held_by[user]) == 1
    first, second = (overview["pnl"]["all"]["pnl"] for _, _, overview in traders)
    assert Decimal(first) > 0 > Decimal(second)
