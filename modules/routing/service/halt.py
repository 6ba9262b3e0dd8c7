"""The kill switch's close-all: cancel what is working and close what is held.

When an admin engages a kill switch with `close_all_positions`, every affected user's open orders
are cancelled (service/cancels.py) and every open position is closed at market where it is held,
by the same close a trader taps (intake.py): per position and version once, never more than the
position holds less what other closes in flight will sell. The closes carry the `kill_switch`
signal, so the halt that stops every other order lets them through.
"""

from __future__ import annotations

import logging
import uuid

import msgspec

from modules.kernel.auth import Principal
from modules.kernel.refusal import Refused
from modules.routing.repository.positions import PositionRepository
from modules.routing.service.cancels import OrderCancels
from modules.routing.service.intake import Intake

log = logging.getLogger("nija.routing")
# Nothing to do for this position: flat already, or its close is on its way.
_SETTLED = frozenset({"nothing_to_close", "close_in_flight", "position_not_found"})


class Unwound(msgspec.Struct, frozen=True, kw_only=True):
    orders_cancelled: int = 0
    positions_closing: int = 0


class HaltCloser:
    def __init__(
        self, positions: PositionRepository, cancels: OrderCancels, intake: Intake
    ) -> None:
        self._positions = positions
        self._cancels = cancels
        self._intake = intake

    async def close_all(self, user_id: str | None) -> Unwound:
        """Unwind one user (`user_id`) or, for a global halt, everyone with exposure."""
        users = [user_id] if user_id is not None else await self._positions.users_with_exposure()
        cancelled = closing = 0
        for user in users:
            cancelled += len(await self._cancels.cancel_all(user))
            for position_id in await self._positions.open_positions(user):
                closing += await self._close(user, position_id)
        return Unwound(orders_cancelled=cancelled, positions_closing=closing)

    async def _close(self, user_id: str, position_id: str) -> int:
        principal = Principal(user_id=user_id, role="trader")
        try:
            placed = await self._intake.close_position(
                principal, uuid.UUID(position_id), by_halt=True
            )
        except Refused as refusal:
            if refusal.code not in _SETTLED:
                # One position that cannot be closed must not stop the others being closed.
                log.warning(
                    "kill switch could not close a position",
                    extra={"position_id": position_id, "code": refusal.code},
                )
            return 0
        return 0 if placed.replayed else 1
