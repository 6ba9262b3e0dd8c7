"""Rows of the screens' read models as the shapes the API and the pushes send (schemas), and
the SQL those rows are read with."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from modules.dashboard.domain.pnl import MONEY_STEP, exit_reason, reduced
from modules.dashboard.domain.positions import percent, unrealised
from modules.dashboard.schemas.screens import ActivityItem, BalanceView, BotStatusView, PositionCard
from modules.dashboard.views.reads import plain, plain_or_none

# A position with its mark, and the fill (with its route) that closed it.
POSITIONS_FROM = """
FROM dashboard.positions p
LEFT JOIN dashboard.marks m ON m.venue = p.venue AND m.symbol = p.symbol
LEFT JOIN dashboard.trades xt ON xt.position_id = p.position_id AND xt.version = p.close_version
LEFT JOIN dashboard.routes xr ON xr.order_id = xt.order_id
LEFT JOIN dashboard.signal_intents xi ON xi.intent_id = xr.trader_order_id
"""
POSITION_COLUMNS = (
    "p.*, m.price AS mark, m.at AS marked_at, xt.price AS exit_price, "
    "xr.signal AS exit_signal, coalesce(xr.trader_order_id, xt.order_id) AS exit_order_id, "
    "xi.intent_id IS NOT NULL AS exit_by_bot"
)
# A position's P&L as the list filters it (the view rounds the mark-to-market to 1e-8 too).
POSITION_PNL = (
    "(p.realised_pnl + CASE WHEN p.status = 'open' AND m.price IS NOT NULL "
    "THEN round((m.price - p.entry_price) * p.quantity, 8) ELSE 0 END)"
)
# A fill with its route: the trader's order id, the client order id, and who sent it.
TRADES_FROM = """
FROM dashboard.trades t
LEFT JOIN dashboard.routes r ON r.order_id = t.order_id
LEFT JOIN dashboard.signal_intents si ON si.intent_id = r.trader_order_id
"""
TRADE_COLUMNS = (
    "t.id, t.user_id, t.venue, t.symbol, t.order_id, t.side, t.price, t.quantity, t.fee, "
    "t.fee_currency, t.executed_at, t.position_id, t.position_quantity, t.realised_delta, "
    "t.closes, t.closed_cycle, t.cycle_pnl, t.cycle_pnl_pct, t.revision, "
    "r.trader_order_id, r.client_order_id, r.signal, si.intent_id IS NOT NULL AS by_bot"
)
_MOVE = "(CASE t.side WHEN 'buy' THEN t.quantity ELSE -t.quantity END)"
# The P&L an activity line shows: a close's position, a partial exit's own; else none.
TRADE_PNL = (
    "(CASE WHEN t.closes THEN t.cycle_pnl WHEN t.position_quantity IS NOT NULL "
    f"AND t.position_quantity - {_MOVE} <> 0 "
    f"AND sign(t.position_quantity - {_MOVE}) <> sign({_MOVE}) THEN t.realised_delta END)"
)


def _money(value: Decimal) -> Decimal:
    return value.quantize(MONEY_STEP)


def position_view(row: Any, now: datetime) -> PositionCard:
    """A position (a row read with POSITION_COLUMNS) marked to market."""
    is_open = row["status"] == "open"
    entry = plain(row["entry_price"])
    size = plain(abs(row["quantity"]) if is_open else row["peak_quantity"])
    mark = plain_or_none(row["mark"])
    current = (mark if is_open else plain_or_none(row["exit_price"])) or entry
    unreal = unrealised(row["quantity"], entry, mark) if is_open else Decimal(0)
    amount = _money(size * entry)
    realised = plain(row["realised_pnl"])
    pnl = plain(realised + unreal)
    ended = row["closed_at"] or now
    reason = None
    if not is_open:
        reason = exit_reason(row["exit_signal"], by_bot=bool(row["exit_by_bot"]))
    return PositionCard(
        id=row["position_id"],
        cycle=row["open_version"],
        venue=row["venue"],
        symbol=row["symbol"],
        side=row["side"],
        status=row["status"],
        size=size,
        entry_price=entry,
        current_price=current,
        amount=amount,
        value=_money(size * current),
        realised_pnl=realised,
        unrealised_pnl=unreal,
        pnl=pnl,
        pnl_pct=percent(pnl, amount),
        fees=plain(row["fees"]),
        opened_at=row["opened_at"],
        closed_at=row["closed_at"],
        duration_seconds=max(0, int((ended - row["opened_at"]).total_seconds())),
        exit_reason=reason,
        revision=row["revision"],
    )


def trade_item(row: Any) -> ActivityItem:
    """A fill (a row read with TRADE_COLUMNS) as an activity line."""
    closes = bool(row["closes"])
    held_after = row["position_quantity"]
    realised = plain_or_none(row["realised_delta"])
    pnl = plain_or_none(row["cycle_pnl"]) if closes else None
    if not closes and held_after is not None and reduced(row["side"], row["quantity"], held_after):
        pnl = realised
    reason = None
    if closes:
        reason = exit_reason(row["signal"], by_bot=bool(row["by_bot"]))
    return ActivityItem(
        id=f"trade-{row['id']}",
        type="close" if closes else "trade",
        at=row["executed_at"],
        venue=row["venue"],
        symbol=row["symbol"],
        side=row["side"],
        quantity=plain_or_none(row["quantity"]),
        price=plain_or_none(row["price"]),
        fee=plain_or_none(row["fee"]),
        fee_currency=row["fee_currency"],
        order_id=row["trader_order_id"] or row["order_id"],
        client_order_id=row["client_order_id"],
        position_id=row["position_id"],
        cycle=row["closed_cycle"] if closes else None,
        realised_pnl=realised,
        pnl=pnl,
        pnl_pct=plain_or_none(row["cycle_pnl_pct"]) if closes else None,
        exit_reason=reason,
        revision=row["revision"],
    )


def event_item(row: Any) -> ActivityItem:
    """A bot status change or a security event as an activity line."""
    return ActivityItem(
        id=f"event-{row['id']}",
        type=row["kind"],
        at=row["at"],
        status=row["code"],
        previous=row["previous"],
        reason=row["reason"],
    )


def balance_view(row: Any) -> BalanceView:
    held = msgspec.json.decode(row["balances"], type=dict[str, Decimal])
    return BalanceView(
        venue=row["venue"],
        equity_usd=plain(row["equity_usd"]),
        balances=held,
        reported_at=row["reported_at"],
        revision=row["revision"],
    )


def bot_view(row: Any | None) -> BotStatusView:
    if row is None or row["bot_status"] is None:
        return BotStatusView(status="off", previous=None, reason=None, changed_at=None, revision=0)
    return BotStatusView(
        status=row["bot_status"],
        previous=row["bot_previous"],
        reason=row["bot_reason"],
        changed_at=row["bot_changed_at"],
        revision=row["bot_revision"],
    )
