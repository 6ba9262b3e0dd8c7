"""Writes and reads of notification preferences, push devices and the push outbox.

Everything that queues a push runs on the connection of the transaction that stores its
notification, so the two commit together or not at all. The delivery round claims its rows
with `FOR UPDATE SKIP LOCKED` and keeps the lock while the push service answers, so replicas
share the queue and a round cut short by a crash leaves its rows to be sent again.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from modules.dashboard.domain.push import Preferences, Push, PushData
from modules.dashboard.domain.push_delivery import PendingPush
from modules.dashboard.domain.push_records import DeviceRecord
from modules.dashboard.domain.read_model import NotificationRecord

_PREFERENCE_FIELDS = tuple(Preferences.__struct_fields__)
# The on/off preferences, each as the column a statement checks (names from the struct only).
_PREFERENCE_CHECK = {
    name: name for name in _PREFERENCE_FIELDS if isinstance(getattr(Preferences(), name), bool)
}
_NOTIFICATION_COLUMNS = tuple(NotificationRecord.__struct_fields__)
_NOTIFICATION_TYPES = {"id": "uuid", "created_at": "timestamptz", "read_at": "timestamptz"}
_N = len(_NOTIFICATION_COLUMNS)
# Notifications, each not when one with its `dedupe_key` was stored before; the ids stored.
_INSERT_NOTIFICATIONS_ONCE = (
    f"INSERT INTO dashboard.notifications ({', '.join(_NOTIFICATION_COLUMNS)}) "  # noqa: S608
    "SELECT * FROM unnest("
    + ", ".join(
        f"${i + 1}::{_NOTIFICATION_TYPES.get(c, 'text')}[]"
        for i, c in enumerate(_NOTIFICATION_COLUMNS)
    )
    + ") ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, user_id"
)
# Notifications of one push kind, and for each one stored its push, queued for each of its
# user's devices if the user's preferences want it ({wanted}: the columns that decide, all on;
# ${_N + 9}: what a user who never chose gets). One statement: the preferences and devices
# are read by the insert.
_QUEUE_WITH_NOTIFICATIONS = (
    f"WITH notification AS ({_INSERT_NOTIFICATIONS_ONCE}), "  # noqa: S608 - names, placeholders
    f"push AS (SELECT * FROM unnest(${_N + 1}::uuid[], ${_N + 2}::text[], ${_N + 3}::text[], "
    f"${_N + 4}::text[], ${_N + 5}::text[], ${_N + 6}::text[], ${_N + 7}::timestamptz[], "
    f"${_N + 8}::timestamptz[]) AS q(notification_id, collapse_key, title, body, data, "
    "position_ref, due_at, send_by)), "
    "queued AS (INSERT INTO dashboard.push_outbox (user_id, device, notification_id, kind, "
    "collapse_key, title, body, data, position_ref, due_at, send_by, created_at) "
    f"SELECT n.user_id, d.id, n.id, ${_N + 10}, q.collapse_key, q.title, q.body, "
    f"q.data::jsonb, q.position_ref, q.due_at, q.send_by, ${_N + 11} "
    "FROM notification n JOIN push q ON q.notification_id = n.id "
    "JOIN dashboard.push_devices d ON d.user_id = n.user_id "
    "WHERE COALESCE((SELECT {wanted} FROM dashboard.notification_preferences p "
    f"WHERE p.user_id = n.user_id), ${_N + 9}) RETURNING 1) "
    "SELECT coalesce((SELECT array_agg(id) FROM notification), '{{}}') AS stored, "
    "(SELECT count(*) FROM queued) AS pushes"
)
_PENDING_COLUMNS = (
    "id, device::text AS device, kind, collapse_key, title, body, data, position_ref, "
    "user_id, attempts, created_at"
)


class Queued(msgspec.Struct, frozen=True, kw_only=True):
    stored: set[uuid.UUID]  # not those whose dedupe key was stored before
    pushes: int  # rows queued, one per device that gets it


class PushedNotice(msgspec.Struct, frozen=True, kw_only=True):
    """A notification with the push that tells it, as it is queued."""

    record: NotificationRecord
    push: Push
    collapse_key: str
    due_at: datetime
    send_by: datetime


class SealedToken(msgspec.Struct, frozen=True):
    device: str
    user_id: str
    sealed: str


class ClaimedPush(msgspec.Struct, frozen=True, kw_only=True):
    """A claimed outbox row: the push, and what delivery needs besides (owner, retries, ref)."""

    push: PendingPush
    user_id: str
    attempts: int
    position_ref: str | None


_encode = msgspec.json.Encoder().encode


def _device(row: Any) -> DeviceRecord:
    return msgspec.convert(dict(row), DeviceRecord)


def _claimed(row: Any) -> ClaimedPush:
    data = msgspec.json.decode(row["data"], type=PushData)
    push = PendingPush(
        id=row["id"],
        device=row["device"],
        kind=row["kind"],
        collapse_key=row["collapse_key"],
        title=row["title"],
        body=row["body"],
        data=data,
        created_at=row["created_at"],
    )
    return ClaimedPush(
        push=push,
        user_id=row["user_id"],
        attempts=row["attempts"],
        position_ref=row["position_ref"],
    )


class PushRepository:
    # ---- notifications ---------------------------------------------------------------------

    async def add_notifications_once(
        self, conn: asyncpg.Connection, records: list[NotificationRecord]
    ) -> set[uuid.UUID]:
        """Store the notifications, in one statement; the ids of those stored (not those with a
        `dedupe_key` stored before)."""
        rows = await conn.fetch(
            _INSERT_NOTIFICATIONS_ONCE,
            *([getattr(record, c) for record in records] for c in _NOTIFICATION_COLUMNS),
        )
        return {row["id"] for row in rows}

    async def mark_all_read(self, conn: asyncpg.Connection, user_id: str, at: datetime) -> int:
        status = await conn.execute(
            "UPDATE dashboard.notifications SET read_at = $2 "
            "WHERE user_id = $1 AND read_at IS NULL",
            user_id,
            at,
        )
        return int(status.split()[-1])

    # ---- preferences -----------------------------------------------------------------------

    async def preferences(self, conn: asyncpg.Connection, user_id: str) -> Preferences:
        row = await conn.fetchrow(
            f"SELECT {', '.join(_PREFERENCE_FIELDS)} "  # noqa: S608 - names from the struct
            "FROM dashboard.notification_preferences WHERE user_id = $1",
            user_id,
        )
        return Preferences() if row is None else msgspec.convert(dict(row), Preferences)

    async def save_preferences(
        self, conn: asyncpg.Connection, user_id: str, preferences: Preferences, at: datetime
    ) -> None:
        columns = ", ".join(_PREFERENCE_FIELDS)
        values = ", ".join(f"${i + 2}" for i in range(len(_PREFERENCE_FIELDS)))
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _PREFERENCE_FIELDS)
        await conn.execute(
            f"INSERT INTO dashboard.notification_preferences (user_id, {columns}, updated_at) "  # noqa: S608
            f"VALUES ($1, {values}, ${len(_PREFERENCE_FIELDS) + 2}) "
            f"ON CONFLICT (user_id) DO UPDATE SET {updates}, updated_at = EXCLUDED.updated_at",
            user_id,
            *(getattr(preferences, c) for c in _PREFERENCE_FIELDS),
            at,
        )

    # ---- devices ---------------------------------------------------------------------------

    async def device_of(
        self, conn: asyncpg.Connection, user_id: str, device_id: str, *, lock: bool = False
    ) -> DeviceRecord | None:
        row = await conn.fetchrow(
            "SELECT id, user_id, device_id, platform, token_hint, created_at, updated_at, "  # noqa: S608
            "last_sent_at FROM dashboard.push_devices WHERE user_id = $1 AND device_id = $2"
            + (" FOR UPDATE" if lock else ""),
            user_id,
            device_id,
        )
        return None if row is None else _device(row)

    async def count_devices(self, conn: asyncpg.Connection, user_id: str) -> int:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM dashboard.push_devices WHERE user_id = $1", user_id
        )
        return count

    async def save_device(
        self,
        conn: asyncpg.Connection,
        record: DeviceRecord,
        token_sealed: str,
        token_hash: str,
    ) -> DeviceRecord:
        """Insert or update the user's device; a token registered elsewhere moves here."""
        moved = await conn.fetch(
            "DELETE FROM dashboard.push_devices WHERE token_hash = $1 AND id <> $2 RETURNING id",
            token_hash,
            record.id,
        )
        await self._forget_pending(conn, [row["id"] for row in moved])
        row = await conn.fetchrow(
            "INSERT INTO dashboard.push_devices (id, user_id, device_id, platform, token_sealed, "
            "token_hash, token_hint, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO UPDATE SET "
            "platform = EXCLUDED.platform, token_sealed = EXCLUDED.token_sealed, "
            "token_hash = EXCLUDED.token_hash, token_hint = EXCLUDED.token_hint, "
            "updated_at = EXCLUDED.updated_at "
            "RETURNING id, user_id, device_id, platform, token_hint, created_at, updated_at, "
            "last_sent_at",
            record.id,
            record.user_id,
            record.device_id,
            record.platform,
            token_sealed,
            token_hash,
            record.token_hint,
            record.created_at,
            record.updated_at,
        )
        return _device(row)

    async def delete_device(
        self, conn: asyncpg.Connection, user_id: str, device: uuid.UUID
    ) -> bool:
        deleted = await conn.fetchval(
            "DELETE FROM dashboard.push_devices WHERE id = $1 AND user_id = $2 RETURNING id",
            device,
            user_id,
        )
        if deleted is None:
            return False
        await self._forget_pending(conn, [device])
        return True

    async def drop_devices(self, conn: asyncpg.Connection, devices: list[str]) -> int:
        """Forget devices the push service says are gone (whoever they belong to)."""
        ids = [uuid.UUID(d) for d in devices]
        gone = await conn.fetch(
            "DELETE FROM dashboard.push_devices WHERE id = ANY($1::uuid[]) RETURNING id", ids
        )
        await self._forget_pending(conn, ids)
        return len(gone)

    async def _forget_pending(self, conn: asyncpg.Connection, devices: list[uuid.UUID]) -> None:
        if devices:
            await conn.execute(
                "DELETE FROM dashboard.push_outbox WHERE device = ANY($1::uuid[]) "
                "AND status = 'pending'",
                devices,
            )

    async def sealed_tokens(
        self, conn: asyncpg.Connection, devices: list[str]
    ) -> dict[str, SealedToken]:
        rows = await conn.fetch(
            "SELECT id::text AS device, user_id, token_sealed FROM dashboard.push_devices "
            "WHERE id = ANY($1::uuid[])",
            [uuid.UUID(d) for d in devices],
        )
        return {
            r["device"]: SealedToken(r["device"], r["user_id"], r["token_sealed"]) for r in rows
        }

    # ---- the outbox ------------------------------------------------------------------------

    async def queue(
        self,
        conn: asyncpg.Connection,
        notices: list[PushedNotice],
        *,
        kind: str,
        created_at: datetime,
        deciding: tuple[str, ...],
        by_default: bool,
    ) -> Queued:
        """Store the notifications (not one whose `dedupe_key` was stored before) and, for each
        stored, its push (all of `kind`): one pending row per device its user has now, if the
        user's preferences named in `deciding` are all on (`by_default` for a user who never
        chose)."""
        wanted = " AND ".join(_PREFERENCE_CHECK[name] for name in deciding)
        row = await conn.fetchrow(
            _QUEUE_WITH_NOTIFICATIONS.format(wanted=wanted),
            *([getattr(n.record, c) for n in notices] for c in _NOTIFICATION_COLUMNS),
            [n.record.id for n in notices],
            [n.collapse_key for n in notices],
            [n.push.title for n in notices],
            [n.push.body for n in notices],
            [_encode(n.push.data).decode() for n in notices],
            [n.push.position_ref for n in notices],
            [n.due_at for n in notices],
            [n.send_by for n in notices],
            by_default,
            kind,
            created_at,
        )
        return Queued(stored=set(row["stored"]), pushes=row["pushes"])

    async def claim_due(
        self, conn: asyncpg.Connection, now: datetime, groups: int
    ) -> list[ClaimedPush]:
        """Every pending row of up to `groups` due (device, collapse key) groups.

        A group is due when its newest row is (no push has joined it for the quiet time), or
        when its oldest must go (the longest a burst may hold a push back).
        """
        # A row's `due_at` is never after its `send_by`, so only groups with a row due now can
        # be due: rows waiting out a retry's backoff are not even looked at.
        rows = await conn.fetch(
            "WITH ripe AS (SELECT DISTINCT device, collapse_key FROM dashboard.push_outbox "  # noqa: S608
            "WHERE status = 'pending' AND due_at <= $1), "
            "due AS (SELECT device, collapse_key FROM dashboard.push_outbox "
            "JOIN ripe USING (device, collapse_key) WHERE status = 'pending' "
            "GROUP BY device, collapse_key "
            "HAVING max(due_at) <= $1 OR min(send_by) <= $1 LIMIT $2) "
            f"SELECT {_PENDING_COLUMNS} FROM dashboard.push_outbox o "
            "JOIN due USING (device, collapse_key) WHERE o.status = 'pending' "
            "ORDER BY o.id FOR UPDATE OF o SKIP LOCKED",
            now,
            groups,
        )
        return [_claimed(row) for row in rows]

    async def mark_sent(
        self,
        conn: asyncpg.Connection,
        sent: list[tuple[int, str | None, tuple[int, ...]]],
        at: datetime,
    ) -> None:
        """(leader, ticket id, members): the leader is sent, the others went out inside it."""
        await conn.executemany(
            "UPDATE dashboard.push_outbox SET status = 'sent', sent_at = $3, ticket_id = $2, "
            "attempts = attempts + 1 WHERE id = $1",
            [(leader, ticket, at) for leader, ticket, _ in sent],
        )
        followers = [(m, leader, at) for leader, _, members in sent for m in members if m != leader]
        if followers:
            await conn.executemany(
                "UPDATE dashboard.push_outbox SET status = 'collapsed', sent_at = $3, "
                "collapsed_into = $2 WHERE id = $1",
                followers,
            )
        if sent:
            await conn.execute(
                "UPDATE dashboard.push_devices SET last_sent_at = $2 WHERE id IN "
                "(SELECT device FROM dashboard.push_outbox WHERE id = ANY($1::bigint[]))",
                [leader for leader, _, _ in sent],
                at,
            )

    async def reschedule(
        self, conn: asyncpg.Connection, ids: list[int], due_at: datetime, error: str
    ) -> None:
        await conn.execute(
            "UPDATE dashboard.push_outbox SET attempts = attempts + 1, due_at = $2, "
            "send_by = $2, error = $3 "
            "WHERE id = ANY($1::bigint[])",
            ids,
            due_at,
            error[:200],
        )

    async def fail(self, conn: asyncpg.Connection, ids: list[int], error: str) -> None:
        await conn.execute(
            "UPDATE dashboard.push_outbox SET status = 'failed', attempts = attempts + 1, "
            "error = $2 WHERE id = ANY($1::bigint[])",
            ids,
            error[:200],
        )

    async def settle_position_refs(
        self, conn: asyncpg.Connection, refs: set[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        """Position ids of (user id, "venue|symbol") pairs, as far as they are known now."""
        if not refs:
            return {}
        users, keys = zip(*refs, strict=True)
        rows = await conn.fetch(
            "SELECT c.user_id, c.venue || '|' || c.symbol AS ref, c.position_id "
            "FROM dashboard.position_cycles c JOIN unnest($1::text[], $2::text[]) AS r(u, k) "
            "ON c.user_id = r.u AND c.venue || '|' || c.symbol = r.k",
            list(users),
            list(keys),
        )
        return {(r["user_id"], r["ref"]): r["position_id"] for r in rows}

    # ---- receipts --------------------------------------------------------------------------

    async def claim_tickets(
        self, conn: asyncpg.Connection, sent_before: datetime, limit: int
    ) -> list[tuple[int, str, str, datetime]]:
        """(row id, ticket id, device, sent at) of sent pushes whose receipt is due."""
        rows = await conn.fetch(
            "SELECT id, ticket_id, device::text AS device, sent_at FROM dashboard.push_outbox "
            "WHERE status = 'sent' AND ticket_id IS NOT NULL AND sent_at <= $1 "
            "ORDER BY sent_at LIMIT $2 FOR UPDATE SKIP LOCKED",
            sent_before,
            limit,
        )
        return [(r["id"], r["ticket_id"], r["device"], r["sent_at"]) for r in rows]

    async def delivered(self, conn: asyncpg.Connection, ids: list[int]) -> None:
        if ids:
            await conn.execute(
                "UPDATE dashboard.push_outbox SET status = 'delivered' "
                "WHERE id = ANY($1::bigint[])",
                ids,
            )

    async def purge(self, conn: asyncpg.Connection, before: datetime) -> int:
        status = await conn.execute(
            "DELETE FROM dashboard.push_outbox WHERE created_at < $1 AND status <> 'pending'",
            before,
        )
        return int(status.split()[-1])
