"""Chart windows and downsampling, the fee and exit rules, cursors and CSV cells."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import msgspec
import pytest

from modules.dashboard.domain.charts import anchored, downsample, timeframes, window
from modules.dashboard.domain.paging import csv_number, csv_text, decode_cursor, encode_cursor
from modules.dashboard.domain.pnl import exit_reason, fee_in_quote, reduced
from modules.kernel.refusal import Kind, Refused

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_a_range_looks_back_from_the_close_or_now_and_all_spans_the_position() -> None:
    opened, closed, now = T0, T0 + timedelta(days=2), T0 + timedelta(days=9)
    assert window("1H", opened, closed, now) == (closed - timedelta(hours=1), closed)
    assert window("1W", opened, None, now) == (now - timedelta(weeks=1), now)
    assert window("ALL", opened, closed, now) == (opened, closed)
    young = now - timedelta(minutes=5)
    assert window("ALL", young, None, now) == (now - timedelta(hours=1), now)


def test_a_window_without_bars_moves_back_to_end_with_the_latest_bar() -> None:
    start, end = T0 - timedelta(hours=1), T0
    last = datetime(2024, 1, 3, 4, 59, tzinfo=UTC)
    moved_end = datetime(2024, 1, 3, 5, 0, tzinfo=UTC)
    assert anchored(start, end, last) == (moved_end - timedelta(hours=1), moved_end)
    assert anchored(start, end, None) is None


def test_the_finest_timeframe_that_fits_draws_the_window() -> None:
    assert timeframes(T0, T0 + timedelta(hours=4))[0] == "1m"
    assert timeframes(T0, T0 + timedelta(days=1)) == ["5m", "15m", "1h"]
    assert timeframes(T0, T0 + timedelta(days=30)) == ["1h"]
    assert timeframes(T0, T0 + timedelta(days=400)) == ["1h"]


def test_downsampling_keeps_at_most_the_limit_the_ends_and_the_extremes() -> None:
    points = [(T0 + timedelta(minutes=i), D(100 + math.sin(i / 40) * 10)) for i in range(1440)]
    spike = 700
    points[spike] = (points[spike][0], D(500))
    thinned = downsample(points, 300)
    assert len(thinned) == 300
    assert thinned[0] == points[0] and thinned[-1] == points[-1]
    assert points[spike] in thinned
    assert [p[0] for p in thinned] == sorted(p[0] for p in thinned)
    assert downsample(points[:10], 300) == points[:10]
    assert downsample(points, 2) == [points[0], points[-1]]


def test_fees_in_quote_base_or_a_third_currency() -> None:
    assert fee_in_quote("BTC/USD", D("1.5"), "USD", D(60000)) == D("1.5")
    assert fee_in_quote("BTC/USD", D("1.5"), "USDT", D(60000)) == D("1.5")
    assert fee_in_quote("BTC-USD", D("0.00001"), "btc", D("60000.5")) == D("0.600005")
    assert fee_in_quote("ETH/BTC", D("0.1"), "BTC", D("0.05")) == D("0.1")
    assert fee_in_quote("BTC/USD", D("0.01"), "BNB", D(60000)) is None
    assert fee_in_quote("BTC/USD", D(0), "BNB", D(60000)) == 0


def test_a_fill_reduced_the_position_when_it_went_against_what_was_held() -> None:
    assert reduced("sell", D(1), D(2))  # 3 -> 2
    assert not reduced("buy", D(1), D(3))  # 2 -> 3
    assert reduced("buy", D(3), D(1))  # -2 -> 1 (a flip)
    assert not reduced("buy", D(1), D(1))  # 0 -> 1


@pytest.mark.parametrize(
    "signal,by_bot,bot_reason,expected",
    [
        ("profit_take", True, None, "take_profit"),
        ("stop_loss", True, None, "stop_loss"),
        ("kill_switch", False, None, "kill_switch"),
        ("exit", True, None, "exit_signal"),
        ("exit", True, "take_profit", "take_profit"),
        ("exit", False, None, "manual"),
        ("manual", False, None, "manual"),
        (None, False, None, "manual"),
    ],
)
def test_why_a_position_was_closed(
    signal: str | None, by_bot: bool, bot_reason: str | None, expected: str
) -> None:
    assert exit_reason(signal, by_bot=by_bot, bot_reason=bot_reason) == expected


class Key(msgspec.Struct, frozen=True, array_like=True):
    at: datetime
    source: int
    id: int


def test_a_cursor_round_trips_and_a_forged_one_is_refused() -> None:
    key = Key(T0, 1, 42)
    cursor = encode_cursor(key)
    assert cursor.isascii() and "=" not in cursor
    assert decode_cursor(cursor, Key) == key
    for bad in ("", "!!!", encode_cursor(["x", 1, 2]), encode_cursor([1, 2])):
        with pytest.raises(Refused) as refused:
            decode_cursor(bad, Key)
        assert (refused.value.kind, refused.value.code) == (Kind.INVALID, "invalid_cursor")


def test_csv_cells_never_run_as_formulas_and_numbers_stay_numbers() -> None:
    assert csv_text("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    for risky in ("+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_text(risky).startswith("'")
    assert csv_text("BTC/USD") == "BTC/USD" and csv_text(None) == ""
    assert csv_number(D("-12.50")) == "-12.50"
    assert csv_number(D("1E-8")) == "0.00000001"
    assert csv_number(None) == ""


def test_bars_go_when_their_timeframe_is_kept_no_longer() -> None:
    from modules.dashboard.domain.charts import prune_before

    cutoffs = prune_before({"1m": 2, "5m": 8}, T0)
    assert cutoffs == {"1m": T0 - timedelta(days=2), "5m": T0 - timedelta(days=8)}
