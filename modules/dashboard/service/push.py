"""Notifications that reach the phone: store the notice, queue its push, manage the phones.

A push is queued as rows of the push outbox, one per device the user has, in the transaction
that stores its notification: both commit or neither does, so a push is never lost between the
two and never queued for a notice that was rolled back. The delivery worker sends them
(service/push_delivery.py). A user's preferences decide what is queued at all.

Push tokens are secrets: sealed by the transit keyring (bound to their user) as soon as they
arrive, shown only as a hint, never logged, never in an event or a response.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import timedelta

import msgspec

import modules.dashboard.config as config
from modules.dashboard.domain import push as rules
from modules.dashboard.domain.push import Preferences, Push
from modules.dashboard.domain.push_delivery import EXPO_TOKEN, collapse_key, token_hint
from modules.dashboard.domain.push_records import DeviceRecord
from modules.dashboard.domain.read_model import NotificationRecord
from modules.dashboard.ports import PushHub
from modules.dashboard.repository.accounts import AccountRepository
from modules.dashboard.repository.push import PushedNotice, PushRepository
from modules.dashboard.schemas.orders import NotificationCreated
from modules.dashboard.schemas.push import (
    DeviceRegistration,
    DeviceView,
    MarkedRead,
    PreferencesUpdate,
)
from modules.dashboard.views.orders import notification_view
from modules.dashboard.views.push import device_view
from modules.kernel.ids import time_ordered_uuid
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.refusal import Kind, Refused

# The transit key push tokens are sealed under (the context binds each to its user).
_encode = msgspec.json.Encoder().encode


def _no_device() -> Refused:
    return Refused(Kind.NOT_FOUND, "push_device_not_found", "No such push device")


class Notifier:
    """Stores notifications and queues their pushes; the plugin sets `wake_delivery`."""

    def __init__(
        self,
        runtime: Runtime,
        hub: PushHub,
        pushes: PushRepository,
        accounts: AccountRepository,
    ) -> None:
        self._runtime = runtime
        self._hub = hub
        self._pushes = pushes
        self._accounts = accounts
        self.wake_delivery: Callable[[float], None] = lambda _delay: None
        self._queued = runtime.metrics.counter(
            "nija_dashboard_pushes_queued_total", "Phone pushes queued, by kind", ["kind"]
        )

    async def resolve(self, uow: UnitOfWork, user_id: str, push: Push) -> Push:
        """Complete a trade's deep link with its position, if the position is known by now."""
        if push.position_ref is None:
            return push
        venue, _, symbol = push.position_ref.partition("|")
        position_id = await self._accounts.position_id(uow.conn, user_id, venue, symbol)
        if position_id is None:
            return push
        data = rules.with_position(push.data, position_id)
        return msgspec.structs.replace(push, data=data, position_ref=None)

    async def notify(
        self,
        uow: UnitOfWork,
        user_id: str,
        *,
        kind: str,
        title: str,
        body: str,
        push: Push | None,
        dedupe_key: str | None = None,
        order_id: str | None = None,
    ) -> NotificationRecord | None:
        """Store an in-app notification and queue its push; None when `dedupe_key` was told."""
        if push is not None:
            push = await self.resolve(uow, user_id, push)
        record = NotificationRecord(
            id=time_ordered_uuid(),
            user_id=user_id,
            kind=kind,
            title=title,
            body=body,
            order_id=order_id,
            created_at=self._runtime.clock(),
            url=None if push is None else push.data.url,
            dedupe_key=dedupe_key,
        )
        if not await self.store(uow, record, push):
            return None
        payload = _encode(NotificationCreated(notification=notification_view(record)))

        async def tell_sockets() -> None:
            await self._hub.push(user_id, payload)

        uow.after_commit(tell_sockets)
        return record

    async def store(self, uow: UnitOfWork, record: NotificationRecord, push: Push | None) -> bool:
        """Store the notification and queue `push` (if any) for each of the user's devices
        that want it; False when one with its `dedupe_key` was stored before (nothing done)."""
        return record.id in await self.store_many(uow, [(record, push)])

    async def store_many(
        self, uow: UnitOfWork, notices: list[tuple[NotificationRecord, Push | None]]
    ) -> set[uuid.UUID]:
        """Store the notifications and queue each one's push (if any) for each of its user's
        devices that want it: one statement for those with no push, one per kind of push; the
        ids stored (not those whose `dedupe_key` was stored before)."""
        plain = [record for record, push in notices if push is None]
        stored = await self._pushes.add_notifications_once(uow.conn, plain) if plain else set()
        by_kind: dict[str, list[tuple[NotificationRecord, Push]]] = {}
        for record, push in notices:
            if push is not None:
                by_kind.setdefault(push.kind, []).append((record, push))
        for kind, pushed in by_kind.items():
            stored |= await self._queue(uow, kind, pushed)
        return stored

    async def _queue(
        self, uow: UnitOfWork, kind: str, pushed: list[tuple[NotificationRecord, Push]]
    ) -> set[uuid.UUID]:
        now = self._runtime.clock()
        collapsing = kind in rules.COLLAPSING
        wait = config.PUSH_QUIET_SECONDS if collapsing else 0.0
        latest = config.PUSH_COLLAPSE_MAX_SECONDS if collapsing else 0.0
        notices = [
            PushedNotice(
                record=record,
                push=push,
                collapse_key=collapse_key(kind, str(record.id)),
                due_at=now + timedelta(seconds=wait),
                send_by=now + timedelta(seconds=latest),
            )
            for record, push in pushed
        ]
        queued = await self._pushes.queue(
            uow.conn,
            notices,
            kind=kind,
            created_at=now,
            # The preferences decide in the same statement: no read of them before it.
            deciding=rules.deciding_preferences(kind),
            by_default=rules.wanted(Preferences(), kind),
        )
        if queued.pushes:
            self._queued.labels(kind).inc(queued.pushes)
            uow.after_commit(lambda: self.wake_delivery(wait))
        return queued.stored

    # ---- requests ------------------------------------------------------------------------

    async def mark_all_read(self, user_id: str) -> MarkedRead:
        async with self._runtime.unit_of_work("dashboard") as uow:
            marked = await self._pushes.mark_all_read(uow.conn, user_id, self._runtime.clock())
        return MarkedRead(marked=marked, unread=0)

    async def update_preferences(self, user_id: str, update: PreferencesUpdate) -> None:
        changes = {
            name: value
            for name, value in msgspec.structs.asdict(update).items()
            if value is not msgspec.UNSET
        }
        async with self._runtime.unit_of_work("dashboard") as uow:
            await uow.conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext('dashboard.preferences:' || $1))", user_id
            )
            current = await self._pushes.preferences(uow.conn, user_id)
            updated = msgspec.structs.replace(current, **changes)
            await self._pushes.save_preferences(uow.conn, user_id, updated, self._runtime.clock())


