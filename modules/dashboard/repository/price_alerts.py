"""Price alerts: a trader's armed and fired alerts, and the one-shot firing."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.dashboard.domain.price_alerts import ArmedAlert
from modules.dashboard.domain.push_records import AlertRecord

_ALERT_COLUMNS = (
    "id, user_id, symbol, venue, direction, threshold, created_at, triggered_at, "
    "triggered_price, triggered_venue"
)


def _record(row: Any) -> AlertRecord:
    return msgspec.convert(dict(row), AlertRecord)


class PriceAlertRepository:
    async def add(self, conn: asyncpg.Connection, alert: ArmedAlert) -> AlertRecord:
        row = await conn.fetchrow(
            "INSERT INTO dashboard.price_alerts (id, user_id, symbol, venue, direction, "  # noqa: S608
            "threshold, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            f"RETURNING {_ALERT_COLUMNS}",
            alert.id,
            alert.user_id,
            alert.symbol,
            alert.venue,
            alert.direction,
            alert.threshold,
            alert.created_at,
        )
        return _record(row)

    async def armed_count(self, conn: asyncpg.Connection, user_id: str) -> int:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM dashboard.price_alerts "
            "WHERE user_id = $1 AND triggered_at IS NULL",
            user_id,
        )
        return count

    async def delete(self, conn: asyncpg.Connection, user_id: str, alert_id: uuid.UUID) -> bool:
        deleted = await conn.fetchval(
            "DELETE FROM dashboard.price_alerts WHERE id = $1 AND user_id = $2 RETURNING id",
            alert_id,
            user_id,
        )
        return deleted is not None

    async def armed(self, conn: asyncpg.Connection) -> list[ArmedAlert]:
        rows = await conn.fetch(
            "SELECT id, user_id, symbol, venue, direction, threshold, created_at "
            "FROM dashboard.price_alerts WHERE triggered_at IS NULL"
        )
        return [msgspec.convert(dict(row), ArmedAlert) for row in rows]

    async def fire(
        self,
        conn: asyncpg.Connection,
        alert_id: uuid.UUID,
        price: Decimal,
        venue: str,
        at: datetime,
    ) -> bool:
        """Mark the alert fired; False when it already was (or was deleted): it fires once."""
        fired = await conn.fetchval(
            "UPDATE dashboard.price_alerts SET triggered_at = $2, triggered_price = $3, "
            "triggered_venue = $4 WHERE id = $1 AND triggered_at IS NULL RETURNING id",
            alert_id,
            at,
            price,
            venue,
        )
        return fired is not None
