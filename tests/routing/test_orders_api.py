"""The orders API: bad input, ownership, listing, idempotency, missing market data."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from tests.conftest import RunningApp, register_and_login, serve, truncate_all
from tests.routing.support import connect, new_trader, revoke, roomy

VENUES = ("coinbase", "kraken", "binance")
BUY = {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"}


async def _trader_with_venues(running: RunningApp, venues: tuple[str, ...] = VENUES) -> Any:
    await running.settle()
    trader = new_trader(running)
    await connect(running, trader, venues)
    return trader


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({**BUY, "symbol": "DOGE/USD"}, 422, "unknown_symbol"),
        ({**BUY, "quantity": "-1"}, 400, "invalid_request"),
        ({**BUY, "quantity": "0"}, 400, "invalid_request"),
        ({**BUY, "quantity": "NaN"}, 400, "invalid_request"),
        # Well-formed as the OpenAPI says, refused by a rule: 422 naming it.
        ({**BUY, "quantity": "0.000000001"}, 422, "too_many_decimals"),
        ({**BUY, "quantity": "1.000000000"}, 422, "too_many_decimals"),
        ({**BUY, "quantity": "abc"}, 400, "invalid_request"),
        ({**BUY, "quantity": "1000000000.5"}, 400, "invalid_request"),
        ({**BUY, "type": "limit"}, 422, "limit_price_required"),
        ({**BUY, "limit_price": "100"}, 422, "limit_price_not_allowed"),
        ({**BUY, "type": "limit", "limit_price": "-5"}, 400, "invalid_request"),
        ({**BUY, "side": "hold"}, 400, "invalid_request"),
        ({**BUY, "type": "stop"}, 400, "invalid_request"),
        ({**BUY, "symbol": "BTCUSD"}, 400, "invalid_request"),
        ({**BUY, "venue": "binance"}, 400, "invalid_request"),
        ({k: v for k, v in BUY.items() if k != "quantity"}, 400, "invalid_request"),
    ],
)
async def test_bad_orders_get_problem_responses(
    running: RunningApp, body: dict[str, Any], status: int, code: str
) -> None:
    trader = await _trader_with_venues(running)
    response = await running.client.post("/v1/orders", json=body, headers=trader.headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert (await running.client.get("/v1/orders", headers=trader.headers)).json()["items"] == []


async def test_malformed_json_and_missing_or_bad_token(running: RunningApp) -> None:
    trader = await _trader_with_venues(running)
    malformed = await running.client.post(
        "/v1/orders",
        content=b'{"symbol": "BTC/USD",',
        headers={**trader.headers, "content-type": "application/json"},
    )
    assert malformed.status_code == 400
    assert malformed.headers["content-type"].startswith("application/problem+json")

    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        for method, path in (("POST", "/v1/orders"), ("GET", "/v1/orders")):
            response = await running.client.request(
                method, path, json=BUY if method == "POST" else None, headers=headers
            )
            assert response.status_code == 401, (method, headers, response.text)
            assert response.json()["code"] in ("missing_token", "invalid_token")


async def test_no_credentials_then_revoked_credentials(running: RunningApp) -> None:
    await running.settle()
    trader = new_trader(running)
    response = await running.client.post("/v1/orders", json=BUY, headers=trader.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "no_credentials"

    await connect(running, trader, ("kraken",))
    response = await running.client.post("/v1/orders", json=BUY, headers=trader.headers)
    assert response.status_code == 202
    assert response.json()["venue"] == "kraken"

    await revoke(running, trader, "kraken")
    response = await running.client.post("/v1/orders", json=BUY, headers=trader.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "no_credentials"


async def test_order_bigger_than_half_of_every_book_has_no_eligible_venue(
    running: RunningApp,
) -> None:
    trader = await _trader_with_venues(running)
    await roomy(running, trader)
    response = await running.client.post(
        "/v1/orders", json={**BUY, "quantity": "500"}, headers=trader.headers
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "no_eligible_venue"
    assert {e["venue"]: e["reason"] for e in body["errors"]} == {
        v: "insufficient_liquidity" for v in VENUES
    }


async def test_users_see_only_their_own_orders_newest_first(running: RunningApp) -> None:
    alice = await _trader_with_venues(running)
    bob = await _trader_with_venues(running, ("kraken",))
    alice_ids = []
    for quantity in ("0.01", "0.02", "0.03"):
        response = await running.client.post(
            "/v1/orders", json={**BUY, "quantity": quantity}, headers=alice.headers
        )
        assert response.status_code == 202
        alice_ids.append(response.json()["id"])
    bob_order = (await running.client.post("/v1/orders", json=BUY, headers=bob.headers)).json()[
        "id"
    ]
    await running.settle()

    listed = (await running.client.get("/v1/orders", headers=alice.headers)).json()
    assert [o["id"] for o in listed["items"]] == list(reversed(alice_ids))
    assert listed["items"][0]["quantity"] == "0.03"
    page = (await running.client.get("/v1/orders?limit=1&offset=1", headers=alice.headers)).json()
    assert [o["id"] for o in page["items"]] == [alice_ids[1]]
    assert (
        await running.client.get("/v1/orders?limit=0", headers=alice.headers)
    ).status_code == 400

    foreign = await running.client.get(f"/v1/orders/{bob_order}", headers=alice.headers)
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "order_not_found"
    own = await running.client.get(f"/v1/orders/{bob_order}", headers=bob.headers)
    assert own.status_code == 200 and own.json()["status"] == "filled"
    missing = await running.client.get("/v1/orders/not-a-uuid", headers=alice.headers)
    assert missing.status_code in (400, 404)


async def _count(running: RunningApp, sql: str, *args: Any) -> int:
    async with running.runtime.db.connection() as conn:
        return int(await conn.fetchval(sql, *args))


async def test_idempotent_replay_returns_the_first_response(running: RunningApp) -> None:
    trader = await _trader_with_venues(running)
    headers = {**trader.headers, "Idempotency-Key": "order-2024-0001"}
    first = await running.client.post("/v1/orders", json=BUY, headers=headers)
    assert first.status_code == 202
    # The same order, numbers spelled differently, retried (also concurrently).
    again = await asyncio.gather(
        *(
            running.client.post("/v1/orders", json={**BUY, "quantity": "0.010"}, headers=headers)
            for _ in range(3)
        )
    )
    await running.settle()
    for response in again:
        assert response.status_code == first.status_code
        assert response.json() == first.json()
        assert response.headers["idempotent-replayed"] == "true"

    client_order_id = first.json()["client_order_id"]
    assert (
        await _count(
            running, "SELECT count(*) FROM routing.orders WHERE user_id = $1", trader.user_id
        )
        == 1
    )
    assert (
        await _count(
            running,
            "SELECT count(*) FROM execution.sim_orders WHERE client_order_id = $1",
            client_order_id,
        )
        == 1
    )

    # A different user may use the same key for their own order.
    other = await _trader_with_venues(running)
    response = await running.client.post(
        "/v1/orders", json=BUY, headers={**other.headers, "Idempotency-Key": "order-2024-0001"}
    )
    assert response.status_code == 202
    assert response.json()["id"] != first.json()["id"]


async def test_idempotency_key_reused_for_another_order(running: RunningApp) -> None:
    trader = await _trader_with_venues(running)
    headers = {**trader.headers, "Idempotency-Key": "k-42"}
    assert (await running.client.post("/v1/orders", json=BUY, headers=headers)).status_code == 202
    response = await running.client.post(
        "/v1/orders", json={**BUY, "side": "sell"}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    bad_key = await running.client.post(
        "/v1/orders", json=BUY, headers={**trader.headers, "Idempotency-Key": "white space"}
    )
    assert bad_key.status_code == 400


async def test_failed_order_does_not_burn_the_idempotency_key(running: RunningApp) -> None:
    await running.settle()
    trader = new_trader(running)
    headers = {**trader.headers, "Idempotency-Key": "retry-me"}
    response = await running.client.post("/v1/orders", json=BUY, headers=headers)
    assert response.status_code == 422  # no credentials yet
    await connect(running, trader, ("binance",))
    response = await running.client.post("/v1/orders", json=BUY, headers=headers)
    assert response.status_code == 202


async def test_without_market_data_orders_are_unavailable(
    make_settings: Any, database_url: str
) -> None:
    """Routing running with no execution module: no venue has published a book."""
    await truncate_all(database_url)
    from app import create_app

    async with serve(create_app(make_settings(modules=("routing",)))) as running:
        trader = new_trader(running)
        response = await running.client.post("/v1/orders", json=BUY, headers=trader.headers)
        assert response.status_code == 503
        assert response.json()["code"] == "market_data_unavailable"
        assert response.headers["retry-after"] == "1"


async def test_route_decision_and_order_commit_together(running: RunningApp) -> None:
    trader = await _trader_with_venues(running)
    response = await running.client.post("/v1/orders", json=BUY, headers=trader.headers)
    order_id = response.json()["id"]
    async with running.runtime.db.connection() as conn:
        conn: asyncpg.Connection
        decision = await conn.fetchrow(
            "SELECT chosen FROM routing.route_decisions WHERE order_id = $1::uuid", order_id
        )
        outbox = await conn.fetchval(
            "SELECT count(*) FROM routing.outbox WHERE topic = 'routing.order-routed.v1' "
            "AND convert_from(envelope, 'UTF8') LIKE '%' || $1 || '%'",
            order_id,
        )
    assert decision["chosen"] == response.json()["venue"]
    assert outbox == 1


async def test_credentials_managed_through_the_vault_api(running: RunningApp) -> None:
    """The real seam: identity's token, vault's API and events, routing, execution."""
    headers = await register_and_login(running.client)
    stored = await running.client.post(
        "/v1/credentials",
        json={"venue": "kraken", "api_key": "kraken-key-12345678", "api_secret": "k" * 32},
        headers=headers,
    )
    assert stored.status_code == 201, stored.text
    await running.settle()
    response = await running.client.post("/v1/orders", json=BUY, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["venue"] == "kraken"
    await running.settle()
    order = (
        await running.client.get(f"/v1/orders/{response.json()['id']}", headers=headers)
    ).json()
    assert order["status"] == "filled"

    # Replacing the key revokes the old one; orders then go out under the new one.
    replaced = await running.client.post(
        "/v1/credentials",
        json={"venue": "kraken", "api_key": "kraken-key-87654321", "api_secret": "q" * 32},
        headers=headers,
    )
    assert replaced.status_code == 201
    await running.settle()
    response = await running.client.post("/v1/orders", json=BUY, headers=headers)
    assert response.status_code == 202
    await running.settle()
    used = await _scalar_text(
        running,
        "SELECT credential_id FROM execution.orders WHERE order_id = $1",
        response.json()["id"],
    )
    assert used == replaced.json()["id"]

    deleted = await running.client.delete(
        f"/v1/credentials/{replaced.json()['id']}", headers=headers
    )
    assert deleted.status_code == 204
    await running.settle()
    response = await running.client.post("/v1/orders", json=BUY, headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "no_credentials"


async def _scalar_text(running: RunningApp, sql: str, *args: Any) -> str:
    async with running.runtime.db.connection() as conn:
        return str(await conn.fetchval(sql, *args))
