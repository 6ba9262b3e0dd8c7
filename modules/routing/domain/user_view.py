"""What the risk gate and intake read of a user, kept in memory and moved on by events.

A view is loaded once (one query) and then folded forward by the events that change it on this
replica: execution's `PositionChanged` and `BalanceChanged`, and the user's own orders placed.
Each of those writes bumps the user's version in the same transaction, and a view is folded only
from exactly the version before (`advance`); anything else (a change on another replica, a rare
change such as a settings save or a suspension) leaves the view behind, and the order's own
statement, which places it only at the version the view was read at, sends intake back to load
it again. The folds apply the same rules as the SQL that writes the copies.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec


class PositionCopy(msgspec.Struct, frozen=True):
    symbol: str
    quantity: Decimal
    version: int


class DayFigures(msgspec.Struct, frozen=True):
    trades: int = 0
    realised: Decimal = Decimal(0)


class EquityCopy(msgspec.Struct, frozen=True):
    equity_usd: Decimal
    as_of: datetime


class UserView(msgspec.Struct, kw_only=True):
    version: int
    global_version: int  # the platform-wide kill switch's
    placed: int  # the user's orders placed so far (the order guard's count)
    credentials: list[tuple[str, str]]  # active (venue, credential id), oldest stored first
    status: dict[str, Any] | None  # suspended, tier, paused, paused_reason
    kill_switches: list[str]  # the active scopes among "global" and the user's id
    settings: dict[str, Any] | None  # None: none saved
    positions: dict[str, PositionCopy]
    days: dict[date, DayFigures]  # from the day the view was loaded on
    equity: dict[str, EquityCopy]  # by credential, active or not

    def venues(self) -> dict[str, str]:
        """venue -> credential id, the newest active credential per venue."""
        return dict(self.credentials)

    def risk_inputs(self, symbol: str, day: date) -> dict[str, Any]:
        """The gate's figures, as the gate's query used to give them."""
        today = self.days.get(day, DayFigures())
        active = {credential for _venue, credential in self.credentials}
        held = [copy.equity_usd for cid, copy in self.equity.items() if cid in active]
        same = [copy.quantity for copy in self.positions.values() if copy.symbol == symbol]
        return {
            "position_quantity": sum(same, Decimal(0)) if same else None,
            "open_positions": sum(1 for copy in self.positions.values() if copy.quantity != 0),
            "trades_today": today.trades,
            "realised_today": today.realised,
            "status": self.status,
            "kill_switches": self.kill_switches,
            "balance_equity": sum(held, Decimal(0)) if held else None,
        }


def advance(view: UserView, version: int) -> bool:
    """Whether a change committed at `version` folds onto `view` (its version just before)."""
    if view.version != version - 1:
        return False
    view.version = version
    return True


class PositionFold(msgspec.Struct, frozen=True):
    """One `PositionChanged` as a view folds it."""

    position_id: str
    copy: PositionCopy
    day: date
    realised_delta: Decimal


def fold_position(view: UserView, change: PositionFold) -> None:
    """The copy moves only to a newer version; the day's P&L takes every delta once."""
    current = view.positions.get(change.position_id)
    if current is None or current.version < change.copy.version:
        view.positions[change.position_id] = change.copy
    if change.realised_delta != 0:
        figures = view.days.get(change.day, DayFigures())
        view.days[change.day] = DayFigures(figures.trades, figures.realised + change.realised_delta)


def fold_equity(view: UserView, credential_id: str, copy: EquityCopy) -> None:
    """Only a newer snapshot replaces the account's equity."""
    current = view.equity.get(credential_id)
    if current is None or current.as_of < copy.as_of:
        view.equity[credential_id] = copy


def fold_order_placed(view: UserView, day: date, placed: int) -> bool:
    """A trader's own order (not a child or slice), the user's `placed`-th, counts toward the
    day's trades; False when the view has not seen the orders before it (it must reload)."""
    if view.placed != placed - 1:
        return False
    view.placed = placed
    figures = view.days.get(day, DayFigures())
    view.days[day] = DayFigures(figures.trades + 1, figures.realised)
    return True
