"""Activity over HTTP: fills, closes, bot and security events newest first, their filters and
cursor, and the CSV export (content, streaming, formula guard)."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal
from typing import Any

import pytest

import modules.dashboard.views.activity as activity_views
from modules.identity.contracts import SecurityEventRaised
from modules.strategy.contracts import BotStatusChanged
from tests.conftest import RunningApp
from tests.dashboard.helpers import bearer, new_user, publish
from tests.dashboard.screens import T0, Execution, get_json, minutes, routed_order

ACTIVITY = "/v1/dashboard/activity"
EXPORT = "/v1/dashboard/activity/export"


async def _history(running: RunningApp) -> tuple[str, str, Execution]:
    """Buy BTC, the bot pauses, a security event, sell half (a partial exit), sell the rest at a
    loss (a close), ETH on kraken bought at the very instant of that close."""
    user, token = new_user(running)
    ex = Execution(user)
    entry = routed_order(user, quantity="2", at=T0)
    half = routed_order(user, side="sell", quantity="1", signal="profit_take")
    rest = routed_order(user, side="sell", quantity="1", signal="exit")
    eth = routed_order(user, venue="kraken", symbol="ETH/USD", quantity="0.5")
    events: list[Any] = [entry, half, rest, eth]
    events += ex.fill(entry, price="100", fee="0.2", at=T0 + minutes(1))
    events.append(
        BotStatusChanged(
            user_id=user,
            status="paused",
            previous="running",
            reason="kill_switch",
            occurred_at=T0 + minutes(2),
        )
    )
    events.append(SecurityEventRaised(user_id=user, kind="new_device", occurred_at=T0 + minutes(3)))
    events += ex.fill(half, price="110", fee="0.11", at=T0 + minutes(4))
    events += ex.fill(rest, price="95", fee="0.095", at=T0 + minutes(5))
    events += ex.fill(eth, price="2000", fee="0.0001", fee_currency="ETH", at=T0 + minutes(5))
    await publish(running, *events)
    return user, token, ex


def _kinds(page: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(item["type"], item["symbol"]) for item in page["items"]]


async def test_activity_is_newest_first_across_fills_and_account_events(
    running: RunningApp,
) -> None:
    _, token, ex = await _history(running)
    page = await get_json(running, token, ACTIVITY)
    assert _kinds(page) == [
        ("trade", "ETH/USD"),
        ("close", "BTC/USD"),
        ("trade", "BTC/USD"),
        ("security", None),
        ("bot", None),
        ("trade", "BTC/USD"),
    ]
    eth, close, partial, security, bot, entry = page["items"]
    # The close: the whole position's P&L net of its fees, and why it was closed.
    assert Decimal(close["pnl"]) == Decimal(10 - 5) - Decimal("0.405")
    assert close["exit_reason"] == "manual"  # an exit nobody's bot sent: the trader's close
    assert Decimal(close["realised_pnl"]) == Decimal("-5.095")
    assert close["cycle"] == 1 and close["position_id"] == ex.position_id("binance", "BTC/USD")
    assert Decimal(partial["pnl"]) == Decimal("9.89") and partial["exit_reason"] is None
    assert entry["pnl"] is None and Decimal(entry["realised_pnl"]) == Decimal("-0.2")
    assert (bot["status"], bot["previous"], bot["reason"]) == ("paused", "running", "kill_switch")
    assert security["status"] == "new_device"
    # A fee in the base asset, as the venue charged it; its value in USD went to the P&L.
    assert (eth["fee"], eth["fee_currency"]) == ("0.0001", "ETH")
    assert Decimal(eth["realised_pnl"]) == Decimal("-0.2")
    assert entry["client_order_id"].startswith("nija-") and entry["order_id"]


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"type": "trade"}, [("trade", "ETH/USD"), ("trade", "BTC/USD"), ("trade", "BTC/USD")]),
        ({"type": "close"}, [("close", "BTC/USD")]),
        ({"type": "bot"}, [("bot", None)]),
        ({"type": "security"}, [("security", None)]),
        ({"venue": "kraken"}, [("trade", "ETH/USD")]),
        ({"symbol": "BTC/USD", "type": "trade"}, [("trade", "BTC/USD"), ("trade", "BTC/USD")]),
        ({"pnl": "positive"}, [("close", "BTC/USD"), ("trade", "BTC/USD")]),
        ({"pnl": "negative"}, []),
        (
            {"from": "2026-11-02T09:02:00Z", "to": "2026-11-02T09:04:00Z"},
            [("security", None), ("bot", None)],
        ),
    ],
)
async def test_activity_filters(
    running: RunningApp, params: dict[str, str], expected: list[tuple[str, str | None]]
) -> None:
    _, token, _ = await _history(running)
    assert _kinds(await get_json(running, token, ACTIVITY, **params)) == expected


async def test_the_cursor_walks_every_line_once_even_at_the_same_instant(
    running: RunningApp,
) -> None:
    _, token, _ = await _history(running)
    everything = [i["id"] for i in (await get_json(running, token, ACTIVITY))["items"]]
    for size in (1, 2, 4):
        seen, cursor = [], None
        while True:
            params: dict[str, Any] = {"limit": size, **({"cursor": cursor} if cursor else {})}
            page = await get_json(running, token, ACTIVITY, **params)
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == everything


async def test_no_activity_for_a_new_user_none_of_anothers_and_bad_parameters(
    running: RunningApp,
) -> None:
    await _history(running)
    _, token = new_user(running)
    assert await get_json(running, token, ACTIVITY) == {"items": [], "next_cursor": None}
    for params in (
        {"type": "deposit"},
        {"pnl": "flat"},
        {"from": "yesterday"},
        {"to": "2026-02-30T00:00:00Z"},
        {"limit": "500"},
    ):
        await get_json(running, token, ACTIVITY, 400, **params)
    forged = await get_json(running, token, ACTIVITY, 422, cursor="AAAA")
    assert forged["code"] == "invalid_cursor"
    response = await running.client.get(ACTIVITY)
    assert response.status_code == 401
    empty = await running.client.get(EXPORT, headers=bearer(token))
    assert empty.status_code == 200 and empty.text == ",".join(activity_views.CSV_HEADER) + "\r\n"
    assert (await running.client.get(EXPORT)).status_code == 401


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_csv_export_lists_every_fill_oldest_first_with_tax_columns(
    running: RunningApp,
) -> None:
    _, token, _ = await _history(running)
    response = await running.client.get(EXPORT, params={"format": "csv"}, headers=bearer(token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.text.splitlines()[0] == ",".join(activity_views.CSV_HEADER)
    rows = _csv(response.text)
    assert [(r["time_utc"], r["side"], r["quantity"], r["price"]) for r in rows] == [
        ("2026-11-02T09:01:00Z", "buy", "2", "100"),
        ("2026-11-02T09:04:00Z", "sell", "1", "110"),
        ("2026-11-02T09:05:00Z", "sell", "1", "95"),
        ("2026-11-02T09:05:00Z", "buy", "0.5", "2000"),
    ]
    assert [(r["fee"], r["fee_currency"]) for r in rows][-2:] == [
        ("0.095", "USD"),
        ("0.0001", "ETH"),
    ]
    assert [Decimal(r["realised_pnl"]) for r in rows] == [
        Decimal("-0.2"),
        Decimal("9.89"),
        Decimal("-5.095"),
        Decimal("-0.2"),
    ]
    assert all(r["order_id"] and r["client_order_id"].startswith("nija-") for r in rows)
    kraken = await running.client.get(EXPORT, params={"venue": "kraken"}, headers=bearer(token))
    assert [r["venue"] for r in _csv(kraken.text)] == ["kraken"]
    window = await running.client.get(
        EXPORT, params={"from": "2026-11-02T09:04:00Z"}, headers=bearer(token)
    )
    assert len(_csv(window.text)) == 3
    bad = await running.client.get(EXPORT, params={"format": "xlsx"}, headers=bearer(token))
    assert bad.status_code == 400


async def test_csv_is_streamed_page_by_page_and_never_runs_a_formula(
    running: RunningApp, monkeypatch: Any
) -> None:
    monkeypatch.setattr(activity_views, "EXPORT_PAGE", 3)
    user, token = new_user(running)
    ex = Execution(user)
    events: list[Any] = []
    for n in range(8):
        order = routed_order(user, client_order_id=f'=HYPERLINK("x",{n})', side="buy")
        events.append(order)
        events += ex.fill(order, price="100", fee="1", fee_currency="@SUM", at=T0 + minutes(n))
    order = routed_order(user, side="sell", quantity="8", client_order_id="+1-1")
    events.append(order)
    events += ex.fill(order, price="90", at=T0 + minutes(9))
    await publish(running, *events)
    chunks = []
    async with running.client.stream("GET", EXPORT, headers=bearer(token)) as response:
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
    text = b"".join(chunks).decode()
    rows = _csv(text)
    assert len(rows) == 9 and len(chunks) >= 4  # the header, then a chunk per page of three
    assert {r["client_order_id"][0] for r in rows} == {"'"}
    assert rows[0]["client_order_id"] == '\'=HYPERLINK("x",0)'
    assert rows[0]["fee_currency"] == "'@SUM"
    # A loss is a number, not text: the guard is for text cells only.
    assert rows[-1]["realised_pnl"].startswith("-") and Decimal(rows[-1]["realised_pnl"]) == -80


async def test_a_fill_shows_before_its_position_side_arrives_and_is_completed_after(
    running: RunningApp,
) -> None:
    user, token = new_user(running)
    ex = Execution(user)
    order = routed_order(user, quantity="1")
    filled, changed = ex.fill(order, price="100", fee="0.1", at=T0 + minutes(1))
    await publish(running, order, filled)
    [item] = (await get_json(running, token, ACTIVITY))["items"]
    assert item["realised_pnl"] is None and item["position_id"] is None
    await publish(running, changed)
    [item] = (await get_json(running, token, ACTIVITY))["items"]
    assert Decimal(item["realised_pnl"]) == Decimal("-0.1")
    assert item["position_id"] == changed.position_id and item["revision"] == 2
    # Delivered again (under another event id), neither half counts twice.
    again = [
        type(e)(
            **{**{f: getattr(e, f) for f in e.__struct_fields__}, "event_id": str(uuid.uuid4())}
        )
        for e in (filled, changed)
    ]
    await publish(running, *again)
    daily = await get_json(
        running,
        token,
        "/v1/dashboard/statistics/daily",
        **{"from": "2026-11-02", "to": "2026-11-02"},
    )
    assert daily["days"][0]["trades"] == 1 and Decimal(daily["days"][0]["pnl"]) == Decimal("-0.1")
