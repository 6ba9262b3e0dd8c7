"""Registered device keys (biometric login)."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from modules.identity.tables import Device


class DeviceRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    public_key: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class DeviceRepository:
    async def add(self, device: DeviceRow) -> None:
        await Device.insert(Device(**msgspec.structs.asdict(device)))

    async def device(self, device_id: uuid.UUID) -> DeviceRow | None:
        """A device that is not revoked."""
        row = (
            await Device.select()
            .where((Device.id == device_id) & Device.revoked_at.is_null())
            .first()
        )
        return msgspec.convert(row, DeviceRow) if row else None

    async def touch(self, device_id: uuid.UUID, now: datetime) -> None:
        await Device.update({Device.last_used_at: now}).where(Device.id == device_id)

    async def revoke(self, user_id: uuid.UUID, device_id: uuid.UUID, now: datetime) -> bool:
        rows = (
            await Device.update({Device.revoked_at: now})
            .where(
                (Device.id == device_id) & (Device.user_id == user_id) & Device.revoked_at.is_null()
            )
            .returning(Device.id)
        )
        return bool(rows)

    async def has_devices(self, user_id: uuid.UUID) -> bool:
        count = await Device.count().where(
            (Device.user_id == user_id) & Device.revoked_at.is_null()
        )
        return int(count) > 0
