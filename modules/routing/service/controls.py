"""The trader's and the admin's controls: trading settings and kill switches.

Lowering a limit takes effect at once; raising one is a sensitive action the API guards with a
recent second-factor proof (`raises_limits` tells which is which).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

from modules.kernel.auth import Principal
from modules.kernel.module import Runtime
from modules.routing.contracts import KillSwitchChanged
from modules.routing.domain.kill_switch import check_change
from modules.routing.repository.risk import RiskRepository
from modules.routing.schemas import KillSwitchView, TradingSettingsPatch, TradingSettingsView
from modules.routing.views.settings import SettingsViews

_RISK_ORDER = {"low": 0, "medium": 1, "high": 2}


class Controls:
    def __init__(self, runtime: Runtime, risk: RiskRepository, settings: SettingsViews) -> None:
        self._runtime = runtime
        self._risk = risk
        self._settings = settings

    async def raises_limits(self, principal: Principal, patch: TradingSettingsPatch) -> bool:
        return raises_limits(await self._settings.trading_settings(principal), patch)

    async def update_trading_settings(
        self, principal: Principal, patch: TradingSettingsPatch
    ) -> TradingSettingsView:
        values = dict(await self._settings.stored(principal.user_id) or {})
        for field in msgspec.structs.fields(TradingSettingsPatch):
            value = getattr(patch, field.name)
            if value is not msgspec.UNSET:
                values[field.name] = value
        if values.get("allowed_pairs") is not None:
            values["allowed_pairs"] = sorted({p.upper() for p in values["allowed_pairs"]})
        await self._risk.save_trading_settings(principal.user_id, values)
        return await self._settings.trading_settings(principal)

    async def set_kill_switch(
        self,
        scope: Literal["global", "user"],
        user_id: str | None,
        active: bool,
        set_by: Literal["admin", "user"],
        reason: str | None,
        actor_id: str | None = None,
        *,
        close_all: bool = False,
    ) -> KillSwitchView:
        """Engage or lift a kill switch; `actor_id` is who did it (kept for the admin and, with
        the reason and `close_all`, published for the audit log)."""
        key = "global" if scope == "global" else str(user_id)
        async with self._runtime.unit_of_work("routing") as uow:
            current = await self._risk.kill_switch(uow.conn, key)
            check_change(
                active=active,
                set_by=set_by,
                current_active=current is not None and current["active"],
                current_set_by=None if current is None else current["set_by"],
            )
            await self._risk.set_kill_switch(uow.conn, key, active, set_by, reason, actor_id)
            uow.publish(
                KillSwitchChanged(
                    scope=scope,
                    user_id=user_id,
                    active=active,
                    set_by=set_by,
                    actor_id=actor_id,
                    reason=reason,
                    close_all_positions=close_all,
                )
            )
        return KillSwitchView(scope=scope, user_id=user_id, active=active, set_by=set_by)


def raises_limits(current: TradingSettingsView, patch: TradingSettingsPatch) -> bool:
    """Whether `patch` would let the trader risk more than the current settings do.

    A `null` resets to the platform default, which is treated as raising unless it provably is
    not (no cap is the loosest cap).
    """

    def looser(new: Decimal | None, old: Decimal | None) -> bool:
        if old is None:
            return False
        return new is None or new > old

    if patch.risk_level is not msgspec.UNSET and (
        patch.risk_level is None or _RISK_ORDER[patch.risk_level] > _RISK_ORDER[current.risk_level]
    ):
        return True
    for name, old in (
        ("max_position_usd", current.max_position_usd),
        ("max_daily_loss_usd", current.max_daily_loss_usd),
        ("equity_usd", current.equity_usd),
    ):
        new = getattr(patch, name)
        if new is not msgspec.UNSET and looser(new, old):
            return True
    pairs = patch.allowed_pairs
    if pairs is msgspec.UNSET or current.allowed_pairs is None:
        return False
    return pairs is None or not set(pairs) <= set(current.allowed_pairs)
