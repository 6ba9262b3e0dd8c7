"""The read side of notifications: the unread count, preferences, push devices, price alerts.

Rows become response shapes here; the same functions shape what the write use cases answer.
A push device is shown by its hint, never its token.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from modules.dashboard.domain.push import Preferences
from modules.dashboard.domain.push_records import AlertRecord, DeviceRecord
from modules.dashboard.schemas.push import (
    DeviceList,
    DeviceView,
    PreferencesView,
    PriceAlertList,
    PriceAlertView,
    UnreadCount,
)
from modules.kernel.db import Database

_DEVICE_COLUMNS = ", ".join(DeviceRecord.__struct_fields__)
_ALERT_COLUMNS = ", ".join(AlertRecord.__struct_fields__)
_PREFERENCE_COLUMNS = ", ".join(f"p.{name}" for name in Preferences.__struct_fields__)


def device_view(record: DeviceRecord) -> DeviceView:
    return DeviceView(
        id=str(record.id),
        device_id=record.device_id,
        platform=record.platform,
        token_hint=record.token_hint,
        created_at=record.created_at,
        updated_at=record.updated_at,
        last_sent_at=record.last_sent_at,
    )


def plain(amount: Decimal) -> Decimal:
    """70000, not 7E+4 (the driver reads a whole numeric back in exponent form)."""
    exponent = amount.as_tuple().exponent
    return amount.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else amount


def alert_view(record: AlertRecord) -> PriceAlertView:
    fired_at = record.triggered_price
    return PriceAlertView(
        id=record.id,
        symbol=record.symbol,
        venue=record.venue,
        direction=record.direction,
        price=plain(record.threshold),
        status="armed" if record.triggered_at is None else "triggered",
        created_at=record.created_at,
        triggered_at=record.triggered_at,
        triggered_price=None if fired_at is None else plain(fired_at),
        triggered_venue=record.triggered_venue,
    )


def preferences_view(preferences: Preferences, timezone: str) -> PreferencesView:
    return PreferencesView(**msgspec.structs.asdict(preferences), timezone=timezone)


def _device(row: Any) -> DeviceRecord:
    return msgspec.convert(dict(row), DeviceRecord)


class PushViews:
    """A user's own rows only: another user's are never found."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def unread(self, user_id: str) -> UnreadCount:
        async with self._db.connection() as conn:
            count = await conn.fetchval(
                "SELECT count(*) FROM dashboard.notifications "
                "WHERE user_id = $1 AND read_at IS NULL",
                user_id,
            )
        return UnreadCount(unread=int(count))

    async def preferences(self, user_id: str) -> PreferencesView:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(
                f"SELECT {_PREFERENCE_COLUMNS}, a.timezone "  # noqa: S608 - names are ours
                "FROM (SELECT $1::text AS user_id) u "
                "LEFT JOIN dashboard.notification_preferences p ON p.user_id = u.user_id "
                "LEFT JOIN dashboard.account_directory a ON a.user_id = u.user_id",
                user_id,
            )
        stored = {k: v for k, v in dict(row).items() if v is not None and k != "timezone"}
        preferences = msgspec.convert(stored, Preferences)
        return preferences_view(preferences, row["timezone"] or "UTC")

    async def devices(self, user_id: str) -> DeviceList:
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                f"SELECT {_DEVICE_COLUMNS} FROM dashboard.push_devices "  # noqa: S608
                "WHERE user_id = $1 ORDER BY created_at, id",
                user_id,
            )
        return DeviceList(items=[device_view(_device(row)) for row in rows])

    async def price_alerts(self, user_id: str) -> PriceAlertList:
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                f"SELECT {_ALERT_COLUMNS} FROM dashboard.price_alerts "  # noqa: S608
                "WHERE user_id = $1 ORDER BY created_at DESC, id",
                user_id,
            )
        return PriceAlertList(
            items=[alert_view(msgspec.convert(dict(row), AlertRecord)) for row in rows]
        )
