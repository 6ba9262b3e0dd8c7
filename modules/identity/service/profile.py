"""Changing one's profile: display name, time zone, locale."""

from __future__ import annotations

import zoneinfo

from modules.identity.domain.profile import display_name, invalid_timezone, locale, timezone_name
from modules.identity.repository.users import UserRow
from modules.identity.service.part import IdentityPart, profile_changed


def _valid_timezone(raw: str) -> str:
    name = timezone_name(raw)
    try:
        zoneinfo.ZoneInfo(name)  # reads the time zone database
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise invalid_timezone() from None
    return name


class Profiles(IdentityPart):
    async def update(self, user: UserRow, changes: dict[str, str]) -> None:
        """Apply the fields present in `changes`; every one is checked before any is written."""
        values: dict[str, str] = {}
        if "display_name" in changes:
            values["display_name"] = display_name(changes["display_name"])
        if "timezone" in changes:
            values["timezone"] = _valid_timezone(changes["timezone"])
        if "locale" in changes:
            values["locale"] = locale(changes["locale"])
        if values:
            async with self._uow() as uow:
                updated = await self._repo.users.update_profile(user.id, values, self._now())
                if updated is not None:
                    uow.publish(profile_changed(updated))
