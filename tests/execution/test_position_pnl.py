"""One owner for positions, seen as a trader sees it: execution's figures, one id for everything.

The trader buys, sells part and closes through routing's API on one simulated venue (real fee
rates); the expected figures are recomputed here from the fills the trader's order details show.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.conftest import RunningApp
from tests.routing.support import Trader, connect, new_trader, roomy, trade_settings

VENUE = "kraken"
# Rounding of the fold's 8-decimal steps, far below any fee it must account for.
ROUNDING = Decimal("0.000001")


async def _order(running: RunningApp, trader: Trader, **body: Any) -> Any:
    payload = {"symbol": "BTC/USD", "type": "market", **body}
    return await running.client.post("/v1/orders", json=payload, headers=trader.headers)


async def _fills(running: RunningApp, trader: Trader, placed: Any) -> list[dict[str, Decimal]]:
    assert placed.status_code == 202, placed.text
    await running.settle()
    order_id = placed.json()["id"]
    detail = (await running.client.get(f"/v1/orders/{order_id}", headers=trader.headers)).json()
    assert detail["venue"] == VENUE and detail["fills"], detail
    assert {f["fee_currency"] for f in detail["fills"]} == {"USD"}  # the sim venue charges USD
    return [{key: Decimal(f[key]) for key in ("price", "quantity", "fee")} for f in detail["fills"]]


def _total(fills: list[dict[str, Decimal]], key: str) -> Decimal:
    return sum((f[key] for f in fills), Decimal(0))


async def _position(running: RunningApp, headers: dict[str, str], position_id: str) -> Any:
    return await running.client.get(f"/v1/positions/{position_id}", headers=headers)


def _not_found(response: Any) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "position_not_found"


async def test_realised_pnl_is_net_of_every_fee_and_close_takes_the_listed_id(
    running: RunningApp,
) -> None:
    trader, other = new_trader(running), new_trader(running)
    await connect(running, trader, (VENUE,))
    await connect(running, other, (VENUE,))
    await roomy(running, trader)
    await running.settle()

    bought = await _fills(
        running, trader, await _order(running, trader, side="buy", quantity="0.1")
    )
    held = _total(bought, "quantity")
    entry = sum((f["price"] * f["quantity"] for f in bought), Decimal(0)) / held
    sold = await _fills(
        running, trader, await _order(running, trader, side="sell", quantity="0.04")
    )
    closed = _total(sold, "quantity")
    assert 0 < closed < held
    fees = _total(bought, "fee") + _total(sold, "fee")
    realised = sum(((f["price"] - entry) * f["quantity"] for f in sold), Decimal(0)) - fees

    (listed,) = (await running.client.get("/v1/positions", headers=trader.headers)).json()
    shown = (await _position(running, trader.headers, listed["position_id"])).json()
    marked = ("mark_price", "unrealised_pnl")  # the mark moves with every book
    assert {k: v for k, v in shown.items() if k not in marked} == {
        k: v for k, v in listed.items() if k not in marked
    }
    assert (shown["venue"], shown["symbol"], shown["status"]) == (VENUE, "BTC/USD", "open")
    assert Decimal(shown["quantity"]) == held - closed
    assert abs(Decimal(shown["average_entry"]) - entry) <= ROUNDING
    assert abs(Decimal(shown["realised_pnl"]) - realised) <= ROUNDING
    assert Decimal(shown["fees"]) == fees
    assert "realized_pnl" not in shown

    # Routing's own view is gone; another user's id is unknown to detail and close alike.
    net = await running.client.get("/v1/positions/net", headers=trader.headers)
    assert net.status_code == 404, net.text
    position_id = listed["position_id"]
    _not_found(await _position(running, other.headers, position_id))
    _not_found(
        await running.client.post(f"/v1/positions/{position_id}/close", headers=other.headers)
    )

    close = await running.client.post(f"/v1/positions/{position_id}/close", headers=trader.headers)
    exits = await _fills(running, trader, close)
    assert _total(exits, "quantity") == held - closed
    after = (await _position(running, trader.headers, position_id)).json()
    assert (Decimal(after["quantity"]), after["status"]) == (0, "closed")
    fees += _total(exits, "fee")
    realised += sum(((f["price"] - entry) * f["quantity"] for f in exits), Decimal(0))
    realised -= _total(exits, "fee")
    assert abs(Decimal(after["realised_pnl"]) - realised) <= ROUNDING
    assert Decimal(after["fees"]) == fees
    _not_found(
        await running.client.post(f"/v1/positions/{position_id}/close", headers=trader.headers)
    )

    # Routing's daily loss is execution's realised P&L (fees included), from its events.
    loss = -Decimal(after["realised_pnl"])
    assert loss > 0  # two taker fees outweigh any drift in the seconds between the fills
    far_below = {"side": "buy", "type": "limit", "quantity": "0.001", "limit_price": "1000"}
    await trade_settings(running, trader, max_daily_loss_usd=str(loss + Decimal("0.01")))
    assert (await _order(running, trader, **far_below)).status_code == 202
    await trade_settings(running, trader, max_daily_loss_usd=str(loss))
    refused = await _order(running, trader, **far_below)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "daily_loss_limit"
