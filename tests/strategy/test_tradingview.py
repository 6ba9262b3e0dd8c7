"""TradingView alerts over HTTP: a trader's hook (its secret shown once), alerts that become
orders through the risk gate, and every way an alert is refused.

Waits are on conditions checked after every event was delivered (`running.settle()`), never on
a timer, and each test stays well inside a trader's 60 requests a minute.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from modules.execution.contracts import BarClosed
from modules.kernel.settings import ALL_MODULES
from tests.conftest import LogCapture, RunningApp
from tests.routing.support import Trader, announce, connect, new_trader, roomy
from tests.strategy.series import T0

VENUE, RAW_SYMBOL, SYMBOL = "binance", "BINANCE:SOLUSDT", "SOL/USD"
PRICE = Decimal(150)
HOOKS = "/v1/webhooks/tradingview"


async def wait_for(running: RunningApp, predicate: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(15):
        await running.settle()
        if await predicate():
            return
    raise AssertionError("condition not reached after every event was delivered")


async def priced(running: RunningApp) -> None:
    """A closed SOL/USD bar at 150, after the live market's: the price alerts are sized at."""
    await announce(
        running,
        BarClosed(
            venue=VENUE,
            symbol=SYMBOL,
            timeframe="1m",
            start=T0,
            open=PRICE,
            high=PRICE,
            low=PRICE,
            close=PRICE,
            volume=Decimal(10),
        ),
    )


async def trader_with_hook(running: RunningApp, *, room: bool = True) -> tuple[Trader, Any]:
    await priced(running)
    trader = new_trader(running)
    await connect(running, trader, (VENUE,))
    if room:
        await roomy(running, trader)
    created = await running.client.post(
        HOOKS, json={"venue": VENUE, "label": "my strategy"}, headers=trader.headers
    )
    assert created.status_code == 201, created.text
    return trader, created.json()


def now() -> str:
    return datetime.now(UTC).isoformat()


async def alert(running: RunningApp, hook: Any, **fields: Any) -> httpx.Response:
    body = {"secret": hook["secret"], "action": "buy", "symbol": RAW_SYMBOL, **fields}
    return await running.client.post(f"{HOOKS}/{hook['id']}", json=body)


