"""Positions and P&L from fills, credential verification, and fills we never sent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from modules.execution.contracts import (
    CredentialUnsealed,
    CredentialVerified,
    OrderFilled,
    OrderRejected,
    PositionChanged,
    UnknownFillDetected,
    UserTradingPaused,
)
from modules.execution.domain.venue import OrderRequest
from modules.vault.contracts import CredentialVerificationRequested
from tests.conftest import RunningApp
from tests.execution.support import credential_with_key, execution, routed, sim, statuses
from tests.routing.support import Tap, Trader, announce, connect, new_trader

STEP = Decimal("0.00000001")


async def positions(running: RunningApp, headers: dict[str, str]) -> list[dict[str, str]]:
    response = await running.client.get("/v1/positions", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_fills_build_a_position_and_sells_realise_pnl(running: RunningApp) -> None:
    tap = Tap().attach(running, OrderFilled.TOPIC, PositionChanged.TOPIC)
    trader = new_trader(running)
    other = new_trader(running)
    await connect(running, trader, ("kraken",))
    buy = routed(trader, "kraken", quantity=Decimal("0.5"))
    await announce(running, buy)
    buys = tap.of(OrderFilled, order_id=buy.order_id)
    cost = sum((f.price * f.quantity for f in buys), Decimal(0))
    entry = (cost / Decimal("0.5")).quantize(STEP)
    buy_fees = sum((f.fee for f in buys), Decimal(0))

    (held,) = await positions(running, trader.headers)
    assert Decimal(held["quantity"]) == Decimal("0.5")
    assert Decimal(held["average_entry"]) == entry
    # Fees are charged to realised P&L when paid, and shown on their own too.
    assert Decimal(held["realised_pnl"]) == -buy_fees and Decimal(held["fees"]) == buy_fees
    mark = Decimal(held["mark_price"])
    assert Decimal(held["unrealised_pnl"]) == ((mark - entry) * Decimal("0.5")).quantize(STEP)
    assert held["status"] == "open"
    assert await positions(running, {"Authorization": other.headers["Authorization"]}) == []

    sell = routed(trader, "kraken", side="sell", quantity=Decimal("0.2"), signal="exit")
    await announce(running, sell)
    sells = tap.of(OrderFilled, order_id=sell.order_id)
    sell_fees = sum((f.fee for f in sells), Decimal(0))
    gain = sum(((f.price - entry) * f.quantity for f in sells), Decimal(0)).quantize(STEP)
    (held,) = await positions(running, trader.headers)
    assert Decimal(held["quantity"]) == Decimal("0.3")
    assert Decimal(held["average_entry"]) == entry  # a reduction keeps the entry price
    assert Decimal(held["realised_pnl"]) == gain - buy_fees - sell_fees
    assert Decimal(held["fees"]) == buy_fees + sell_fees

    close = routed(trader, "kraken", side="sell", quantity=Decimal("0.3"), signal="stop_loss")
    await announce(running, close)
    (held,) = await positions(running, trader.headers)
    assert Decimal(held["quantity"]) == 0 and held["status"] == "closed"
    assert Decimal(held["unrealised_pnl"]) == 0
    changes = tap.of(PositionChanged, user_id=trader.user_id)
    fills = tap.of(OrderFilled, user_id=trader.user_id)
    assert len(changes) == len(fills)  # one position change per fill
    assert {c.status for c in changes if c.quantity == 0} == {"closed"}
    # Each change says what its fill realised (fees included) and counts one more version.
    assert sorted(c.version for c in changes) == list(range(1, len(fills) + 1))
    last = max(changes, key=lambda c: c.version)
    assert sum((c.realised_delta for c in changes), Decimal(0)) == last.realised_pnl
    assert Decimal(held["realised_pnl"]) == last.realised_pnl
    assert last.fees == sum((f.fee for f in fills), Decimal(0))
    assert (await running.client.get("/v1/positions")).status_code == 401


async def test_verification_reports_what_the_key_may_do(running: RunningApp) -> None:
    tap = Tap().attach(running, CredentialVerified.TOPIC, CredentialUnsealed.TOPIC)
    trader = new_trader(running)
    expected = {
        "wd-key-0001": (True, ["read", "trade", "withdraw"], ""),
        "ro-key-0002": (True, ["read"], ""),
        "bad-key-0003": (False, [], "authentication_failed"),
        "plain-key-0004": (True, ["read", "trade"], ""),
    }
    requests = {}
    for key in expected:
        stored, _ = credential_with_key(running, trader.user_id, "binance", key)
        await announce(running, stored)
        request = CredentialVerificationRequested(
            request_id=str(uuid.uuid4()),
            credential_id=stored.credential_id,
            user_id=trader.user_id,
            venue="binance",
        )
        requests[key] = request
        await announce(running, request)
    for key, (ok, permissions, reason) in expected.items():
        request = requests[key]
        (verdict,) = tap.of(CredentialVerified, request_id=request.request_id)
        assert (verdict.ok, verdict.permissions, verdict.reason) == (ok, permissions, reason)
        (unsealed,) = tap.of(CredentialUnsealed, order_id=request.request_id)
        assert unsealed.purpose == "verify_credential"
        assert key not in str(verdict) and key not in str(unsealed)

    # A key that may only read cannot trade.
    read_only = requests["ro-key-0002"]
    order = routed(
        Trader(trader.user_id, trader.headers, {"binance": read_only.credential_id}), "binance"
    )
    events = Tap().attach(running, OrderRejected.TOPIC)
    await announce(running, order)
    assert events.of(OrderRejected, order_id=order.order_id)[0].code == "permission_denied"


async def test_an_order_the_platform_never_sent_raises_an_alert_and_pauses_the_user(
    running: RunningApp,
) -> None:
    tap = Tap().attach(
        running, UnknownFillDetected.TOPIC, UserTradingPaused.TOPIC, CredentialUnsealed.TOPIC
    )
    trader = new_trader(running)
    stored, material = credential_with_key(running, trader.user_id, "kraken", "key-stolen-01")
    await announce(running, stored)
    trader.credentials["kraken"] = stored.credential_id
    ours = routed(trader, "kraken")
    await announce(running, ours)
    # Someone else uses the same API key directly at the exchange.
    rogue = await sim(running, "kraken").place_order(
        OrderRequest(
            client_order_id=f"rogue-{uuid.uuid4().hex}",
            symbol="BTC/USD",
            side="buy",
            order_type="market",
            quantity=Decimal("0.01"),
        ),
        material,
    )
    since = datetime.now(UTC) - timedelta(minutes=5)
    assert await execution(running).reconciler.sweep_unknown_fills(since) == 1
    assert await execution(running).reconciler.sweep_unknown_fills(since) == 0  # alerted once
    await running.settle()
    (alert,) = tap.of(UnknownFillDetected, user_id=trader.user_id)
    assert alert.venue_order_id == rogue.venue_order_id
    assert alert.client_order_id == rogue.client_order_id
    assert alert.credential_id == stored.credential_id
    (paused,) = tap.of(UserTradingPaused, user_id=trader.user_id)
    assert paused.reason == "unknown_fill"
    # Looking at the account meant opening the key: audited like any other unseal.
    sweeps = tap.of(CredentialUnsealed, credential_id=stored.credential_id, purpose="reconcile")
    assert len(sweeps) == 1  # a paused user's accounts are not swept again

    after = routed(trader, "kraken")
    events = Tap().attach(running, OrderRejected.TOPIC)
    await announce(running, after)
    assert events.of(OrderRejected, order_id=after.order_id)[0].code == "user_paused"
    assert (await statuses(running, [ours.order_id]))[ours.order_id] == "filled"
