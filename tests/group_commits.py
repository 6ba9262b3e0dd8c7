"""Delivering events to a module's batched subscription together, as the bus does when they
arrive at once, and counting what that cost: the tests of the lean order path's batches."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from modules.kernel.events import envelope_for
from modules.kernel.inbox import GroupCommit
from modules.kernel.module import NijaModule
from tests.conftest import RunningApp


async def deliver_together(
    running: RunningApp,
    module: type[NijaModule],
    subscription: str,
    events: list[Any],
    counts: Callable[[str], bool],
) -> Counter[str]:
    """Deliver `events` through `module`'s `subscription` in one group commit; the statements
    this cost, by text, those `counts` keeps (not the module's own loops meanwhile)."""
    plugin = next(p for p in running.app.plugins.init if isinstance(p, module))
    handler = next(s.handler for s in plugin.subscriptions() if s.name == subscription)
    schema = plugin.name
    group = GroupCommit(
        schema=schema,
        handler_name=f"{schema}.{subscription}",
        handler=handler,
        unit_of_work=lambda: running.runtime.unit_of_work(schema),
    )
    tally = running.runtime.db.tally
    assert tally is not None, "statement counting is off"
    tally.by_text = Counter()
    await asyncio.gather(*(group.deliver(envelope_for(e, "test")) for e in events))
    texts, tally.by_text = tally.by_text, None
    return Counter({text: n for text, n in texts.items() if counts(text)})
