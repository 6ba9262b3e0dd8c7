"""The pure rules behind notifications and pushes: texts and links, preferences, collapsing,
backoff, the service's answers, the daily schedule in time zones, price crossing, round trips."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from modules.dashboard.domain import push
from modules.dashboard.domain.admin import VenueBoard, VenueHealth, breaker_summary, per_minute
from modules.dashboard.domain.daily_summary import local_day, parse_hhmm, summary_due
from modules.dashboard.domain.position_cycles import Cycle, PositionMove, fold
from modules.dashboard.domain.price_alerts import (
    ArmedAlert,
    bar_seen_from,
    canonical_symbol,
    crossed,
    fired,
    mid,
)
from modules.dashboard.domain.push_delivery import (
    EXPO_TOKEN,
    PendingPush,
    collapse,
    collapse_key,
    retry_delay,
    ticket_fate,
    token_hint,
)
from modules.kernel.refusal import Refused

NOW = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)

# ---- texts and links -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("63280.4"), "$63,280"),
        (Decimal("150.49"), "$150"),
        (Decimal("1234567.5"), "$1,234,568"),
        (Decimal("8.2"), "$8.20"),
        (Decimal("-3.105"), "$3.11"),
        (Decimal("0.123456"), "$0.1235"),
        (Decimal("7E+4"), "$70,000"),
    ],
)
def test_usd_is_what_a_lock_screen_shows(amount: Decimal, shown: str) -> None:
    assert push.usd(amount) == shown


def test_trade_executed_links_to_its_position_or_waits_for_it() -> None:
    known = push.trade_executed(
        side="buy",
        venue="kraken",
        symbol="BTC/USD",
        price=Decimal("63280"),
        quantity=Decimal("0.00237"),
        order_id="o-1",
        position_id="p-1",
    )
    assert (known.title, known.body) == ("Trade executed", "Bought $150 of BTC at $63,280")
    assert known.data == push.PushData(
        type="trade_executed", url="/positions/p-1", position_id="p-1", order_id="o-1"
    )
    assert known.position_ref is None
    unknown = push.trade_executed(
        side="sell",
        venue="kraken",
        symbol="ETH-USD",
        price=Decimal("2000"),
        quantity=Decimal("1.5"),
        order_id="o-2",
        position_id=None,
    )
    assert unknown.body == "Sold $3,000 of ETH at $2,000"
    assert unknown.data.url == "/activity" and unknown.position_ref == "kraken|ETH-USD"
    linked = push.with_position(unknown.data, "p-2")
    assert linked.url == "/positions/p-2" and linked.position_id == "p-2"


def test_position_closed_says_profit_or_loss_and_its_share() -> None:
    won = push.position_closed("btc/usd", Decimal("8.2"), Decimal("72"))
    assert (won.title, won.body) == ("BTC/USD position closed", "Profit +$8.20 (11.4 %)")
    assert won.data == push.PushData(type="position_closed", url="/activity")
    lost = push.position_closed("ETH/USD", Decimal("-3.1"), Decimal("150"))
    assert lost.body == "Loss -$3.10 (-2.1 %)"
    assert push.position_closed("ETH/USD", Decimal("1"), Decimal("0")).body == "Profit +$1.00"


def test_stop_loss_links_to_the_position() -> None:
    hit = push.stop_loss_hit("BTC/USD", Decimal("61200"), "p-9")
    assert hit.title == "Stop loss hit"
    assert hit.body == "Your BTC/USD stop at $61,200 was hit; the bot closed the position."
    assert hit.data == push.PushData(type="stop_loss_hit", url="/positions/p-9", position_id="p-9")


@pytest.mark.parametrize(
    ("status", "previous", "reason", "body"),
    [
        ("paused", "running", "kill switch (global, set by admin)", "Bot paused by kill switch"),
        ("paused", "running", "account suspended: fraud review", "Bot paused: account suspended"),
        (
            "paused",
            "running",
            "trading paused by execution: unknown_fill",
            "Bot paused: trading was halted for your account",
        ),
        (
            "paused",
            "running",
            "5 venue rejections in a row",
            "Bot paused after repeated venue rejections",
        ),
        ("off", "paused", "kill switch (user, set by user)", "Bot switched off by kill switch"),
        ("paused", "running", "paused by you", None),
        ("running", "paused", None, None),
        ("paused", "paused", "kill switch", None),
    ],
)
def test_bot_status_pushes_what_the_owner_did_not_do(
    status: str, previous: str, reason: str | None, body: str | None
) -> None:
    told = push.bot_status(status, previous, reason)
    assert (told and told.body) == body
    if told is not None:
        assert told.data == push.PushData(type="bot_status", url="/settings")
        assert "fraud" not in told.body  # an admin's words stay off the lock screen


def test_security_and_daily_summary_and_price_alert_texts() -> None:
    assert push.security("lockout").title == "Sign-in locked"
    assert push.security("lockout").data.url == "/settings"
    summary = push.daily_summary(4, Decimal("12.4"), 2, 1)
    assert summary.body == "4 trades, P&L +$12.40, win rate 66.7 %"
    assert summary.data.url == "/"
    assert push.daily_summary(1, Decimal(0), 0, 0).body == "1 trade, P&L +$0.00"
    alert = push.price_alert("BTC/USD", "above", Decimal("70000"), Decimal("70012.5"), "kraken")
    assert (alert.title, alert.body) == (
        "BTC/USD above $70,000",
        "BTC/USD is at $70,013 on kraken.",
    )


@pytest.mark.parametrize(
    ("preferences", "kind", "wanted"),
    [
        (push.Preferences(), "trade_executed", True),
        (push.Preferences(trade_alerts=False), "trade_executed", False),
        (push.Preferences(trade_alerts=False), "stop_loss_hit", False),
        (push.Preferences(trade_alerts=False), "price_alert", True),
        (push.Preferences(price_alerts=False), "price_alert", False),
        (push.Preferences(bot_alerts=False), "bot_status", False),
        (push.Preferences(daily_summary=False), "daily_summary", False),
        (push.Preferences(trade_alerts=False, bot_alerts=False), "security", True),
        (push.Preferences(push_enabled=False), "security", False),
    ],
)
def test_preferences_decide_what_is_pushed(
    preferences: push.Preferences, kind: str, wanted: bool
) -> None:
    assert push.wanted(preferences, kind) is wanted
    # The statement that queues a push checks these columns instead of reading the preferences:
    # all on is exactly `wanted`.
    deciding = push.deciding_preferences(kind)
    assert all(getattr(preferences, name) for name in deciding) is wanted


# ---- collapsing, backoff, answers ------------------------------------------------------------


def _pending(
    n: int,
    device: str = "d1",
    kind: str = "trade_executed",
    url: str = "/positions/p",
    order_id: str | None = "o",
) -> PendingPush:
    return PendingPush(
        id=n,
        device=device,
        kind=kind,
        collapse_key=collapse_key(kind, f"n{n}"),
        title="Trade executed",
        body=f"Bought #{n}",
        data=push.PushData(type=kind, url=url, position_id="p", order_id=order_id),
        created_at=NOW,
    )


def test_a_burst_collapses_into_one_message_per_device() -> None:
    burst = [_pending(n) for n in range(100, 0, -1)] + [_pending(7, device="d2")]
    messages = collapse(burst)
    assert [(m.device, m.leader, len(m.members)) for m in messages] == [
        ("d1", 1, 100),
        ("d2", 7, 1),
    ]
    assert messages[0].body == "Bought #1 (+99 more)"
    assert messages[1].body == "Bought #7"
    assert messages[0].data.url == "/positions/p"


def test_collapsed_pushes_of_several_positions_lead_to_the_activity() -> None:
    [message] = collapse([_pending(1), _pending(2, url="/positions/q")])
    assert message.data == push.PushData(type="trade_executed", url="/activity")
    [message] = collapse([_pending(1), _pending(2, order_id="o-2")])
    assert message.data.url == "/positions/p" and message.data.order_id is None


def test_kinds_that_do_not_collapse_go_one_by_one() -> None:
    alarms = [_pending(n, kind="security", url="/settings") for n in (1, 2)]
    assert [m.body for m in collapse(alarms)] == ["Bought #1", "Bought #2"]


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [retry_delay(n, 2.0, 60.0) for n in (1, 2, 3, 4, 5, 6, 7)] == [
        2.0,
        4.0,
        8.0,
        16.0,
        32.0,
        60.0,
        60.0,
    ]


@pytest.mark.parametrize(
    ("status", "error", "fate"),
    [
        ("ok", None, "sent"),
        ("error", "DeviceNotRegistered", "drop_device"),
        ("error", "MessageRateExceeded", "retry"),
        ("error", "MessageTooBig", "failed"),
        ("error", "InvalidCredentials", "failed"),
        ("error", None, "failed"),
    ],
)
def test_what_each_answer_of_the_push_service_means(
    status: str, error: str | None, fate: str
) -> None:
    assert ticket_fate(status, error) == fate


def test_push_tokens_are_recognised_and_only_hinted() -> None:
    assert EXPO_TOKEN.fullmatch("ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]")
    assert EXPO_TOKEN.fullmatch("ExpoPushToken[AbC-123_xyz9]")
    for bad in ("ExponentPushToken[]", "ExponentPushToken[a b c d e f g h]", "fcm:abc", "x" * 40):
        assert not EXPO_TOKEN.fullmatch(bad)
    assert token_hint("ExponentPushToken[abcdefghijWXYZ]") == "ExponentPushToken[...WXYZ]"


# ---- the daily schedule in time zones --------------------------------------------------------


def test_a_local_day_is_cut_in_the_users_zone() -> None:
    at = datetime(2026, 11, 9, 16, 0, tzinfo=UTC)
    assert local_day(at, ZoneInfo("Asia/Tokyo")) == date(2026, 11, 10)
    assert local_day(at, ZoneInfo("America/Los_Angeles")) == date(2026, 11, 9)


def test_the_summary_is_due_from_the_chosen_local_time_once_a_day() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    before = datetime(2026, 7, 1, 17, 59, tzinfo=UTC)  # 19:59 in Berlin (summer time)
    at = datetime(2026, 7, 1, 18, 0, tzinfo=UTC)
    assert summary_due(before, berlin, "20:00", None) is None
    assert summary_due(at, berlin, "20:00", None) == date(2026, 7, 1)
    assert summary_due(at, berlin, "20:00", date(2026, 7, 1)) is None
    assert summary_due(at, berlin, "20:00", date(2026, 6, 30)) == date(2026, 7, 1)
    # A replica that was down at 20:00 sends it when it is back, the same day.
    assert summary_due(at + timedelta(hours=3), berlin, "20:00", None) == date(2026, 7, 1)
    # Past local midnight it is the next day's, not yet due.
    assert summary_due(at + timedelta(hours=4, minutes=1), berlin, "20:00", None) is None


def test_the_summary_time_survives_daylight_saving_changes() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 2026-03-29: clocks go from 02:00 to 03:00; 02:30 never happens and is due after the gap.
    assert summary_due(datetime(2026, 3, 29, 0, 59, tzinfo=UTC), berlin, "02:30", None) is None
    assert summary_due(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), berlin, "02:30", None) == date(
        2026, 3, 29
    )
    # 2026-10-25: 02:30 happens twice; the second time the day is summarised already.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert summary_due(first, berlin, "02:30", None) == date(2026, 10, 25)
    assert summary_due(first + timedelta(hours=1), berlin, "02:30", date(2026, 10, 25)) is None


def test_times_of_day_are_hh_mm() -> None:
    assert parse_hhmm("07:05").hour == 7
    for bad in ("7:05", "24:00", "07:60", "07:05:00", ""):
        with pytest.raises(ValueError):
            parse_hhmm(bad)


# ---- price alerts --------------------------------------------------------------------------


def _alert(direction: str = "above", venue: str | None = None) -> ArmedAlert:
    return ArmedAlert(
        id=uuid.uuid4(),
        user_id="u",
        symbol="BTC/USD",
        venue=venue,
        direction=direction,  # type: ignore[arg-type]
        threshold=Decimal("70000"),
        created_at=NOW,
    )


def test_crossing_is_reaching_the_threshold_from_either_side() -> None:
    assert crossed("above", Decimal(100), Decimal(90), Decimal(100))
    assert not crossed("above", Decimal(100), Decimal(90), Decimal("99.99"))
    assert crossed("below", Decimal(100), Decimal(100), Decimal(120))
    assert not crossed("below", Decimal(100), Decimal("100.01"), Decimal(120))


def test_an_observation_fires_the_alerts_it_reaches_at_their_price() -> None:
    later = NOW + timedelta(seconds=1)
    above, below, elsewhere = _alert(), _alert("below"), _alert(venue="binance")
    hits = fired([above, below, elsewhere], "kraken", Decimal(69000), Decimal(70500), later)
    assert hits == [(above, Decimal(70000)), (below, Decimal(70000))]
    # A gap over the threshold fires at the price seen.
    assert fired([above], "kraken", Decimal(71000), Decimal(72000), later) == [
        (above, Decimal(71000))
    ]
    # Prices from before the alert was set do not count.
    assert (
        fired([above], "kraken", Decimal(69000), Decimal(71000), NOW - timedelta(seconds=1)) == []
    )


def test_a_bar_counts_from_its_end_and_a_book_at_its_mid() -> None:
    start = datetime(2026, 3, 29, 11, 58, tzinfo=UTC)
    assert bar_seen_from(start, "1m") == start + timedelta(minutes=1)
    assert bar_seen_from(start, "1h") == start + timedelta(hours=1)
    assert mid([Decimal(99)], [Decimal(101)]) == Decimal(100)
    assert mid([], [Decimal(101)]) is None


def test_symbols_are_read_as_pairs() -> None:
    assert canonical_symbol(" btc-usd ") == "BTC/USD"
    assert canonical_symbol("ETH/USDT") == "ETH/USDT"
    for bad in ("BTCUSD", "BTC/", "B/USD", "BTC/USD/EUR", "BTC USD"):
        with pytest.raises(Refused):
            canonical_symbol(bad)


# ---- a position's round trip ---------------------------------------------------------------


def _move(version: int, quantity: str, entry: str, realised: str, delta: str) -> PositionMove:
    return PositionMove(
        position_id="p",
        user_id="u",
        venue="kraken",
        symbol="BTC/USD",
        quantity=Decimal(quantity),
        average_entry=Decimal(entry),
        realised_pnl=Decimal(realised),
        realised_delta=Decimal(delta),
        version=version,
    )


def test_a_round_trip_is_its_own_pnl_over_the_most_it_held() -> None:
    cycle, closed = fold(None, _move(1, "0.01", "60000", "-0.6", "-0.6"))
    assert closed is None and cycle.open and cycle.cost_basis == Decimal("600")
    cycle, closed = fold(cycle, _move(2, "0.02", "61000", "-1.2", "-0.6"))
    assert cycle.cost_basis == Decimal("1220")
    cycle, closed = fold(cycle, _move(3, "0", "0", "40", "41.2"))
    assert (
        closed is not None and closed.pnl == Decimal("40") and closed.cost_basis == Decimal("1220")
    )
    # The next round trip starts from what the last one left.
    cycle, closed = fold(cycle, _move(4, "0.01", "50000", "39.5", "-0.5"))
    cycle, closed = fold(cycle, _move(5, "0", "0", "35", "-4.5"))
    assert (
        closed is not None and closed.pnl == Decimal("-5") and closed.cost_basis == Decimal("500")
    )


def test_an_older_move_changes_nothing() -> None:
    cycle = Cycle(
        position_id="p",
        user_id="u",
        venue="kraken",
        symbol="BTC/USD",
        version=5,
        open=True,
        realised_base=Decimal(0),
        cost_basis=Decimal(10),
    )
    assert fold(cycle, _move(4, "0", "0", "3", "3")) == (cycle, None)


# ---- the admin's venue board ---------------------------------------------------------------


def test_the_venue_board_keeps_the_newest_report_and_flags_silent_venues() -> None:
    board = VenueBoard()

    def report(venue: str, state: str, at: datetime) -> VenueHealth:
        return VenueHealth(
            venue=venue,
            breaker_state=state,
            success_rate=1.0,
            queue_depth=0,
            latency_p50_ms=1.0,
            latency_p99_ms=2.0,
            as_of=at,
        )

    board.update(report("kraken", "open", NOW))
    board.update(report("kraken", "closed", NOW - timedelta(seconds=5)))  # older: ignored
    board.update(report("binance", "half_open", NOW - timedelta(minutes=5)))
    assert [r.breaker_state for r in board.reports()] == ["half_open", "open"]
    assert breaker_summary(board.reports(), NOW, timedelta(minutes=1)) == {
        "closed": 0,
        "half_open": 0,
        "open": 1,
        "stale": 1,
    }
    assert per_minute(3, timedelta(minutes=15)) == Decimal("0.20")
