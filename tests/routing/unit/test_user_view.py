"""The user's in-memory view folds events by the same rules as the SQL writing the copies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from modules.routing.domain.user_view import (
    DayFigures,
    EquityCopy,
    PositionCopy,
    PositionFold,
    UserView,
    advance,
    fold_equity,
    fold_order_placed,
    fold_position,
)
from modules.routing.service import user_views

D = Decimal
TODAY = date(2026, 12, 4)
NOW = datetime(2026, 12, 4, 9, tzinfo=UTC)


def _view(version: int = 3) -> UserView:
    return UserView(
        version=version,
        global_version=0,
        placed=7,
        credentials=[("kraken", "c-old"), ("binance", "c-b"), ("kraken", "c-new")],
        status=None,
        kill_switches=[],
        settings=None,
        positions={},
        days={TODAY: DayFigures(2, D(-5))},
        equity={},
    )


def test_only_the_next_version_folds() -> None:
    view = _view(version=3)
    assert not advance(view, 3)  # already in the view
    assert not advance(view, 5)  # a change in between was missed
    assert view.version == 3
    assert advance(view, 4)
    assert view.version == 4


def test_newest_credential_per_venue_wins() -> None:
    assert _view().venues() == {"kraken": "c-new", "binance": "c-b"}


def test_positions_move_forward_only_and_every_delta_counts_once() -> None:
    view = _view()
    fold_position(view, PositionFold("p1", PositionCopy("BTC/USD", D("0.5"), 2), TODAY, D(-10)))
    # late, older
    fold_position(view, PositionFold("p1", PositionCopy("BTC/USD", D("0.1"), 1), TODAY, D(0)))
    fold_position(view, PositionFold("p2", PositionCopy("ETH/USD", D(0), 1), TODAY, D(3)))
    inputs = view.risk_inputs("BTC/USD", TODAY)
    assert inputs["position_quantity"] == D("0.5")
    assert inputs["open_positions"] == 1
    assert inputs["realised_today"] == D(-12)
    assert view.risk_inputs("SOL/USD", TODAY)["position_quantity"] is None


def test_orders_count_toward_their_day() -> None:
    view = _view()
    assert fold_order_placed(view, TODAY, 8)
    assert fold_order_placed(view, TODAY + timedelta(days=1), 9)
    assert view.placed == 9
    assert view.risk_inputs("BTC/USD", TODAY)["trades_today"] == 3
    assert view.risk_inputs("BTC/USD", TODAY + timedelta(days=1))["trades_today"] == 1
    assert view.risk_inputs("BTC/USD", TODAY + timedelta(days=2))["trades_today"] == 0


def test_an_order_folds_only_onto_the_count_just_before_it() -> None:
    view = _view()  # seven orders placed
    assert not fold_order_placed(view, TODAY, 7)  # already counted
    assert not fold_order_placed(view, TODAY, 9)  # the eighth, placed elsewhere, was missed
    assert view.placed == 7
    assert view.risk_inputs("BTC/USD", TODAY)["trades_today"] == 2


def test_equity_sums_the_active_credentials_newest_snapshots() -> None:
    view = _view()
    assert view.risk_inputs("BTC/USD", TODAY)["balance_equity"] is None
    fold_equity(view, "c-b", EquityCopy(D(100), NOW))
    fold_equity(view, "c-b", EquityCopy(D(1), NOW - timedelta(seconds=1)))  # older: ignored
    fold_equity(view, "c-new", EquityCopy(D(50), NOW))
    fold_equity(view, "c-revoked", EquityCopy(D(1000), NOW))  # not an active credential
    assert view.risk_inputs("BTC/USD", TODAY)["balance_equity"] == D(150)


class _Repository:
    async def load(self, user_id: str, today: date) -> UserView:
        return _view()


class _Runtime:
    @staticmethod
    def clock() -> datetime:
        return datetime(2026, 12, 4, tzinfo=UTC)


async def test_a_replica_keeps_a_bounded_number_of_views(monkeypatch: Any) -> None:
    monkeypatch.setattr(user_views, "MAX_VIEWS", 3)
    views = user_views.UserViews(_Runtime(), _Repository())  # type: ignore[arg-type]
    for user in ("a", "b", "c", "d"):
        await views.view(user)
    assert [views.cached(u) is not None for u in ("a", "b", "c", "d")] == [False, True, True, True]
    assert (await views.view("a")).version == 3, "a dropped view is loaded again"