class PushDevices:
    """The phones a user's pushes go to."""

    def __init__(self, runtime: Runtime, pushes: PushRepository) -> None:
        self._runtime = runtime
        self._pushes = pushes

    async def register(self, user_id: str, body: DeviceRegistration) -> tuple[DeviceView, bool]:
        """Register (or update) the device; True when it is new. The same `device_id` again is
        the same device; a token registered elsewhere before now belongs here only."""
        token = body.expo_push_token
        if not EXPO_TOKEN.fullmatch(token):
            raise Refused(
                Kind.INVALID,
                "invalid_push_token",
                "expo_push_token must be an Expo push token (ExponentPushToken[...])",
            )
        sealed = self._runtime.keyring.encrypt(
            config.PUSH_TOKEN_KEY, token.encode(), context=user_id.encode()
        )
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = self._runtime.clock()
        async with self._runtime.unit_of_work("dashboard") as uow:
            # One registration per user at a time, and one per token: two at once would both
            # find nothing and both insert.
            await uow.conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext('dashboard.push_devices:' || $1)), "
                "pg_advisory_xact_lock(hashtext('dashboard.push_token:' || $2))",
                user_id,
                digest,
            )
            existing = await self._pushes.device_of(uow.conn, user_id, body.device_id, lock=True)
            if existing is None and (
                await self._pushes.count_devices(uow.conn, user_id)
                >= config.MAX_PUSH_DEVICES_PER_USER
            ):
                raise Refused(
                    Kind.CONFLICT,
                    "too_many_push_devices",
                    f"At most {config.MAX_PUSH_DEVICES_PER_USER} devices; remove one first",
                )
            record = DeviceRecord(
                id=existing.id if existing else uuid.uuid4(),
                user_id=user_id,
                device_id=body.device_id,
                platform=body.platform,
                token_hint=token_hint(token),
                created_at=existing.created_at if existing else now,
                updated_at=now,
            )
            saved = await self._pushes.save_device(uow.conn, record, sealed, digest)
        return device_view(saved), existing is None

    async def revoke(self, user_id: str, device: str) -> None:
        """Forget one of the user's devices and its pushes still waiting; 404 for any other."""
        try:
            key = uuid.UUID(device)
        except ValueError:
            raise _no_device() from None
        async with self._runtime.unit_of_work("dashboard") as uow:
            if not await self._pushes.delete_device(uow.conn, user_id, key):
                raise _no_device()