async def hook_detail(running: RunningApp, trader: Trader, hook: Any) -> Any:
    response = await running.client.get(f"{HOOKS}/{hook['id']}", headers=trader.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def orders(running: RunningApp, trader: Trader) -> list[Any]:
    response = await running.client.get("/v1/orders", headers=trader.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def test_a_hook_shows_its_secret_once_and_an_alert_places_an_order(
    running: RunningApp, captured_logs: LogCapture
) -> None:
    trader, hook = await trader_with_hook(running)
    secret = hook["secret"]
    assert len(secret) >= 40 and secret in hook["alert_message"]
    assert hook["url"].endswith(f"{HOOKS}/{hook['id']}") and hook["venue"] == VENUE
    listed = await running.client.get(HOOKS, headers=trader.headers)
    assert [h["id"] for h in listed.json()] == [hook["id"]]
    assert "secret" not in listed.json()[0] and secret not in listed.text

    accepted = await alert(running, hook, size_usd="300", timestamp=now())
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["received"] is True
    order_id = accepted.json()["order_id"]

    async def placed() -> bool:
        return any(o["id"] == order_id for o in await orders(running, trader))

    await wait_for(running, placed)
    [order] = [o for o in await orders(running, trader) if o["id"] == order_id]
    assert (order["source"], order["symbol"], order["side"]) == ("tradingview", SYMBOL, "buy")
    assert (order["venue"], Decimal(order["quantity"])) == (VENUE, Decimal(2))  # 300 USD at 150
    detail = await hook_detail(running, trader, hook)
    [seen] = detail["alerts"]
    assert (seen["status"], seen["order_id"], seen["symbol"]) == ("submitted", order_id, RAW_SYMBOL)
    assert detail["last_alert_at"] is not None and secret not in str(detail)
    await secret_is_nowhere(running, secret, captured_logs)


async def secret_is_nowhere(running: RunningApp, secret: str, logs: LogCapture) -> None:
    """Not in a log record (raw, before redaction), an event, or a row of any module."""
    assert secret not in logs.text
    async with running.runtime.db.connection() as conn:
        for schema in ALL_MODULES:
            published = await conn.fetchval(
                f"SELECT count(*) FROM {schema}.outbox "  # the schemas are ours
                "WHERE position($1::bytea IN envelope) > 0",
                secret.encode(),
            )
            assert published == 0, schema
        rows = await conn.fetch(
            "SELECT t::text AS row FROM strategy.tradingview_hooks t "
            "UNION ALL SELECT a::text FROM strategy.tradingview_alerts a "
            "UNION ALL SELECT f::text FROM strategy.tradingview_fingerprints f"
        )
    assert rows and not any(secret in r["row"] for r in rows)


async def test_a_wrong_secret_an_unknown_hook_and_a_revoked_hook_answer_alike(
    running: RunningApp,
) -> None:
    trader, hook = await trader_with_hook(running)
    answers = [
        await alert(running, {**hook, "secret": "not-the-secret-at-all"}, size_usd="10"),
        await alert(running, {**hook, "id": "2b0f9d3e-0000-4000-8000-000000000000"}),
        await alert(running, {**hook, "id": "not-a-uuid"}),
    ]
    revoked = await running.client.delete(f"{HOOKS}/{hook['id']}", headers=trader.headers)
    assert revoked.status_code == 204, revoked.text
    answers.append(await alert(running, hook, size_usd="10", timestamp=now()))
    for answer in answers:
        assert answer.status_code == 401, answer.text
        body = answer.json()
        assert (body["code"], body["detail"]) == (
            "webhook_unauthorized",
            "Unknown TradingView hook or wrong secret",
        )
    assert (await running.client.get(HOOKS, headers=trader.headers)).json() == []
    again = await running.client.delete(f"{HOOKS}/{hook['id']}", headers=trader.headers)
    assert again.status_code == 404
    # Another trader cannot see or revoke someone's hook either.
    other = new_trader(running)
    assert (await running.client.get(HOOKS, headers=other.headers)).json() == []


async def test_a_replayed_or_stale_alert_is_refused_and_shown_on_the_hook(
    running: RunningApp,
) -> None:
    trader, hook = await trader_with_hook(running)
    sent_at = now()
    first = await alert(running, hook, size_usd="30", timestamp=sent_at)
    assert first.status_code == 202, first.text
    replay = await alert(running, hook, size_usd="30", timestamp=sent_at)
    assert replay.status_code == 409 and replay.json()["code"] == "alert_replayed"
    old = (datetime.now(UTC) - timedelta(seconds=120)).isoformat()
    stale = await alert(running, hook, size_usd="30", timestamp=old)
    assert stale.status_code == 422 and stale.json()["code"] == "stale_alert"
    # The same alert allowed a longer lag is fresh, and new.
    late = await alert(running, hook, size_usd="30", timestamp=old, max_lag=300)
    assert late.status_code == 202, late.text
    unreadable = await alert(running, hook, symbol="SOLUSDT.P", size_usd="30", timestamp=now())
    assert unreadable.status_code == 422 and unreadable.json()["code"] == "unknown_symbol"
    alerts = (await hook_detail(running, trader, hook))["alerts"]
    assert [(a["status"], a["code"]) for a in alerts] == [
        ("refused", "unknown_symbol"),
        ("submitted", None),
        ("refused", "stale_alert"),
        ("refused", "alert_replayed"),
        ("submitted", None),
    ]


async def test_an_order_the_risk_gate_refuses_shows_as_refused_on_the_hook(
    running: RunningApp,
) -> None:
    trader, hook = await trader_with_hook(running, room=False)
    accepted = await alert(running, hook, size_usd="5000000", timestamp=now())
    assert accepted.status_code == 202, accepted.text
    order_id = accepted.json()["order_id"]

    async def refused() -> bool:
        [latest] = (await hook_detail(running, trader, hook))["alerts"]
        return bool(latest["status"] == "refused")

    await wait_for(running, refused)
    [latest] = (await hook_detail(running, trader, hook))["alerts"]
    assert latest["order_id"] == order_id and latest["code"] == "position_size_exceeded"
    assert "USD" in latest["reason"]
    assert not any(o["id"] == order_id for o in await orders(running, trader))


async def test_close_sells_what_the_position_holds_on_the_hooks_venue(
    running: RunningApp,
) -> None:
    trader, hook = await trader_with_hook(running)
    nothing = await alert(running, hook, action="close", timestamp=now())
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_to_close"
    bought = await alert(running, hook, size_usd="300", timestamp=now())
    assert bought.status_code == 202, bought.text

    async def filled() -> bool:
        return any(
            o["id"] == bought.json()["order_id"] and o["status"] == "filled"
            for o in await orders(running, trader)
        )

    await wait_for(running, filled)
    await running.settle()  # the fill's PositionChanged reaches the strategy
    closed = await alert(running, hook, action="close", timestamp=now())
    assert closed.status_code == 202, closed.text

    async def placed() -> bool:
        return any(o["id"] == closed.json()["order_id"] for o in await orders(running, trader))

    await wait_for(running, placed)
    [close] = [o for o in await orders(running, trader) if o["id"] == closed.json()["order_id"]]
    assert (close["side"], close["signal"], close["source"]) == ("sell", "exit", "tradingview")
    assert Decimal(close["quantity"]) == Decimal(2)


async def test_a_hook_over_its_rate_answers_429_with_retry_after(running: RunningApp) -> None:
    _, hook = await trader_with_hook(running)
    old = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    # Stale alerts cost the budget like any other authenticated alert, and place nothing.
    answers = [await alert(running, hook, size_usd="10", timestamp=old) for _ in range(11)]
    assert {a.status_code for a in answers[:10]} == {422}
    limited = answers[10]
    assert limited.status_code == 429 and limited.json()["code"] == "alert_rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
    # A stranger without the secret is not counted against it, nor told it exists.
    stranger = await alert(running, {**hook, "secret": "x" * 20})
    assert stranger.status_code == 401


async def test_alert_bodies_are_strict_json_and_the_endpoint_needs_no_token(
    running: RunningApp,
) -> None:
    trader, hook = await trader_with_hook(running)
    url = f"{HOOKS}/{hook['id']}"
    good = {"secret": hook["secret"], "action": "buy", "symbol": "SOLUSD", "size_usd": "10"}
    text = await running.client.post(url, content=str(good), headers={"Content-Type": "text/plain"})
    assert text.status_code == 415
    for bad in (
        {**good, "extra": 1},
        {**good, "action": "short"},
        {**good, "symbol": "S" * 41},
        {**good, "secret": "s" * 129},
        {**good, "size_usd": "-5"},
        {**good, "max_lag": 100000},
        {**good, "timestamp": "2026-01-01T00:00:00"},  # no time zone
    ):
        response = await running.client.post(url, json=bad)
        assert response.status_code in (400, 422), (bad, response.text)
        assert hook["secret"] not in response.text
    oversize = await running.client.post(
        url,
        content=b'{"secret": "' + b"s" * 8000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert oversize.status_code == 413
    # Managing hooks needs the bearer token; the OpenAPI says which operations do.
    assert (await running.client.get(HOOKS)).status_code == 401
    spec = (await running.client.get("/schema/openapi.json")).json()
    operations = spec["paths"][HOOKS + "/{hook_id}"]
    assert "security" not in operations["post"] and operations["get"]["security"]
    assert spec["paths"][HOOKS]["post"]["security"] == [{"bearer": []}]
    assert trader.headers  # the hook's owner is a signed-in trader; the alert carried no token
