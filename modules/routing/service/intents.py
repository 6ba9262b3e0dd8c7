"""Intents from the strategy module: each becomes an order through intake, or a refusal event.

The intent id is the order's id and its idempotency key, so a redelivered intent is one order and
the strategy knows which orders are its own. A refusal (the risk gate, no venue, no market data)
is answered with `IntentRefused`; anything else (the database away) is raised, so the bus
delivers the intent again.
"""

from __future__ import annotations

import logging
import uuid

from modules.kernel.module import Runtime
from modules.kernel.refusal import Refused
from modules.routing.contracts import IntentRefused
from modules.routing.service.intake import Intake
from modules.strategy.contracts import IntentSubmitted

log = logging.getLogger("nija.routing.intents")


class Intents:
    def __init__(self, runtime: Runtime, intake: Intake) -> None:
        self._runtime = runtime
        self._intake = intake

    async def intent_submitted(self, event: IntentSubmitted) -> None:
        try:
            await self._intake.submit_intent(
                event.user_id,
                symbol=event.symbol,
                side=event.side,
                quantity=event.quantity,
                signal=event.signal,
                order_type=event.order_type,
                limit_price=event.limit_price,
                source=event.source,
                order_id=uuid.UUID(event.intent_id),
                venue=event.venue,
            )
        except Refused as refused:
            log.info(
                "intent refused",
                extra={"intent_id": event.intent_id, "code": refused.code},
            )
            async with self._runtime.unit_of_work("routing") as uow:
                uow.publish(
                    IntentRefused(
                        intent_id=event.intent_id,
                        user_id=event.user_id,
                        code=refused.code,
                        reason=refused.reason,
                    )
                )
