"""The daily summary: the trader's own day (their time zone), at the time they chose, once a
day, also across a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from modules.identity.contracts import UserProfileChanged
from tests.conftest import RunningApp
from tests.dashboard.helpers import publish
from tests.dashboard.push_helpers import (
    dashboard_with_expo,
    fast_pushes,
    new_token,
    position_changed,
    push_module,
    register_device,
    trader,
)
from tests.fakes.expo import FakeExpo

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TOKYO).astimezone(UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def expo() -> AsyncIterator[FakeExpo]:
    async with FakeExpo() as fake:
        yield fake


async def _trade_day(running: RunningApp, user_id: str) -> None:
    """Nov 10 in Tokyo: a round trip (+12.40 after fees) and one buy; and a fill of Nov 9."""
    pid = "pos-btc"
    await publish(
        running,
        # 23:30 on Nov 9 in Tokyo (14:30 UTC): the day before, though the same UTC date.
        position_changed(
            user_id,
            position_id="pos-eth",
            symbol="ETH/USD",
            quantity="1",
            average_entry="2000",
            realised_pnl="-1",
            realised_delta="-1",
            occurred_at=tokyo(9, 23, 30),
        ),
        position_changed(
            user_id,
            position_id=pid,
            quantity="0.01",
            average_entry="60000",
            realised_pnl="-0.10",
            realised_delta="-0.10",
            version=1,
            occurred_at=tokyo(10, 8, 10),
        ),
        position_changed(
            user_id,
            position_id=pid,
            quantity="0",
            average_entry="0",
            realised_pnl="12.40",
            realised_delta="12.50",
            version=2,
            occurred_at=tokyo(10, 8, 20),
        ),
        position_changed(
            user_id,
            position_id="pos-sol",
            symbol="SOL/USD",
            quantity="3",
            average_entry="150",
            realised_pnl="-0.05",
            realised_delta="-0.05",
            occurred_at=tokyo(10, 8, 25),
        ),
    )


async def test_the_daily_summary_goes_out_once_a_day_at_the_chosen_local_time(
    make_settings: Any, database_url: str, expo: FakeExpo, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_pushes(monkeypatch)
    clock = Clock(tokyo(10, 8, 30))
    async with dashboard_with_expo(make_settings, database_url, expo) as first:
        first.runtime.clock = clock
        user_id, headers = trader(first)
        token = new_token()
        await register_device(first, headers, token)
        profile = UserProfileChanged(
            user_id=user_id, display_name="Kenji", timezone="Asia/Tokyo", locale="ja-JP"
        )
        await publish(first, profile)
        changed = await first.client.put(
            "/v1/notifications/preferences",
            json={"daily_summary_time": "09:00", "trade_alerts": False},  # only the summary
            headers=headers,
        )
        assert changed.json()["timezone"] == "Asia/Tokyo"
        await _trade_day(first, user_id)
        summaries = push_module(first).daily_summaries
        assert await summaries.send_due() == 0  # 08:30 in Tokyo: not yet
        clock.now = tokyo(10, 9, 0)
        assert await summaries.send_due() == 1
        assert await summaries.send_due() == 0
        [push] = await expo.wait_for(1)
        assert push.to == token
        assert push.title == "Your day"
        assert push.body == "3 trades, P&L +$12.35, win rate 100.0 %"
        assert push.data == {"type": "daily_summary", "url": "/"}
        notes = (await first.client.get("/v1/notifications", headers=headers)).json()["items"]
        summary = [n for n in notes if n["kind"] == "daily_summary"]
        assert [n["title"] for n in summary] == ["Daily summary, 2026-11-10"]
        assert summary[0]["url"] == "/"

    # A restart the same day sends nothing again.
    clock.now = tokyo(10, 21, 0)
    async with dashboard_with_expo(make_settings, database_url, expo, truncate=False) as second:
        second.runtime.clock = clock
        assert await push_module(second).daily_summaries.send_due() == 0
        # The next day: no trade, no summary; a trade, and it comes at 09:00.
        clock.now = tokyo(11, 9, 5)
        assert await push_module(second).daily_summaries.send_due() == 0
        await publish(
            second,
            position_changed(
                user_id,
                position_id="pos-sol",
                symbol="SOL/USD",
                quantity="0",
                average_entry="0",
                realised_pnl="-3.05",
                realised_delta="-3",
                version=2,
                occurred_at=tokyo(11, 9, 1),
            ),
        )
        clock.now = tokyo(11, 9, 6)
        assert await push_module(second).daily_summaries.send_due() == 1
        assert await push_module(second).daily_summaries.send_due() == 0
        pushes = await expo.wait_for(2)
    assert pushes[1].body == "1 trade, P&L -$3.00, win rate 0.0 %"
    assert len(expo.messages) == 2


async def test_no_summary_when_the_user_turned_it_off(
    make_settings: Any, database_url: str, expo: FakeExpo, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_pushes(monkeypatch)
    clock = Clock(tokyo(10, 8, 0))
    async with dashboard_with_expo(make_settings, database_url, expo) as running:
        running.runtime.clock = clock
        user_id, headers = trader(running)
        await register_device(running, headers)
        await running.client.put(
            "/v1/notifications/preferences",
            json={"daily_summary": False, "daily_summary_time": "08:00"},
            headers=headers,
        )
        await _trade_day(running, user_id)
        clock.now = tokyo(10, 23, 59) + timedelta(hours=9)  # late on the 10th in UTC as well
        assert await push_module(running).daily_summaries.send_due() == 0
        notes = (await running.client.get("/v1/notifications", headers=headers)).json()["items"]
    # The closed position's own alert may go out once its quiet time passes; no summary does.
    assert [n for n in notes if n["kind"] == "daily_summary"] == []
    assert [m for m in expo.messages if m.data.get("type") == "daily_summary"] == []
