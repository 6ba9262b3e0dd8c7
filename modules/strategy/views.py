"""The read side: the bot with its open positions, and its signals, newest first."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import msgspec

from modules.kernel.db import Database
from modules.strategy.config import StrategyConfig, TradingViewConfig
from modules.strategy.domain.backtest_report import Report
from modules.strategy.domain.tradingview import hook_url
from modules.strategy.schemas import (
    BacktestParams,
    BacktestView,
    BotPositionView,
    BotView,
    SignalOrder,
    SignalPage,
    SignalView,
    TradingViewAlertView,
    TradingViewHookDetail,
    TradingViewHookView,
)

_SIGNALS = (
    "SELECT s.id, s.venue, s.symbol, s.timeframe, s.bar_start, s.action, s.created_at, "
    "COALESCE((SELECT v.detail FROM strategy.bar_verdicts v WHERE v.id = s.verdict_id), "
    "'{}'::jsonb) || s.detail AS detail, "
    "COALESCE((SELECT jsonb_agg(jsonb_build_object('order_id', i.intent_id::text, "
    "'kind', i.kind, 'status', i.status, 'quantity', i.quantity::text, "
    "'filled_quantity', i.filled_quantity::text, 'code', i.code, 'reason', i.reason)) "
    "FROM strategy.intents i WHERE i.intent_id::text IN "
    "(SELECT jsonb_array_elements_text(s.order_ids))), '[]'::jsonb) AS orders "
    "FROM strategy.signals s WHERE s.user_id = $1 ORDER BY s.id DESC LIMIT $2 OFFSET $3"
)


_BOT = (
    "SELECT status, paused_reason, mode, strategy, pairs, venue, timeframe, risk_level, "
    "max_position_usd, equity_usd, (SELECT s.created_at FROM strategy.signals s "
    "WHERE s.user_id = b.user_id AND s.action = 'entry' ORDER BY s.id DESC LIMIT 1) "
    "AS last_signal_at FROM strategy.bots b WHERE b.user_id = $1"
)
# The same equity the bar handler sizes entries on (repository/bots.py `running_for`).
_VENUE_EQUITY = "SELECT equity_usd FROM strategy.venue_balances WHERE user_id = $1 AND venue = $2"
_POSITIONS = (
    "SELECT id, venue, symbol, status, quantity, exited, entry_price, stop, targets, "
    "targets_hit, trailing_on, opened_at FROM strategy.positions "
    "WHERE user_id = $1 AND status IN ('pending', 'open') ORDER BY opened_at"
)


def _position(row: Any) -> BotPositionView:
    return BotPositionView(
        id=str(row["id"]),
        venue=row["venue"],
        symbol=row["symbol"],
        status=row["status"],
        quantity=row["quantity"],
        remaining=max(row["quantity"] - row["exited"], Decimal(0)),
        entry_price=row["entry_price"],
        stop=row["stop"],
        targets=msgspec.json.decode(row["targets"], type=list[Decimal]),
        targets_hit=row["targets_hit"],
        trailing=row["trailing_on"],
        opened_at=row["opened_at"],
    )


class BotViews:
    def __init__(self, db: Database, config: StrategyConfig) -> None:
        self._db = db
        self._config = config

    async def bot(self, user_id: str) -> BotView:
        async with self._db.connection() as conn:
            bot = await conn.fetchrow(_BOT, user_id)
            positions = await conn.fetch(_POSITIONS, user_id)
            venue = self._config.default_venue if bot is None else bot["venue"]
            venue_equity = await conn.fetchval(_VENUE_EQUITY, user_id, venue)
        values: dict[str, Any] = {
            "status": "off",
            "paused_reason": None,
            "last_signal_at": None,
            **self._config.default_settings(),
        }
        if bot is not None:
            values.update(bot)
            values["pairs"] = msgspec.json.decode(bot["pairs"])
        known = venue_equity is not None
        values["sizing_equity_usd"] = venue_equity if known else values["equity_usd"]
        values["equity_source"] = "venue_balance" if known else "settings"
        values["open_positions"] = [_position(p) for p in positions]
        fields = {f.name for f in msgspec.structs.fields(BotView)}
        return msgspec.convert({k: v for k, v in values.items() if k in fields}, BotView)

    async def signals(self, user_id: str, limit: int, offset: int) -> SignalPage:
        async with self._db.connection() as conn:
            rows = await conn.fetch(_SIGNALS, user_id, limit, offset)
        signals = [
            SignalView(
                id=r["id"],
                venue=r["venue"],
                symbol=r["symbol"],
                timeframe=r["timeframe"],
                bar_start=r["bar_start"],
                action=r["action"],
                detail=msgspec.json.decode(r["detail"]),
                orders=msgspec.json.decode(r["orders"], type=list[SignalOrder]),
                created_at=r["created_at"],
            )
            for r in rows
        ]
        return SignalPage(signals=signals, limit=limit, offset=offset)


# TradingView alerts ---------------------------------------------------------------------------

_HOOKS = (
    "SELECT id, venue, label, created_at, last_alert_at FROM strategy.tradingview_hooks "
    "WHERE user_id = $1 AND revoked_at IS NULL"
)
_ALERTS = (
    "SELECT id, received_at, action, symbol, side, quantity, status, intent_id, code, reason "
    "FROM strategy.tradingview_alerts WHERE hook_id = $1 ORDER BY id DESC LIMIT $2"
)


class TradingViewViews:
    """The trader's hooks (never their secrets) and what each hook's latest alerts became."""

    def __init__(self, db: Database, config: TradingViewConfig) -> None:
        self._db = db
        self._config = config

    def _hook(self, row: Any, request_base_url: str) -> TradingViewHookView:
        base = self._config.public_base_url or request_base_url
        return TradingViewHookView(
            id=str(row["id"]),
            venue=row["venue"],
            label=row["label"],
            url=hook_url(base, str(row["id"])),
            created_at=row["created_at"],
            last_alert_at=row["last_alert_at"],
        )

    async def hooks(self, user_id: str, request_base_url: str) -> list[TradingViewHookView]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(_HOOKS + " ORDER BY created_at", user_id)
        return [self._hook(r, request_base_url) for r in rows]

    async def hook(
        self, user_id: str, hook_id: uuid.UUID, request_base_url: str, limit: int
    ) -> TradingViewHookDetail | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(_HOOKS + " AND id = $2", user_id, hook_id)
            alerts = [] if row is None else await conn.fetch(_ALERTS, hook_id, limit)
        if row is None:
            return None
        views = [
            TradingViewAlertView(
                **{k: v for k, v in a.items() if k != "intent_id"},
                order_id=None if a["intent_id"] is None else str(a["intent_id"]),
            )
            for a in alerts
        ]
        hook = self._hook(row, request_base_url)
        return TradingViewHookDetail(**msgspec.structs.asdict(hook), alerts=views)


_BACKTEST = (
    "SELECT id, status, params, report, error_code, error, created_at, started_at, finished_at "
    "FROM strategy.backtests WHERE id = $1 AND user_id = $2"
)
# Internal statuses as the API names them: history complete but not yet running is queued.
_BACKTEST_STATUS = {"queued": "queued", "ready": "queued", "running": "running"}


class BacktestViews:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def backtest(self, user_id: str, backtest_id: str) -> BacktestView | None:
        """The caller's backtest, or None (someone else's is as unknown as a missing one)."""
        try:
            key = uuid.UUID(backtest_id)
        except ValueError:
            return None
        async with self._db.connection() as conn:
            row = await conn.fetchrow(_BACKTEST, key, user_id)
        if row is None:
            return None
        report = row["report"]
        return BacktestView(
            id=str(row["id"]),
            status=_BACKTEST_STATUS.get(row["status"], row["status"]),
            params=msgspec.json.decode(row["params"], type=BacktestParams),
            created_at=row["created_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            error_code=row["error_code"],
            error=row["error"],
            report=None if report is None else msgspec.json.decode(report, type=Report),
        )
