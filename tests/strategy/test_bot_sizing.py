"""The bot sizes its entries on the equity of the venue account it trades with, as execution's
`BalanceChanged` valued it (the newest snapshot winning), and on the trader's own `equity_usd`
only while that venue has reported no balance; `GET /v1/bot` says which."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from modules.execution.contracts import BalanceChanged
from modules.strategy.contracts import IntentSubmitted
from modules.strategy.domain.sizing import entry_notional, quantity_for
from tests.conftest import RunningApp
from tests.routing.support import Tap, Trader, announce
from tests.strategy.bot_support import (
    VENUE,
    bot,
    close_bar,
    running_bot,
    signals,
    wait_for,
    warm_up,
)

SETTINGS = {"equity_usd": "10000", "max_position_usd": "1000000", "risk_level": "high"}


def balance(trader: Trader, venue: str, equity: str, at: datetime) -> BalanceChanged:
    return BalanceChanged(
        user_id=trader.user_id,
        venue=venue,
        credential_id=trader.credentials.get(venue, "elsewhere"),
        balances={"USD": Decimal(equity)},
        equity_usd=Decimal(equity),
        occurred_at=at,
    )


async def entry_sized_on(running: RunningApp, tap: Tap, trader: Trader) -> Decimal:
    """The equity the bot's entry was sized on, recomputed from its signal; checks the intent's
    quantity is what that equity buys at the signal bar's close."""

    async def sent() -> bool:
        return bool(tap.of(IntentSubmitted, user_id=trader.user_id))

    await wait_for(running, sent)
    [intent] = tap.of(IntentSubmitted, user_id=trader.user_id)
    [signal] = await signals(running, trader)
    detail = signal["detail"]
    adx, score = Decimal(detail["indicators"]["adx"]), detail["signal"]["score"]
    notional = Decimal(detail["notional"])
    equity = (
        notional
        / entry_notional(
            equity=Decimal(100),
            adx=adx,
            score=score,
            risk_level="high",
            max_position=Decimal(10**9),
        )
        * 100
    )
    close = Decimal(detail["indicators"]["close"])
    assert intent.quantity == quantity_for(notional, close) > 0
    return equity.quantize(Decimal("0.01"))


async def test_entries_are_sized_on_the_venue_accounts_balances(running: RunningApp) -> None:
    tap = Tap().attach(running, IntentSubmitted.TOPIC)
    series = await warm_up(running)
    trader = await running_bot(running, venues=(VENUE, "coinbase"), **SETTINGS)
    view = await bot(running, trader)
    assert (view["equity_source"], Decimal(view["sizing_equity_usd"])) == ("settings", 10000)

    now = datetime.now(UTC)
    await announce(
        running,
        balance(trader, VENUE, "50000", now),
        balance(trader, VENUE, "1", now - timedelta(seconds=5)),  # older: superseded
        balance(trader, "coinbase", "999999", now),  # another venue's account
    )
    view = await bot(running, trader)
    assert (view["equity_source"], Decimal(view["sizing_equity_usd"])) == (
        "venue_balance",
        Decimal(50000),
    )
    assert Decimal(view["equity_usd"]) == 10000  # the trader's own figure stays as set

    await close_bar(running, series[-1])
    assert await entry_sized_on(running, tap, trader) == Decimal(50000)


async def test_until_the_venue_reports_entries_are_sized_on_the_traders_figure(
    running: RunningApp,
) -> None:
    tap = Tap().attach(running, IntentSubmitted.TOPIC)
    series = await warm_up(running)
    trader = await running_bot(running, **SETTINGS)
    await announce(running, balance(trader, "coinbase", "999999", datetime.now(UTC)))
    assert (await bot(running, trader))["equity_source"] == "settings"
    await close_bar(running, series[-1])
    assert await entry_sized_on(running, tap, trader) == Decimal(10000)
